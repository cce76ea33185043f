"""Imaging Appropriateness Knowledge Graph: radiology appropriateness guidance as validated RDF.

>>> import kg
>>> answer = kg.load().recommend("pnet-post-resection-surveillance")
>>> answer.procedures[0].label
'CT abdomen and pelvis with IV contrast'
"""

from .api import KnowledgeGraph, load
from .errors import KGError
from .terms import IRI

__version__ = "0.1.0"
__all__ = ["IRI", "KGError", "KnowledgeGraph", "load", "__version__"]
