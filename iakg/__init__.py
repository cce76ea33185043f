"""Imaging Appropriateness Knowledge Graph: radiology appropriateness guidance as validated RDF.

>>> import iakg
>>> answer = iakg.load().recommend("pnet-post-resection-surveillance")
>>> answer.procedures[0].label
'CT abdomen and pelvis with IV contrast'
"""

from typing import TYPE_CHECKING

from iakg.errors import (
                         AmbiguousNameError,
                         BindingError,
                         CdsRequestError,
                         DoseError,
                         InputError,
                         KGError,
                         NetworkAccessError,
                         ParameterError,
                         PluginError,
                         Problem,
                         QueryError,
                         ReasoningError,
                         TableError,
                         UnknownNameError,
                         ValidationError,
)
from iakg.rdf.terms import IRI
from iakg.version import __version__

if TYPE_CHECKING:  # what __getattr__ below gives, for type checkers
    from iakg.api import KnowledgeGraph, load, validate_files

#: Names imported on first use (PEP 562): ``import iakg`` (and so every ``iakg.x`` submodule, the command
#: line's included) does not pay for the whole API; ``iakg.load`` imports it.
_LAZY = {"KnowledgeGraph": "iakg.api", "load": "iakg.api", "validate_files": "iakg.api"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'iakg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["IRI", "AmbiguousNameError", "BindingError", "CdsRequestError", "DoseError", "InputError", "KGError",
           "KnowledgeGraph", "NetworkAccessError", "ParameterError", "PluginError", "Problem", "QueryError",
           "ReasoningError", "TableError", "UnknownNameError",
           "ValidationError", "__version__", "load", "validate_files"]
