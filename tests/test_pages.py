"""The pages without a browser: content negotiation of the 'pages' route group, and the static site's links."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import iakg
from iakg.rdf.namespaces import IAKG
from iakg.serve.routes import ROUTES, ServeContext

SCENARIO = "/id/pnet-post-resection-surveillance"


@pytest.fixture(scope="module")
def pages(graph):
    from iakg.present.html import Pages

    return Pages(graph)


@pytest.fixture(scope="module")
def client(graph):
    return TestClient(Starlette(routes=ROUTES.get("pages")(ServeContext(graph, "http://testserver"))))


@pytest.mark.parametrize("path, headers, kind", [
    (SCENARIO, {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, "text/html"),
    (SCENARIO + "?format=html", {}, "text/html"),
    (SCENARIO, {}, "text/turtle"),
    (SCENARIO, {"accept": "application/ld+json"}, "application/ld+json"),
    (SCENARIO + "?format=nt", {"accept": "text/html"}, "application/n-triples"),
    ("/", {"accept": "text/html"}, "text/html"),
    ("/", {"accept": "text/turtle"}, "text/turtle"),
    ("/ontology", {"accept": "text/html"}, "text/html"),
    ("/ontology/0.2.0", {}, "text/turtle"),
    ("/query/criteria", {"accept": "text/html"}, "text/html"),
    ("/editor", {}, "text/html"),
    ("/static/yasgui/yasgui.min.js", {}, "javascript"),
])
def test_content_negotiation(client, path, headers, kind):
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and kind in response.headers["content-type"]


def test_unknown_resource_is_404_in_both_forms(client):
    assert client.get("/id/no-such-thing", headers={"accept": "text/html"}).status_code == 404
    assert client.get("/id/no-such-thing").status_code == 404


def test_scenario_page_content(client, graph):
    page = client.get(SCENARIO + "?years=3&every=12", headers={"accept": "text/html"}).text
    rec = graph.recommend("pnet-post-resection-surveillance")
    positions = [page.index(f'class="procedure">{r.label}<') for r in rec.procedures]
    assert positions == sorted(positions)
    assert "(Disagreement)" in page and "<details>" in page and "<blockquote>" in page
    assert "3 years, one study every 12 months" in page and "<svg" in page
    for plan in ("years=-1", "years=100&every=0.000001", "every=1e-300", "years=1e9999", "every=nan"):
        bad = client.get(SCENARIO + "?" + plan, headers={"accept": "text/html"})
        assert bad.status_code == 200 and 'role="alert"' in bad.text, plan  # said on the page, never a 500


def test_scenario_page_says_what_the_cli_says(client):
    """Interval, protocol phases, the alternatives when contrast is contraindicated, the cumulative-dose
    caveat, and who the scenario is for, as the CLI prints them (issue 23)."""
    page = client.get(SCENARIO, headers={"accept": "text/html"}).text
    for text in ("How often to image", "Every 12 months", "may be imaged annually", "Such as every 6-12 months",
                 "consult ENETS or NANETS guidelines for specific recommendations",
                 "Pitfalls and when to get help", "Critical error (the source):</strong>",
                 "Ordering CT abdomen and pelvis without IV contrast</a>: It will likely miss",
                 "Get help:</strong>", "Paediatric radiation level (of the procedure)",
                 "this scenario is for adults and rates nothing for children",
                 "Protocol", "late arterial phase", "portal venous phase", "(the source: essential)",
                 "When contrast is contraindicated", "Severe iodinated contrast allergy",
                 "often with a gadolinium-based contrast agent, if renal function permits",
                 "less sensitive for hypervascular lesions", "Radiation: what the source says",
                 "this cumulative dose is a consideration, but the benefit of early detection often outweighs the risk",
                 "Population:</strong> <a", "Not addressed by the source:</strong> <a",
                 "Outside the source&#39;s scope (not covered):</strong>"):
        assert text in page, text


def test_a_scenario_without_ratings_gets_no_invented_dose_plan(client):
    """Review W11: the suspected-recurrence page has no rated option, so no plan (it once read "default: 12
    months; no interval is stated"); its critical pitfall is shown as critical (W4)."""
    page = client.get("/id/pnet-suspected-recurrence", headers={"accept": "text/html"}).text
    assert "Cumulative radiation" not in page and "default:" not in page and "12 months" not in page
    assert "Critical error (the source):</strong>" in page


def test_a_page_without_a_source_says_it_is_vocabulary(client):
    """Review W12: a resource no source is cited for (a radiopharmaceutical of the name vocabulary) says it is
    the project's vocabulary; the footer claims provenance for clinical values only."""
    page = client.get("/id/cu-64-dotatate", headers={"accept": "text/html"}).text
    assert "No source is cited for this resource" in page and "Every clinical value" in page
    page = client.get("/id/dotatate-pet-ct", headers={"accept": "text/html"}).text
    assert "No source is cited for this resource" not in page


def test_procedure_page_reads_each_level_on_its_own_scale(client):
    """The paediatric level of CT abdomen/pelvis is ☢☢☢☢ with the paediatric band (3-10 mSv), never the
    adult band the level's label carries (10-30 mSv)."""
    page = client.get("/id/ct-abdomen-pelvis-with-iv-contrast", headers={"accept": "text/html"}).text
    assert "☢☢☢☢ 3-10 mSv (paediatric band)" in page and "☢☢☢ 1-10 mSv (adult band)" in page
    assert "10-30 mSv" not in page


def test_search_finds_labels(client):
    page = client.get("/search", params={"q": "dotatate"}).text
    assert "/id/dotatate-pet-ct" in page or "DOTATATE" in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for key in ("href", "src"):
            if values.get(key):
                self.links.append(values[key])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_static_site_has_no_broken_internal_link_and_every_term_a_page(tmp_path, graph):
    out = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "iakg", "build", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    site = out / "site"
    from iakg.present.html.site import file_for

    parsed = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    for page, found in parsed.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue  # external
            path = unquote(parts.path)
            if path.startswith("/static/") or path.endswith((".ttl", ".jsonld")):  # files as they are
                target = site / path.lstrip("/")
            elif path:
                target = site / file_for(path)
            else:
                target = page
            if not target.exists():
                broken.append((str(page.relative_to(site)), link))
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parsed[target].ids:
                broken.append((str(page.relative_to(site)), link))
    assert not broken, broken[:20]
    ontology = parsed[site / "ontology.html"].ids
    terms = {row["t"][len(IAKG):] for row in graph.query(
        f'SELECT DISTINCT ?t WHERE {{ {{ ?t ?p ?o }} UNION {{ ?s ?t ?o }} UNION {{ ?s ?p ?t }} '
        f'FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{IAKG}")) }}').rows()}
    missing = sorted(t for t in terms if t not in ontology)
    assert terms and not missing, missing
    assert (site / "ontology" / f"{iakg.__version__}.html").exists() and (site / "index.html").exists()
    assert re.search(r"Routine surveillance after complete resection", (site / SCENARIO.lstrip("/")).with_suffix(
        ".html").read_text())


def test_variant_row_shows_soe_rating_median_and_paediatric_level_when_present(graph):
    """SOE, rating, median and the paediatric level are shown when a rating has them. Fictional values."""
    from dataclasses import replace

    from iakg.present.html import Pages
    from iakg.present.html.variant import _rated_row, variant_table

    rated = graph.recommend("pnet-post-resection-surveillance").procedures[0]
    child = replace(rated.radiation, symbol="☢☢", rank=2, dose_min_msv=0.03, dose_max_msv=0.3)
    fake = replace(rated, evidence="Limited", score=7, median=8, pediatric_radiation=child)
    variant = variant_table(graph.scenario("pnet-post-resection-surveillance"), [_rated_row(fake, [])])
    html = Pages(graph).env.get_template("variant.html").render(variant=variant)
    assert "Limited" in html and "7 (8)" in html and "☢☢</span>" in html and "0.03-0.3 mSv" in html
    assert "Not stated by the source" not in html


def test_variant_table_hides_the_columns_no_option_states_and_says_so_once(graph, pages):
    """The shipped scenario states no strength of evidence and no rating (median) for any option: those
    columns are not drawn, and one line under the table names them; the radiation levels (a paediatric one is
    stated for one option) and the condition (stated for one) are drawn."""
    html = pages.resource("https://w3id.org/iakg/id/pnet-post-resection-surveillance")
    table = html[html.index('<table class="variant"'):html.index("</table>", html.index('<table class="variant"'))]
    headers = re.findall(r'<th scope="col">(.*?)</th>', table)
    assert headers == ["Procedure", "Appropriateness category", "Adult radiation level",
                       "Paediatric radiation level (of the procedure)", "Condition"]
    assert 'data-label="Strength of evidence"' not in table and 'data-label="Rating (median)"' not in table
    assert html.count("Not stated by the source for any option here: strength of evidence, rating (median).") == 1


def test_the_dose_comparison_leaves_out_what_iakg_dose_leaves_out(graph, pages):
    """FDG PET/CT, rated usually not appropriate, is left out of the page's dose chart as `iakg dose` leaves
    it out, the page says so and links the comparison that includes it."""
    scenario = "https://w3id.org/iakg/id/pnet-post-resection-surveillance"
    left_out = [r.label for r in graph.scenario_doses(scenario, 5, 6).left_out]
    assert left_out == ["FDG PET/CT"]
    html = pages.resource(scenario)
    chart = html[html.index('<table class="doses"'):]
    chart = chart[:chart.index("</table>")]
    assert "FDG PET/CT" not in chart and "CT chest abdomen pelvis with IV contrast" in chart
    assert 'Left out, as <code>iakg dose</code> does: <a href="/id/fdg-pet-ct">FDG PET/CT</a>' in html
    assert "all=1#dose" in html
    every = pages.resource(scenario, every_option=True)
    assert "FDG PET/CT" in every[every.index('<table class="doses"'):]


def test_resources_sharing_a_label_are_told_apart_by_what_the_graph_says(pages):
    """Two indications of DOTATATE PET/CT share a label; the procedure's page names the scenario of each."""
    html = pages.resource("https://w3id.org/iakg/id/dotatate-pet-ct")
    shown = re.findall(r'DOTATATE PET/CT for clinical or biochemical suspicion of recurrence</a> '
                       r'<span class="apart">\((.*?)\)</span>', html)
    assert sorted(shown) == ["in scenario: Routine surveillance after complete resection of a pancreatic "
                             "neuroendocrine tumor", "in scenario: Suspected recurrence after resection of a "
                             "pancreatic neuroendocrine tumor"], shown


def test_recommend_many_answers_as_recommend_does(graph):
    """The static site reads every scenario's ratings at once; each answer equals the one-scenario answer."""
    scenarios = graph.scenarios()
    many = graph.recommend_many(scenarios)
    assert set(many) == {s.iri for s in scenarios}
    for scenario in scenarios:
        assert many[scenario.iri] == graph.recommend(scenario), scenario.iri
