"""The W3C SHACL Core test suite (``tests/w3c-shacl/core``, W3C's work: see its README and LICENSE): its cases,
read from the manifests, and the comparison the suite defines
(https://w3c.github.io/data-shapes/data-shapes-test-suite/#validate): the actual report, reduced to the
result predicates the suite names, must be isomorphic to the expected one; messages are compared only where
the expected report states one.

    python tests/w3c_shacl.py --write    rewrite the table of results in docs/validation.md
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, SH, XSD

SUITE = Path(__file__).resolve().parent / "w3c-shacl" / "core"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "validation.md"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")
#: the predicates the expected reports use (the suite: any other triple is removed from the actual report)
KEPT = {RDF.type, SH.result, SH.conforms, SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceConstraint,
        SH.sourceConstraintComponent, SH.sourceShape, SH.value, SH.resultMessage}


@dataclass
class Case:
    """One sht:Validate entry of the suite."""

    name: str              # folder/entry, e.g. "node/and-001"
    label: str
    data: Path
    shapes: Path
    expected: rdflib.Graph | None   # the expected report; None where the suite expects sht:Failure
    conforms: bool | None


def cases() -> list[Case]:
    """Every test of the suite, in the order of its manifests."""
    found = []
    for test_file in _included(SUITE / "manifest.ttl"):
        graph = rdflib.Graph().parse(test_file, format="turtle")
        for manifest in graph.subjects(RDF.type, MF.Manifest):
            for head in graph.objects(manifest, MF.entries):
                for entry in rdflib.collection.Collection(graph, head):
                    found.append(_case(graph, entry, test_file))
    return found


def _included(manifest: Path) -> list[Path]:
    graph = rdflib.Graph().parse(manifest, format="turtle")
    subjects = list(graph.subjects(RDF.type, MF.Manifest))
    includes = [Path(str(i).removeprefix("file://")) for s in subjects for i in graph.objects(s, MF.include)]
    if not includes:
        return [manifest]
    return [f for include in sorted(includes, key=str) for f in _included(include)]


def _case(graph: rdflib.Graph, entry, test_file: Path) -> Case:
    action = graph.value(entry, MF.action)
    result = graph.value(entry, MF.result)
    folder = test_file.parent.name
    name = f"{folder}/{str(entry).rsplit('/', 1)[-1]}"
    data = Path(str(graph.value(action, SHT.dataGraph)).removeprefix("file://"))
    shapes = Path(str(graph.value(action, SHT.shapesGraph)).removeprefix("file://"))
    if result == SHT.Failure:
        return Case(name, str(graph.value(entry, rdflib.RDFS.label)), data, shapes, None, None)
    expected = rdflib.Graph()
    for triple in graph.triples((result, None, None)):
        expected.add(triple)
    for each in graph.objects(result, SH.result):
        for _, p, o in graph.triples((each, None, None)):
            expected.add((each, p, o))
            if p == SH.resultPath:
                _copy_structure(graph, o, expected)
    conforms = graph.value(result, SH.conforms)
    return Case(name, str(graph.value(entry, rdflib.RDFS.label)), data, shapes, expected, bool(conforms.toPython()))


def _copy_structure(graph: rdflib.Graph, node, into: rdflib.Graph) -> None:
    """The triples of the blank nodes reachable from ``node`` (a path: lists, sh:inversePath...)."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, rdflib.BNode) or current in seen:
            continue
        seen.add(current)
        for triple in graph.triples((current, None, None)):
            into.add(triple)
            todo.append(triple[2])


