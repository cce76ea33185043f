"""Errors are for people: file, line, column; one line, an exit code, never a traceback (newcomer review 2).

Each case is a message the review found multi-line, unlocated, mislocated or missing: the whole line is
asserted, from the command line (exit 2), from the Python API (a KGError) and from the endpoint (400).
"""

from __future__ import annotations

import json

import pytest

import iakg
from iakg.cli import main

RDFS = "<http://www.w3.org/2000/01/rdf-schema#>"

#: (file name, text, the one-line message: LINE:COL: what is wrong) - the review's own files
QUERIES = [
    ("noprefix.rq", "SELECT ?s WHERE {\n  ?s rdfs:label ?l\n}\n",
     (2, 6, f"unknown prefix 'rdfs:'; declare it with PREFIX rdfs: {RDFS}")),
    ("l4.rq", "SELECT ?s\nWHERE {\n ?s ?p ?o .\n FILTER(?o = ex:x)\n}\n",
     (4, 14, "unknown prefix 'ex:'; declare it with PREFIX")),
    ("agg.rq", "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n",
     (1, 8, "?s is selected but neither grouped nor aggregated; add GROUP BY ?s, or select an aggregate of it "
            "such as SAMPLE(?s)")),
    ("star.rq", "SELECT *\nWHERE { ?s ?p ?o }\nGROUP BY ?s\n",
     (1, 1, "SELECT * cannot be used with GROUP BY or an aggregate; select the grouped variables and the "
            "aggregates by name")),
    ("sub.rq", "SELECT * WHERE {\n  { SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } }\n}\n",
     (2, 12, "?s is selected but neither grouped nor aggregated; add GROUP BY ?s, or select an aggregate of it "
             "such as SAMPLE(?s)")),
    # caught by the engine, not the check: its message, at the user's line, in words
    ("expr.rq", "SELECT (STR(?s) AS ?x)\nWHERE { ?s ?p ?o }\nGROUP BY ?p\n",
     (1, 1, "an expression in SELECT uses a variable that is neither grouped nor aggregated; group by it or "
            "aggregate it")),
    ("bind.rq", "SELECT * WHERE {\n  ?s ?p ?o BIND(1 AS ?o)\n}\n", (3, 2, "the query cannot be read here")),
]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("name", "text", "where"), QUERIES, ids=[q[0] for q in QUERIES])
def test_a_sparql_error_is_one_located_line_in_the_cli(name, text, where, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    line, column, message = where
    code, out, err = _cli(capsys, "query", str(path))
    assert (code, out, err) == (2, "", f"iakg: {path}:{line}:{column}: {message}\n")


@pytest.mark.parametrize(("name", "text", "where"), QUERIES, ids=[q[0] for q in QUERIES])
def test_a_sparql_error_is_the_same_line_from_the_api(name, text, where, graph):
    line, column, message = where
    with pytest.raises(iakg.QueryError) as err:
        graph.query(text)
    assert str(err.value) == f"invalid SPARQL: line {line}, column {column}: {message}"
    assert err.value.position == where


def test_bound_values_do_not_move_the_position(graph):
    """Parameters go in as a VALUES block on the WHERE line: a position after it is still the user's."""
    with pytest.raises(iakg.QueryError) as err:
        graph.query("SELECT * WHERE { ?s ?p ?o BIND(1 AS ?o) }", {"s": iakg.IRI("urn:x:a")})
    assert str(err.value) == "invalid SPARQL: line 1, column 42: the query cannot be read here"


def test_the_check_accepts_what_the_engine_accepts(graph):
    """The check's new refusals refuse nothing the engine runs: grouped, aggregated, bracketed, declared."""
    for text in ("SELECT ?s WHERE { ?s ?p ?o } GROUP BY (?s)",
                 "SELECT ?k (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY (STR(?s) AS ?k)",
                 "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:a\\.b:c }",
                 "SELECT ?s (EXISTS { SELECT (COUNT(*) AS ?m) WHERE { ?a ?b ?c } } AS ?e) WHERE { ?s ?p ?o } LIMIT 1",
                 "SELECT * WHERE { ?s <urn:x:p> \"rdfs:label\", _:b } LIMIT 1"):
        graph.query(text)


def test_the_endpoint_answers_the_same_line_at_the_users_position(graph):
    """The endpoint puts a BASE line before the query the engine reads: its positions are the client's."""
    import http.client
    import urllib.parse

    from iakg.serve.app import Endpoint

    with Endpoint(graph) as running:
        host, port = urllib.parse.urlsplit(running.url).netloc.split(":")
        for _, text, (line, column, message) in QUERIES + [("one.rq", "SELECT ?s (SUM(?o) AS ?n) ?p WHERE "
                                                                       "{ ?s ?p ?o } GROUP BY ?s", (1, 27, ""))]:
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("POST", "/sparql", text.encode(), {"Content-Type": "application/sparql-query"})
            response = conn.getresponse()
            body = response.read().decode()
            conn.close()
            if not message:  # a one-line query (the review's agg.rq was answered "error at 2:46")
                message = ("?p is selected but neither grouped nor aggregated; add GROUP BY ?p, or select an "
                           "aggregate of it such as SAMPLE(?p)")
            assert (response.status, body) == (400, f"invalid SPARQL: line {line}, column {column}: {message}\n")


def test_the_engines_own_message_is_one_line_without_character_ranges():
    """What the engine still refuses is reported from its message: no Unicode ranges, the user's line."""
    from iakg.rdf.sparql_errors import engine_error

    said = ("error at 3:16: expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\\u{00B7}' |\n"
            "'\\u{203F}'..='\\u{2040}'], ['.'], [':'], ['\\\\'], ['_']")
    query = "SELECT ?s WHERE {\n  ?s rdfs:label ?l\n}\n"
    error = engine_error(said, "BASE <x:>\n" + query, query, lambda at: at - len("BASE <x:>\n"))
    assert str(error) == (f"invalid SPARQL: line 2, column 6: unknown prefix 'rdfs:'; declare it with PREFIX "
                          f"rdfs: {RDFS}")
    error = engine_error('error at 1:27: expected one of ",", ".", ";", "{", "}", "~", [_]', "SELECT * { ?s ?p ?o ",
                         "SELECT * { ?s ?p ?o ")
    assert str(error) == 'invalid SPARQL: line 1, column 20: the query cannot be read here; expected ",", ".", ";", ' \
                         '"{", "}", "~"'
    assert engine_error("some other refusal", "", "") is None


# ---------------------------------------------------------------- item 4: a mistyped prefix in a parameter
def test_a_mistyped_prefix_in_a_parameter_is_refused_with_the_close_prefix(graph, capsys):
    code, out, err = _cli(capsys, "query", "recommendation", "--param",
                          "scenario=iakd:pnet-post-resection-surveillance")
    assert (code, out, err) == (2, "", "iakg: scenario: unknown prefix 'iakd:'; did you mean iakgd:?\n")
    with pytest.raises(iakg.ParameterError) as error:
        graph.run("recommendation", scenario="iakd:pnet-post-resection-surveillance")
    assert str(error.value) == "scenario: unknown prefix 'iakd:'; did you mean iakgd:?"
    with pytest.raises(iakg.ParameterError, match=r"^scenario: unknown prefix 'zzz:'; the prefixes are iakg:, "):
        graph.run("recommendation", scenario="zzz:x")


def test_iris_of_schemes_in_use_are_still_iris(graph):
    assert graph.run("recommendation", scenario="urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66") == []
    assert graph.run("recommendation", scenario="tag:example.org,2026:x") == []
    assert graph.run("recommendation", scenario="https://w3id.org/iakg/id/pnet-post-resection-surveillance")
    assert graph.run("recommendation", scenario="iakgd:pnet-post-resection-surveillance")


# ---------------------------------------------------------------- item 9: a part of several local names
def test_a_part_of_several_local_names_is_ambiguous(graph, capsys):
    code, out, err = _cli(capsys, "recommend", "pnet")
    assert code == 2 and out == ""
    assert err.startswith("iakg: scenario 'pnet' is ambiguous; it matches: ") and err.count("\n") == 1
    named = err.split("it matches: ")[1]
    assert sorted(named.strip().split(", ")) == sorted(
        s.iri.rsplit("/", 1)[-1] for s in graph.scenarios() if s.iri.rsplit("/", 1)[-1].startswith("pnet-"))
    with pytest.raises(iakg.AmbiguousNameError):
        graph.recommend("pnet")
    assert graph.recommend("pnet-post-resection").scenario.label  # one local name holds it: that one


# ---------------------------------------------------------------- item 13: patient files, located
@pytest.mark.parametrize(("facts", "message"), [
    ({"ageGroup": "adult", "tumourGrade": "G1"}, "3:3: unknown patient fact 'tumourGrade'; did you mean: tumorGrade"),
    ({"ageGroup": "adult", "tumorGrade": "g1"}, "3:3: tumorGrade: 'g1' is not one of G1, G2, G3"),
    ({"ageGroup": "adult", "@type": "Person"}, "3:3: @type: a patient file describes one Patient; leave @type out"),
])
def test_a_patient_file_error_names_the_file_line_and_column(facts, message, graph, tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(facts, indent=2) + "\n")
    code, out, err = _cli(capsys, "match", str(path))
    assert (code, out, err) == (2, "", f"iakg: {path}:{message}\n")
    with pytest.raises(iakg.KGError) as error:
        graph.match(path)
    assert str(error.value) == f"{path}:{message}"


def test_a_patient_dict_error_is_unchanged(graph):
    with pytest.raises(iakg.UnknownNameError) as error:
        graph.match({"ageGroup": "adult", "tumourGrade": "G1"})
    assert str(error.value) == "unknown patient fact 'tumourGrade'; did you mean: tumorGrade"


# ---------------------------------------------------------------- item 16: wording
def test_one_row_is_one_row(capsys):
    code, out, _ = _cli(capsys, "query", "scenarios", "--limit", "1")
    assert code == 0 and "\n(1 row)\n" in out


def test_a_missing_table_is_named_without_an_invented_position(tmp_path, capsys):
    missing = tmp_path / "nosuch.csv"
    code, out, err = _cli(capsys, "import", "table", str(missing), "--check")
    assert code == 2 and "Traceback" not in err
    assert err.splitlines()[-1] == f"{missing}: no such file"


def test_counts_take_their_noun_in_the_singular(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    orders.write_text("order,reason,ageGroup\n"
                      "iakgd:ct-abdomen-pelvis-with-iv-contrast,\"pNET surveillance, G1\",adult\n")
    code, out, err = _cli(capsys, "coverage", str(orders))
    assert code == 0, err
    assert out.splitlines()[0].startswith("1 order, 1 distinct reason (")


def test_no_change_is_about_no_resources():
    from iakg.io.notes import _about

    assert (_about(0), _about(1), _about(27)) == ("", ", about 1 resource", ", about 27 resources")
