"""Imaging Appropriateness Knowledge Graph: radiology appropriateness guidance as validated RDF.

>>> import iakg
>>> answer = iakg.load().recommend("pnet-post-resection-surveillance")
>>> answer.procedures[0].label
'CT abdomen and pelvis with IV contrast'
"""

__version__ = "0.2.0"  #: the one place the version is written (pyproject reads it; so do the releases)
RELEASE_DATE = "2026-11-25"  #: dcterms:issued/modified of this version's dataset description

from iakg.api import KnowledgeGraph, load  # noqa: E402
from iakg.errors import (  # noqa: E402
                         AmbiguousNameError,
                         BindingError,
                         CdsRequestError,
                         DoseError,
                         InputError,
                         KGError,
                         NetworkAccessError,
                         ParameterError,
                         Problem,
                         QueryError,
                         ReasoningError,
                         TableError,
                         UnknownNameError,
                         ValidationError,
)
from iakg.rdf.terms import IRI  # noqa: E402

__all__ = ["IRI", "AmbiguousNameError", "BindingError", "CdsRequestError", "DoseError", "InputError", "KGError",
           "KnowledgeGraph", "NetworkAccessError", "ParameterError", "Problem", "QueryError", "RELEASE_DATE",
           "ReasoningError", "TableError", "UnknownNameError",
           "ValidationError", "__version__", "load"]