def report_graph(conforms: bool, results: Iterable, expected: rdflib.Graph) -> rdflib.Graph:
    """The actual report as the suite compares it: ``results`` (iakg.validate.results.Result) written with
    the kept predicates, a fresh blank node per result and per path, one per blank node of the data graph
    and one per blank node shape; messages only those the expected report states."""
    from iakg.validate.results import add_path

    wanted_messages = set(expected.objects(None, SH.resultMessage))
    blanks: dict = {}

    def term(node, space: str):
        if isinstance(node, rdflib.BNode):
            return blanks.setdefault((space, node), rdflib.BNode())
        return node

    graph = rdflib.Graph()
    report = rdflib.BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, rdflib.Literal(conforms)))
    for result in results:
        node = rdflib.BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, term(result.focus, "data")))
        if result.path is not None:
            graph.add((node, SH.resultPath, add_path(graph, result.path)))
        if result.value is not None:
            graph.add((node, SH.value, term(result.value, "data")))
        graph.add((node, SH.sourceShape, term(result.source_shape, "shapes")))
        graph.add((node, SH.sourceConstraintComponent, result.component))
        graph.add((node, SH.resultSeverity, result.severity))
        for message in result.messages:
            if message in wanted_messages:
                graph.add((node, SH.resultMessage, message))
    return graph


def _expected_normal(expected: rdflib.Graph) -> rdflib.Graph:
    """The expected report with literals typed xsd:string written as simple literals (RDF 1.1: one term)."""
    from iakg.validate.results import normal

    out = rdflib.Graph()
    for s, p, o in expected:
        if p in KEPT or s not in set(expected.subjects(RDF.type, SH.ValidationResult)):
            out.add((s, p, normal(o)))
    return out


def difference(case: Case, conforms: bool, results: list) -> str | None:
    """None if the report matches the case; else what differs (for the assertion message)."""
    if case.expected is None:
        return "the suite expects a failure (sht:Failure); a report was given"
    expected = _expected_normal(case.expected)
    actual = report_graph(conforms, results, expected)
    if isomorphic(expected, actual):
        return None
    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
    lines = [f"conforms: expected {case.conforms}, got {conforms}"]
    lines += ["expected only: " + " ".join(t.n3() for t in triple) for triple in sorted(only_expected)[:12]]
    lines += ["actual only:   " + " ".join(t.n3() for t in triple) for triple in sorted(only_actual)[:12]]
    return "\n".join(lines)


def result_key(result) -> tuple:
    """What two validators must agree on for one result (messages aside, and blank nodes by label)."""
    return (result.focus, result.path, result.value, result.source_shape, result.component, result.severity)


def same_results(ours: list, theirs: list) -> bool:
    """Whether two validators' results are the same, blank nodes matched by structure (each validator
    loaded the files itself, so the labels differ), messages aside."""
    empty = rdflib.Graph()
    return isomorphic(report_graph(not ours, ours, empty), report_graph(not theirs, theirs, empty))


