"""Imaging Appropriateness Knowledge Graph: radiology appropriateness guidance as validated RDF.

>>> import kg
>>> answer = kg.load().recommend("pnet-post-resection-surveillance")
>>> answer.procedures[0].label
'CT abdomen and pelvis with IV contrast'
"""

from .api import KnowledgeGraph, load
from .errors import InputError, KGError, UnknownNameError, ValidationError
from .terms import IRI

__version__ = "0.2.0"
__all__ = ["IRI", "InputError", "KGError", "KnowledgeGraph", "UnknownNameError", "ValidationError", "load",
           "__version__"]
