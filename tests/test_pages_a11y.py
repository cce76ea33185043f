"""Accessibility and legibility of the pages without a browser: landmarks, table headers, text alternatives of
pictures, colour contrast, the print stylesheet, and diagram text that is wrapped, never cut off."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from iakg.present.html import svg
from iakg.present.html.pages import STATIC_DIR, Pages, link_path

SCENARIO = "https://w3id.org/iakg/id/pnet-post-resection-surveillance"
CSS = (STATIC_DIR / "iakg.css").read_text(encoding="utf-8")


class Tree(HTMLParser):
    """Start tags with their attributes, and the text of each <svg> <text> element (its tspans joined)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.svg_texts: list[str] = []
        self.titles: dict[str, str] = {}
        self._text: list[str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "text":
            self._text = []
        if tag in ("title", "desc") and attributes.get("id"):
            self._id = attributes["id"]
            self.titles[self._id] = ""

    def handle_endtag(self, tag):
        if tag == "text" and self._text is not None:
            self.svg_texts.append(" ".join(part.strip() for part in self._text if part.strip()))
            self._text = None
        if tag in ("title", "desc"):
            self._id = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._id is not None:
            self.titles[self._id] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(html: str) -> Tree:
    tree = Tree()
    tree.feed(html)
    return tree


@pytest.fixture(scope="module")
def pages(graph):
    site = Pages(graph, static=True)
    procedure = next(p for p in graph.procedures())
    return {"home": site.home(), "scenario": site.resource(SCENARIO), "procedure": site.resource(procedure.iri),
            "ontology": site.ontology(), "editor": site.editor(), "index": site.index()}


def test_every_page_has_its_landmarks(pages):
    for name, html in pages.items():
        tree = parse(html)
        assert tree.all("html")[0].get("lang") == "en", name
        assert len(tree.all("main")) == 1 and tree.all("main")[0].get("id") == "main", name
        assert any(a.get("href") == "#main" for a in tree.all("a")), f"{name}: no skip link"
        assert [h.get("role") for h in tree.all("header")][:1] == ["banner"], name
        assert all(n.get("aria-label") for n in tree.all("nav")), name
        assert any(f.get("role") == "contentinfo" for f in tree.all("footer")), name
        assert len(tree.all("h1")) == 1, f"{name}: one h1"


def test_every_table_header_has_a_scope_and_every_table_a_caption(pages):
    for name, html in pages.items():
        tree = parse(html)
        assert all(th.get("scope") in ("col", "row", "colgroup", "rowgroup") for th in tree.all("th")), name
        assert html.count("<table") == html.count("<caption"), f"{name}: a table without a caption"


def test_pictures_have_text_alternatives(pages):
    for name, html in pages.items():
        tree = parse(html)
        assert all(img.get("alt") is not None for img in tree.all("img")), name
        for picture in tree.all("svg"):
            assert picture.get("role") == "img", name
            ids = (picture.get("aria-labelledby") or "").split()
            assert len(ids) == 2 and all(tree.titles.get(i, "").strip() for i in ids), name


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    """Every text colour of the stylesheet on every background it is used on: at least 4.5:1 (WCAG AA)."""
    palette = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", CSS))
    text = [palette["ink"], palette["muted"], palette["link"], "#8a1c00"]  # body, muted, links, disagreement
    backgrounds = ["#ffffff", palette["soft"], palette["ok"], palette["maybe"], palette["not"], "#e8ecf0",
                   "#fafbfc", "#fbfbf5", "#fffbe6", "#dbe7f3"]  # page, panels, category cells, headers, boxes
    for foreground in text:
        for background in backgrounds:
            assert _contrast(foreground, background) >= 4.5, (foreground, background)
    assert _contrast("#ffffff", "#10283f") >= 4.5  # the site header and the diagram's start node
    assert _contrast("#ffffff", palette["accent"]) >= 4.5  # buttons


def test_pages_print_cleanly(pages):
    """The print stylesheet drops navigation and forms and prints the collapsed rationale and evidence."""
    printed = CSS[CSS.index("@media print"):]
    for hidden in ("header.site nav", "form", "footer.site"):
        assert hidden in printed.split("{", 2)[1]
    assert "break-inside: avoid" in printed
    assert "details::details-content { content-visibility: visible; }" in printed
    script = (STATIC_DIR / "iakg.js").read_text(encoding="utf-8")  # a file: no inline script on any page
    assert '<script src="/static/iakg.js">' in pages["scenario"] and "<script>" not in pages["scenario"]
    assert 'addEventListener("beforeprint"' in script and "d.open = true" in script


def test_the_workflow_svg_has_every_study_name_in_full(graph, pages):
    tree = parse(pages["scenario"])
    text = " ".join(tree.svg_texts)
    names = {p.label for b in graph.next_steps(SCENARIO) for s in b.steps for p in s.procedures}
    assert names and all(name in text for name in names), names
    for option in graph.scenario_doses(SCENARIO, 5, 6).options:  # the dose chart's labels too
        assert option.estimate.procedure.label in text


@pytest.mark.parametrize("narrow", [False, True])
def test_long_text_wraps_inside_its_box_and_the_box_grows(narrow):
    words = ("Studies: " + ", ".join(["Multiphasic contrast-enhanced magnetic resonance imaging of the abdomen "
                                      "and pelvis without and with IV contrast"] * 3) + " Supercalifragilistic" * 4)
    step = SimpleNamespace(label="Characterise " + "x" * 90, qualifier="typically performed, " * 6,
                           procedures=(SimpleNamespace(iri="https://example.org/p", label=words),),
                           follow_up_label="CT " + "y" * 90)
    branches = [SimpleNamespace(result=r, alternatives=True, steps=(step, step)) for r in ("negative", "positive")]
    drawn = svg.workflow(branches, link_path, narrow)
    tree = parse(drawn)
    view_width = float(tree.all("svg")[0]["viewbox"].split()[2])
    assert view_width == (360 if narrow else 960)  # a phone's layout is drawn at about its width
    assert all(float(r["x"]) + float(r["width"]) <= view_width for r in tree.all("rect"))
    boxes = [a for a in tree.all("rect") if a.get("class") == "step"]
    width = float(boxes[0]["width"])
    spans = re.findall(r"<tspan [^>]*>([^<]*)</tspan>", drawn)
    assert all(svg.text_width(line) <= width - 2 * svg.PAD for line in spans)
    joined = " ".join(tree.svg_texts).replace(" ", "")
    assert (words.replace(" ", "") in joined) and ("x" * 90 in joined) and ("y" * 90 in joined)  # nothing dropped
    texts = re.findall(r'<rect x="[^"]+" y="([\d.]+)" width="[^"]+" height="(\d+)" rx="4" class="step"/>'
                       r'<text x="[^"]+" y="([\d.]+)"[^>]*>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>', drawn)
    for top, height, baseline, body in texts:  # every line sits inside its box
        lines = body.count("<tspan")
        assert float(baseline) + svg.LINE * (lines - 1) < float(top) + float(height)
