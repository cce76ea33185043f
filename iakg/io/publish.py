"""``iakg publish``: replace a named graph of any SPARQL 1.1 Graph Store Protocol endpoint with the release."""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.parse
import urllib.request

from iakg import catalogue
from iakg.errors import KGError
from iakg.rdf.engine import RemoteEngine
from iakg.rdf.terms import IRI


def publish(graph, store_url: str, graph_iri: str, query_url: str | None = None,
            timeout: float = 120.0) -> tuple[int, int]:
    """PUT the release (all graphs merged, N-Triples) into ``graph_iri``; return (triples sent, counted back).

    PUT replaces the graph, so publishing twice leaves the same content (idempotent).
    """
    target = catalogue.expand_iri(graph_iri, "--graph")
    body = graph.release().triples()
    sent = body.count(b"\n")
    url = store_url + ("&" if "?" in store_url else "?") + urllib.parse.urlencode({"graph": target})
    headers = {"Content-Type": "application/n-triples"}
    auth = credentials(store_url)
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        raise KGError(f"{store_url} refused the graph: HTTP {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise KGError(f"cannot reach {store_url}: {getattr(exc, 'reason', exc)}") from None
    query_url = query_url or _query_url(store_url)
    rows = catalogue.run(RemoteEngine(query_url, timeout), "graph-size", graph=IRI(target))
    return sent, int(rows[0]["triples"])


def credentials(url: str) -> tuple[str, str] | None:
    """The user and password for ``url``: ``IAKG_PUBLISH_USER`` and ``IAKG_PUBLISH_PASSWORD`` from the
    environment, else the netrc entry of its host (``$NETRC`` or ``~/.netrc``); never the command line."""
    import netrc

    user, password = os.environ.get("IAKG_PUBLISH_USER"), os.environ.get("IAKG_PUBLISH_PASSWORD")
    if user and password is not None:
        return user, password
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(host)
    except FileNotFoundError:
        return None
    except (netrc.NetrcParseError, OSError) as exc:
        raise KGError(f"netrc: {exc}") from None
    if entry is None:
        return None
    login, _, secret = entry
    return (login or "", secret or "")


def _query_url(store_url: str) -> str:
    """The query endpoint beside a Graph Store endpoint (``…/store`` → ``…/query``, as Oxigraph and Fuseki name
    them)."""
    base, sep, _ = store_url.rstrip("/").rpartition("/")
    if not sep:
        raise KGError(f"cannot guess the query endpoint of {store_url}; give --query-endpoint")
    return f"{base}/query"
