"""Pages in a real browser: Debian's chromium, headless, against the pages served by uvicorn.

One browser profile and one server for the module. Screenshots are kept in artifacts/ (git-ignored; CI keeps
it as an artefact). Skipped where chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from iakg.serve.routes import ROUTES, ServeContext, ServeOptions
from tests.browser import ARTIFACTS, Browser, LiveServer, chromium

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed (apt-get install chromium)")

SCENARIO = "/id/pnet-post-resection-surveillance"


def _sparql_route(graph):
    """A stand-in SPARQL endpoint (SELECT as SPARQL JSON) for the editor, while the pages run alone."""
    async def sparql(request: Request) -> Response:
        form = parse_qs((await request.body()).decode()) if request.method == "POST" else \
            {k: [v] for k, v in request.query_params.items()}
        result = graph.query(form["query"][0])
        body = {"head": {"vars": result.variables}, "results": {"bindings": result.bindings}}
        return Response(json.dumps(body), media_type="application/sparql-results+json")
    return Route("/sparql", sparql, methods=["GET", "POST"])


#: A same-origin page that loads each page of ``u`` in a frame ``w`` pixels wide and writes, as JSON, how wide
#: its document scrolls and which elements (outside diagrams, which scroll in their own figure) stick out.
MEASURE = """<!doctype html><html><body><pre id="out">pending</pre><script>
const q = new URLSearchParams(location.search), urls = q.get("u").split(","), w = +q.get("w"), found = [];
function next(i) {
  if (i >= urls.length) { document.getElementById("out").textContent = JSON.stringify(found); return; }
  const f = document.createElement("iframe");
  f.style.width = w + "px"; f.style.height = "900px"; f.style.border = "0";
  f.onload = () => {
    const d = f.contentDocument.documentElement, wide = [];
    f.contentDocument.querySelectorAll("body *").forEach(e => {
      const out = e.getBoundingClientRect().right > d.clientWidth + 1;
      if (out && !e.closest("svg")) wide.push(e.tagName + "." + e.className);
    });
    found.push({url: urls[i], scroll: d.scrollWidth, client: d.clientWidth, wide: wide.slice(0, 5)});
    f.remove(); next(i + 1);
  };
  f.src = urls[i]; document.body.appendChild(f);
}
next(0);
</script></body></html>"""


def _measure_route():
    async def measure(request: Request) -> Response:
        return Response(MEASURE, media_type="text/html")
    return Route("/measure", measure)


@pytest.fixture(scope="module")
def live(graph):
    app = Starlette(routes=[*ROUTES.get("pages")(ServeContext(graph, "http://127.0.0.1")), _sparql_route(graph),
                            _measure_route()])
    server = LiveServer(app)
    try:  # the server is stopped even when the browser does not start
        browser = Browser()
        try:
            yield server, browser
        finally:
            browser.close()
    finally:
        server.stop()


def test_scenario_page_lists_the_five_rated_procedures_in_order(live, graph):
    server, browser = live
    dom = browser.dom(server.url + SCENARIO)
    expected = [r.label for r in graph.recommend("pnet-post-resection-surveillance").procedures]
    assert len(expected) == 5
    shown = re.findall(r'<a href="/id/[^"]+" class="procedure">([^<]+)</a>', dom)
    assert shown == expected
    assert "Rationale and evidence" in dom and "Workflow after the study" in dom
    assert "Cumulative effective dose" in dom


@pytest.mark.parametrize("width", [1280, 390])
def test_scenario_page_screenshot(live, width):
    server, browser = live
    shot = browser.screenshot(server.url + SCENARIO, ARTIFACTS / f"scenario-{width}.png", width, 2400)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways(live, width):
    """The scenario page (with its interval, protocol, alternatives and dose caveat), a procedure page, a scope
    limit and the home page fit a 390-px phone and a 1280-px screen without sideways scrolling."""
    server, browser = live
    pages = [SCENARIO, "/id/pnet-suspected-recurrence", "/id/ct-abdomen-pelvis-with-iv-contrast",
             "/id/scope-pnet-pregnancy", "/"]
    dom = browser.dom(f"{server.url}/measure?w={width}&u=" + ",".join(p + "?format=html" for p in pages),
                      width, 900, 30000)
    found = json.loads(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S).group(1))
    assert [f["url"] for f in found] == [p + "?format=html" for p in pages]
    for page in found:
        assert page["scroll"] <= page["client"] and not page["wide"], page


def test_editor_runs_a_catalogue_query(live, graph):
    server, browser = live
    dom = browser.dom(server.url + "/editor?query=procedures", budget_ms=15000)
    _assert_procedures_listed(dom, graph)


def test_editor_runs_a_catalogue_query_against_a_live_iakg_serve(live, graph):
    """The editor talks to the SPARQL endpoint of a running `iakg serve` (the current gateway, on its own port:
    another origin, so the browser runs without the same-origin check; once the server mounts the pages,
    editor and endpoint share an origin)."""
    from iakg.serve.app import Endpoint

    server, browser = live
    with Endpoint(graph) as endpoint:
        app = Starlette(routes=ROUTES.get("pages")(ServeContext(graph, "http://127.0.0.1",
                                                                 ServeOptions(sparql_path=endpoint.url))))
        pages = LiveServer(app)
        try:
            dom = browser.dom(pages.url + "/editor?query=procedures", 1280, 900, 15000, "--disable-web-security")
        finally:
            pages.stop()
    assert endpoint.url in dom
    _assert_procedures_listed(dom, graph)


def _assert_procedures_listed(dom: str, graph) -> None:
    assert 'id="yasgui"' in dom and "yasqe" in dom.lower()
    results = dom[dom.index('class="yasr'):]  # the results pane, after the editor
    labels = [row["label"] for row in graph.run("procedures")]
    assert labels and all(label in results for label in labels), "the results table lacks rows of the query"
