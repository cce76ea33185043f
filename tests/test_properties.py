"""Property-based and fuzz tests (hypothesis): hostile parameter values, random files, random arguments."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iakg
from iakg import catalogue
from iakg.errors import KGError
from iakg.rdf.binding import _where_group_start, bind_values
from iakg.rdf.store import load_file

HOSTILE = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(list('"\'<>{}()\\;#?$.:/ \n\t\x00a') + ["DROP ALL", "} UNION {", '"""', "http://"]),
             max_size=20).map("".join),
    st.sampled_from(['x"} ; DROP ALL ; SELECT * {', "> . ?s ?p ?o", "iakgd:x> } UNION { ?a ?b ?c",
                     "http://example.org/a>", "a" * 10_000, "\x00", "true", "1e9", "iakgd:",
                     "https://w3id.org/iakg/id/pnet-post-resection-surveillance"]),
)
PARAMETERISED = [(q.name, p) for q in catalogue.catalogue().values() for p in q.parameters]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("name, parameter", PARAMETERISED, ids=lambda x: getattr(x, "name", x))
@FAST
@given(value=HOSTILE)
def test_no_value_changes_the_shape_of_a_query(graph, name, parameter, value):
    query = catalogue.get(name)
    try:
        bindings = query.bind({parameter.name: value})
    except KGError:
        return  # rejected with a message: fine
    bound = bind_values(query.text, bindings)
    at = _where_group_start(query.text)
    inserted = bound[at:len(bound) - len(query.text[at:])]
    assert bound[:at] == query.text[:at] and bound.endswith(query.text[at:])
    # the inserted text is exactly one VALUES row binding exactly this variable
    rows = list(ox.Store().query(f"SELECT * WHERE {{ {inserted} }}"))
    assert len(rows) == 1 and [v.value for v in ox.Store().query(f"SELECT * WHERE {{ {inserted} }}").variables] \
        == [parameter.name]
    result = graph.query(query.text, bindings)
    assert result.variables == graph.query(query.text, query.example_bindings()).variables


@pytest.mark.parametrize("extension", [".ttl", ".nt", ".jsonld", ".trig"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300),
                      st.lists(st.sampled_from(list('<>@:."{}[](),;_# \n\\a') + ["http://e/", "@prefix", '"""']),
                               max_size=60).map(lambda parts: "".join(parts).encode())))
def test_parsers_fail_only_with_a_located_message(tmp_path_factory, extension, data):
    path = tmp_path_factory.mktemp("fuzz") / f"input{extension}"
    path.write_bytes(data)
    try:
        load_file(ox.Store(), path, "https://w3id.org/iakg/graph/extra")
    except iakg.InputError as exc:
        assert str(exc).startswith(str(path))


COMMANDS = ["recommend", "match", "query", "interval", "dose", "next-steps", "alternatives", "facts",
            "scenarios", "related", "diagnoses", "queries"]
TOKENS = st.one_of(st.sampled_from(["--format", "json", "csv", "--grade", "G1", "--years", "5", "--every",
                                    "6-12", "--param", "scenario=iakgd:x", "--result", "--data", "/nonexistent.ttl",
                                    "pnet-post-resection-surveillance", "--stage", "-x", "", "--", "=", "x=y"]),
                   st.text(max_size=30))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.tuples(st.sampled_from(COMMANDS), st.lists(TOKENS, max_size=6)))
def test_cli_arguments_never_crash(monkeypatch, capsys, argv):
    from iakg import cli
    command, rest = argv
    try:
        code = cli.main([command, *rest])
    except SystemExit as exc:  # argparse: usage error (2) or --help (0)
        code = exc.code
    assert code in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err
