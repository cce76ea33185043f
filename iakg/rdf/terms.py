"""RDF terms as the API exchanges them: SPARQL-JSON term dicts in, plain Python values out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from iakg.rdf.namespaces import XSD


class IRI(str):
    """A string that is an IRI (so a parameter binds as a resource, not as a text literal)."""

    __slots__ = ()


_NUMERIC = {XSD + "integer": int, XSD + "int": int, XSD + "long": int, XSD + "nonNegativeInteger": int,
            XSD + "positiveInteger": int, XSD + "decimal": Decimal, XSD + "double": float, XSD + "float": float}


def to_python(term: dict[str, str] | None) -> Any:
    """Turn a SPARQL 1.1 JSON term into a Python value (IRI, str, int, Decimal, float, bool or None)."""
    if term is None:
        return None
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return IRI(value)
    if kind == "bnode":
        return "_:" + value
    datatype = term.get("datatype")
    if datatype == XSD + "boolean":
        return value in ("true", "1")
    convert = _NUMERIC.get(datatype or "")
    if convert is not None:
        try:
            return convert(value)
        except (ValueError, ArithmeticError):
            return value
    return value


def to_n3(term: dict[str, str]) -> str:
    """Write a SPARQL JSON term in N-Triples syntax (as SPARQL TSV results do)."""
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    if "xml:lang" in term:
        return f'"{escaped}"@{term["xml:lang"]}'
    datatype = term.get("datatype")
    if datatype and datatype != XSD + "string":
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'