def from_json(answer: dict) -> tuple[bool, list]:
    """``iakg validate --format json`` read back into (conforms, results): what the CLI says, exactly."""
    from iakg.validate.results import Result

    def term(value):
        if value is None:
            return None
        if value["type"] == "uri":
            return rdflib.URIRef(value["value"])
        if value["type"] == "bnode":
            return rdflib.BNode(value["value"])
        if "xml:lang" in value:
            return rdflib.Literal(value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype")
        return rdflib.Literal(value["value"], datatype=None if datatype in (None, str(XSD.string)) else datatype)

    results = []
    for r in answer["results"]:
        path = None if r["resultPath"] is None else parse_path(r["resultPath"])
        results.append(Result(term(r["focusNode"]), path, term(r["value"]), term(r["sourceShape"]),
                              rdflib.URIRef(r["sourceConstraintComponent"]), rdflib.URIRef(r["resultSeverity"]),
                              tuple(term(m) for m in r["shapeMessages"])))
    return answer["conforms"], results


def parse_path(text: str):
    """A SPARQL property path (as the JSON gives it) back into a path expression, through rdflib's parser."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    from rdflib.plugins.sparql import prepareQuery

    query = prepareQuery(f"SELECT * WHERE {{ ?s {text} ?o }}")
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "triples":
                    found.extend(t[1] for t in value)
                else:
                    walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(query.algebra)
    [path] = found

    def convert(p):
        if isinstance(p, rdflib.URIRef):
            return p
        if isinstance(p, InvPath):
            return "inverse", convert(p.arg)
        if isinstance(p, SequencePath):
            return "sequence", tuple(convert(a) for a in p.args)
        if isinstance(p, AlternativePath):
            return "alternative", tuple(convert(a) for a in p.args)
        if isinstance(p, MulPath):
            return {"*": "zeroOrMore", "+": "oneOrMore", "?": "zeroOrOne"}[p.mod], convert(p.path)
        raise ValueError(f"unexpected path {p!r}")

    return convert(path)


# ------------------------------------------------------------------------------------------ the table
BEGIN, END = "<!-- w3c-shacl-core table: begin -->", "<!-- w3c-shacl-core table: end -->"


def table(outcomes: dict[str, dict[str, str]]) -> str:
    """The table of results in docs/validation.md, from ``outcomes[case]``: ``fast`` and ``pyshacl`` ("pass" or
    "fail") and ``same`` ("yes" or "no"), and ``handed`` (how many of the case's targeted shapes went to
    pyshacl) and ``shapes`` (how many there are)."""
    folders: dict[str, list[str]] = {}
    for name in outcomes:
        folders.setdefault(name.split("/")[0], []).append(name)
    lines = [BEGIN, "", "| tests | count | all shapes compiled | passed, fast path | passed, pyshacl "
             "| same results as pyshacl |", "|---|---|---|---|---|---|"]
    totals: Counter = Counter()
    for folder, names in folders.items():
        row: Counter = Counter()
        for name in names:
            o = outcomes[name]
            row.update(count=1, compiled=int(o["handed"] == "0"), fast=int(o["fast"] == "pass"),
                       pyshacl=int(o["pyshacl"] == "pass"), same=int(o["same"] == "yes"))
        totals.update(row)
        lines.append(f"| `core/{folder}` | {row['count']} | {row['compiled']} | {row['fast']} | {row['pyshacl']} "
                     f"| {row['same']} |")
    lines.append(f"| **all** | **{totals['count']}** | **{totals['compiled']}** | **{totals['fast']}** "
                 f"| **{totals['pyshacl']}** | **{totals['same']}** |")
    lines += ["", "Test by test (shapes: the targeted shapes of the test, and how many of them the fast path "
              "handed to pyshacl):", "", "| test | shapes (handed over) | fast path | pyshacl | same results |",
              "|---|---|---|---|---|"]
    for name, o in outcomes.items():
        lines.append(f"| `core/{name}` | {o['shapes']} ({o['handed']}) | {o['fast']} | {o['pyshacl']} | {o['same']} |")
    lines += ["", END]
    return "\n".join(lines)


def docs_table() -> str | None:
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return None
    return text[text.index(BEGIN):text.index(END) + len(END)]


def run_api() -> dict[str, dict]:
    """Every case through the API, on the fast path and on pyshacl: ``{case: {"fast": report, "pyshacl":
    report}}``."""
    import iakg

    return {case.name: {validator: iakg.validate_files([case.data], shapes=[case.shapes], compiled=compiled)
                        for validator, compiled in (("fast", True), ("pyshacl", False))} for case in cases()}


def outcomes(reports: dict[str, dict]) -> dict[str, dict[str, str]]:
    out = {}
    for case in cases():
        fast, reference = reports[case.name]["fast"], reports[case.name]["pyshacl"]
        row = {name: "pass" if difference(case, r.conforms, r.results) is None else "fail"
               for name, r in (("fast", fast), ("pyshacl", reference))}
        row["same"] = "yes" if same_results(fast.results, reference.results) else "no"
        row["shapes"] = str(len(fast.compiled) + len(fast.handed_over))
        row["handed"] = str(len(fast.handed_over))
        out[case.name] = row
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    current = docs_table()
    new = table(outcomes(run_api()))
    text = DOCS.read_text(encoding="utf-8")
    DOCS.write_text(text.replace(current, new) if current else text + "\n" + new + "\n", encoding="utf-8")
    print(new)
