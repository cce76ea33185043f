"""Imaging Appropriateness Knowledge Graph: radiology appropriateness guidance as validated RDF.

>>> import iakg
>>> answer = iakg.load().recommend("pnet-post-resection-surveillance")
>>> answer.procedures[0].label
'CT abdomen and pelvis with IV contrast'
"""

__version__ = "0.2.0"
RELEASE_DATE = "2026-11-25"  #: dcterms:issued/modified of this version's dataset description

from iakg.api import KnowledgeGraph, load  # noqa: E402
from iakg.errors import InputError, KGError, UnknownNameError, ValidationError  # noqa: E402
from iakg.rdf.terms import IRI  # noqa: E402

__all__ = ["IRI", "InputError", "KGError", "KnowledgeGraph", "UnknownNameError", "ValidationError", "load",
           "RELEASE_DATE", "__version__"]
