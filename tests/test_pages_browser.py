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


def _sparql_route(graph, sent: list[str]):
    """A stand-in SPARQL endpoint (SELECT as SPARQL JSON) for the editor, while the pages run alone; every
    query text it is sent is kept in ``sent``."""
    async def sparql(request: Request) -> Response:
        form = parse_qs((await request.body()).decode()) if request.method == "POST" else \
            {k: [v] for k, v in request.query_params.items()}
        sent.append(form["query"][0])
        result = graph.query(form["query"][0])
        body = {"head": {"vars": result.variables}, "results": {"bindings": result.bindings}}
        return Response(json.dumps(body), media_type="application/sparql-results+json")
    return Route("/sparql", sparql, methods=["GET", "POST"])


@pytest.fixture(scope="module")
def live(graph):
    sent: list[str] = []
    app = Starlette(routes=[*ROUTES.get("pages")(ServeContext(graph, "http://127.0.0.1")),
                            _sparql_route(graph, sent)])
    server = LiveServer(app)
    server.sent = sent  # type: ignore[attr-defined]
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


#: one page of every type the site has (path, what must be on it)
PAGE_TYPES = {
    "home": ("/", "Topics and scenarios"),
    "scenario": (SCENARIO, "Cumulative radiation of the rated options"),
    "scenario rating nothing": ("/id/pnet-suspected-recurrence", "Appropriateness of imaging"),
    "procedure": ("/id/dotatate-pet-ct", "Referenced by"),
    "procedure with levels": ("/id/ct-abdomen-pelvis-with-iv-contrast", "Statements"),
    "scope limit": ("/id/scope-pnet-pregnancy", "Pregnancy"),
    "topic": ("/id/topic-pnet-surveillance-after-resection", "Variant:"),
    "source": ("/id/article-pnet-surveillance", "Derived from this source"),
    "ontology": ("/ontology", "Terms ("),
    "ontology term": ("/ontology#ClinicalScenario", "iakg:ClinicalScenario"),
    "search": ("/search?q=CT", "whose label contains"),
    "editor": ("/editor?query=recommendation", "SPARQL query editor"),
    "shapes": ("/shapes", "SHACL shapes"),
    "named graph": ("/graph/ontology", "Named graph ontology"),
    "not found": ("/id/no-such-thing", "The graph says nothing about"),
}
RESULTS = "document.querySelector('.yasr_results table, .yasr_results .dataTable') !== null"


@pytest.fixture(scope="module")
def page(live):
    from tests.browser import Page

    with Page() as opened:
        yield opened


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_no_page_scrolls_sideways(live, page, kind, width):
    """Every page type fits a phone's width (390 px) and a desktop's: nothing wider than the window."""
    server, _ = live
    path, shown = PAGE_TYPES[kind]
    page.open(server.url + path, width, 900, wait_for=RESULTS if kind == "editor" else None)
    assert shown in page.evaluate("document.body.innerText")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDEST)
    if kind in ("home", "scenario", "editor"):
        page.screenshot(ARTIFACTS / f"{kind.replace(' ', '-')}-{width}.png")


WIDEST = """(() => { const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 5)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)); })()"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_scenario_diagrams_fit_with_every_branch_and_label(live, page, graph, width):
    """Both diagrams are drawn within the page's width (the phone gets its own layout): the "If indeterminate"
    branch and every dose label are inside the visible picture, nothing cut."""
    server, _ = live
    page.open(server.url + SCENARIO, width, 900)
    found = page.evaluate("""[...document.querySelectorAll('figure svg')]
      .filter(s => s.getBoundingClientRect().width > 0).map(s => {
        const box = s.getBoundingClientRect(); const texts = [...s.querySelectorAll('text')];
        return {right: box.right, width: box.width, text: texts.map(t => t.textContent).join(' '),
                outside: texts.filter(t => { const b = t.getBoundingClientRect();
                  return b.left < box.left - 1 || b.right > box.right + 1; }).map(t => t.textContent)}; })""")
    assert len(found) == 2, found  # one layout of each diagram shown
    for drawn in found:
        assert drawn["right"] <= width and not drawn["outside"], drawn
    workflow, dose = found
    assert "If indeterminate" in workflow["text"]
    for option in graph.scenario_doses(SCENARIO.rsplit("/", 1)[-1], 5, 6).options:
        assert option.estimate.procedure.label in dose["text"].replace("  ", " ") or \
            all(word in dose["text"] for word in option.estimate.procedure.label.split())
    assert min(drawn["width"] for drawn in found) >= min(width - 40, 340)  # legible: not shrunk to a thumbnail


def test_a_twenty_column_result_scrolls_in_its_own_box(live, page):
    """A 20-column answer does not widen the editor's page on a phone: its table scrolls inside the results."""
    server, _ = live
    page.open(server.url + "/editor?query=recommendation", 390, 900, wait_for=RESULTS)
    columns = " ".join(f"(STR(?p) AS ?column{i})" for i in range(20))
    page.evaluate(f"""(() => {{ const tab = window.iakgEditor.yasgui.getTab();
        tab.setQuery('SELECT ?p {columns} WHERE {{ ?s ?p ?o }} LIMIT 3'); tab.query(); }})()""")
    page.open_wait("document.querySelectorAll('.yasr_results th').length >= 20")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WIDEST)
    box = page.evaluate("(() => { const r = document.querySelector('.yasr_results .results-box'); "
                        "return [r.clientWidth, r.scrollWidth]; })()")
    assert box[0] <= 390 < box[1]  # the table is wider than the box, which scrolls


def test_the_editor_opens_a_catalogue_query_and_runs_it_once_with_readable_cells(live, page, graph):
    """/editor?query=recommendation fills the editor with the catalogue query's text and sends only it (never
    the bare name); the cells show values (a literal as itself, its datatype as a hint; an IRI as a CURIE
    linking to its page here), never N-Triples syntax."""
    server, _ = live
    page.open(server.url + "/editor?query=recommendation", 1280, 900, wait_for=RESULTS)
    assert "recommendation" not in [q.strip() for q in server.sent]
    assert page.evaluate("window.iakgEditor.yasgui.getTab().getQuery()").startswith("# title: Appropriateness")
    cells = page.evaluate("[...document.querySelectorAll('.yasr_results td')].map(td => td.textContent)")
    assert not any('"^^' in c or "^^<" in c or c.startswith("<http") for c in cells), cells[:20]
    links = page.evaluate("[...document.querySelectorAll('.yasr_results td a')].map(a => [a.textContent, "
                          "a.getAttribute('href')])")
    assert ["iakgd:dotatate-pet-ct", "/id/dotatate-pet-ct"] in links
    hints = page.evaluate("[...document.querySelectorAll('.yasr_results td.typed')].map(td => [td.textContent, "
                          "td.title])")
    assert ["1", "xsd:integer"] in hints  # a category rank: the value, its datatype as a hint
