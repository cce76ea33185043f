"""``iakg publish``: replace a named graph of any SPARQL 1.1 Graph Store Protocol endpoint with the release."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from iakg.errors import KGError
from iakg.rdf.terms import IRI


def publish(graph, store_url: str, graph_iri: str, query_url: str | None = None,
            timeout: float = 120.0) -> tuple[int, int]:
    """PUT the release (all graphs merged, N-Triples) into ``graph_iri``; return (triples sent, counted back).

    PUT replaces the graph, so publishing twice leaves the same content (idempotent).
    """
    from iakg import catalogue
    from iakg.rdf.engine import RemoteEngine, check_url

    check_url(store_url, "--endpoint")
    if query_url:
        check_url(query_url, "--query-endpoint")
    target = catalogue.expand_iri(graph_iri, "--graph")
    body = graph.release().triples()
    sent = body.count(b"\n")
    url = store_url + ("&" if "?" in store_url else "?") + urllib.parse.urlencode({"graph": target})
    headers = {"Content-Type": "application/n-triples"}
    auth = credentials(store_url)
    if auth is not None:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = _hide(" ".join(exc.read().decode("utf-8", "replace")[:500].split()), auth)
        raise KGError(f"{store_url} refused the graph: HTTP {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = _hide(str(getattr(exc, "reason", exc)), auth)
        raise KGError(f"cannot reach {store_url}: {reason}") from None
    query_url = query_url or _query_url(store_url)
    rows = catalogue.run(RemoteEngine(query_url, timeout), "graph-size", graph=IRI(target))
    return sent, int(rows[0]["triples"])


def credentials(url: str) -> tuple[str, str] | None:
    """The user and password for ``url``: ``IAKG_PUBLISH_USER`` and ``IAKG_PUBLISH_PASSWORD`` from the
    environment, else the netrc entry of its host (``$NETRC`` or ``~/.netrc``); never the command line."""
    import netrc
    import os

    user, password = os.environ.get("IAKG_PUBLISH_USER"), os.environ.get("IAKG_PUBLISH_PASSWORD")
    if user and password is not None:
        return user, password
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(host)
    except FileNotFoundError:
        return None
    except netrc.NetrcParseError as exc:  # its message quotes the token it stopped at: maybe a password
        raise KGError(f"{exc.filename}:{exc.lineno}: the netrc file cannot be read (the line is not shown: it "
                      "may hold a password)") from None
    except OSError as exc:
        raise KGError(f"netrc: cannot read it ({exc.strerror or type(exc).__name__})") from None
    if entry is None:
        return None
    login, _, secret = entry
    return (login or "", secret or "")


def _hide(text: str, auth: tuple[str, str] | None) -> str:
    """``text`` (a server's answer, an error) with the password sent, and any URL's credentials, hidden."""
    from iakg.rdf.engine import redact

    text = redact(text)
    if auth is not None and auth[1]:
        text = text.replace(auth[1], "***")
    return text


def _query_url(store_url: str) -> str:
    """The query endpoint beside a Graph Store endpoint (``…/store`` → ``…/query``, as Oxigraph and Fuseki name
    them)."""
    base, sep, _ = store_url.rstrip("/").rpartition("/")
    if not sep:
        raise KGError(f"cannot guess the query endpoint of {store_url}; give --query-endpoint")
    return f"{base}/query"
