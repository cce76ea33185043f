"""OWL RL inference adds triples in its own named graph and leaves asserted ones alone."""

from __future__ import annotations

import iakg
from iakg.rdf.namespaces import GRAPH_INFERRED, IAKG, IAKGD


def test_inferred_triples_are_kept_apart(graph):
    reasoned = iakg.load(reason=True)
    ask = "ASK { GRAPH <%s> { <%sct-abdomen-pelvis-with-iv-contrast> a <%sImagingProcedure> } }"
    assert reasoned.query(ask % (GRAPH_INFERRED, IAKGD, IAKG)).boolean is True
    assert graph.query(ask % (GRAPH_INFERRED, IAKGD, IAKG)).boolean is False
    transitive = "ASK { <%stopic-pnet-surveillance-after-resection> <%sancestorTopic> <%shub-pnet-imaging> }"
    assert reasoned.query(transitive % (IAKGD, IAKG, IAKGD)).boolean is True
    assert len(reasoned.asserted_graph()) == len(graph.asserted_graph())
