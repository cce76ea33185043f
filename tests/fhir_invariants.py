"""The FHIRPath invariants of FHIR R4B, evaluated with fhirpathpy on every element of a resource.

The invariants come from the StructureDefinition snapshots of the FHIR core package hl7.fhir.r4b.core 4.3.0
(``fixtures/fhir-r4b/invariants.json``, extracted by ``scripts/fhir_invariants.py``; the FHIR specification is
CC0). A resource is walked element by element with the types of its StructureDefinition; every constraint
of an element (and, for an element of a complex type, every constraint of that type's root) is evaluated on
that element, with %resource and %rootResource the resource, and must give true. Warnings are held to the
same rule (a resource of the export meets them all).

fhirpathpy lacks ``hasValue()``; it is given here as the specification defines it (a single primitive value).
It lacks ``htmlChecks()`` too (txt-1, txt-2, on Narrative.div): those two are checked in Python instead (basic
XHTML formatting elements only, no event attributes; some content), and counted apart (``Report.python``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse

SOURCE = Path(__file__).resolve().parent / "fixtures" / "fhir-r4b" / "invariants.json"
XHTML = "{http://www.w3.org/1999/xhtml}"
_OPTIONS = {"userInvocationTable": {"hasValue": {
    "fn": lambda inputs: [len(inputs) == 1 and not isinstance(inputs[0], (dict, list))], "arity": {0: []}}},
    "traceFn": lambda *args: None}


@cache
def definitions() -> dict[str, Any]:
    return json.loads(SOURCE.read_text(encoding="utf-8"))["types"]


_parsed = cache(parse)


def _evaluate(node: dict[str, Any], base: str, expression: str, root: dict[str, Any]) -> list[Any]:
    """``expression`` on ``node`` typed as ``base`` (a type or an element path: choice elements resolve), with
    %resource and %rootResource the resource (fhirpathpy.evaluate's ``base`` form, the text parsed once)."""
    return fhirpathpy.apply_parsed_path(ResourceNode.create_node(node, base), _parsed(expression),
                                        {"resource": root, "rootResource": root}, models["r4"], _OPTIONS)


class Report:
    """What a walk found: failed invariants, invariants skipped (unsupported functions), and counts."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.evaluated = 0
        self.keys: set[str] = set()
        self.python: set[str] = set()  #: invariants checked in Python (htmlChecks)


def check(resource: dict[str, Any], report: Report | None = None) -> Report:
    """Evaluate every invariant on every element of ``resource`` (a Bundle's entries too)."""
    report = report or Report()
    kind = resource["resourceType"]
    assert kind in definitions(), f"no invariants extracted for {kind}: add it to scripts/fhir_invariants.py"
    _walk(resource, kind, kind, resource, f"{kind}/{resource.get('id')}", report)
    return report


def _walk(node: dict[str, Any], kind: str, path: str, root: dict[str, Any], where: str, report: Report) -> None:
    elements = definitions()[kind]["elements"]
    _constraints(node, path, elements[path], root, where, report)
    for name, value in node.items():
        if name in ("resourceType", "fhir_comments") or name.startswith("_"):
            continue
        child_path, child_types = _child(elements, path, name)
        assert child_path is not None, f"{where}: {name} is not an element of {path}"
        for n, item in enumerate(value if isinstance(value, list) else [value]):
            here = f"{where}.{name}[{n}]"
            child = elements[child_path]
            if not isinstance(item, dict):  # a primitive: its element's own constraints
                _constraints(item, child_path, child, root, here, report)
                continue
            if "contentReference" in child:
                _walk(item, kind, child["contentReference"], root, here, report)
            elif "resourceType" in item:  # a resource inside (Bundle.entry.resource): its own root
                check(item, report)
            elif child_types and child_types[0] not in ("BackboneElement", "Element") and child_types[0][:1].isupper():
                _walk(item, child_types[0], child_types[0], root, here, report)
            else:
                _walk(item, kind, child_path, root, here, report)


def _constraints(node: Any, path: str, element: dict[str, Any], root: dict[str, Any], where: str,
                 report: Report) -> None:
    for key, severity, expression, human in element.get("constraints", []):
        if expression == "htmlChecks()":
            report.python.add(key)
            ok = _html_checks(key, node)
        else:
            report.evaluated += 1
            report.keys.add(key)
            ok = _evaluate(node, path, expression, root) == [True]
        if not ok:
            report.failures.append(f"{where}: {key} ({severity}) {human}")


#: the elements a narrative may use (FHIR's narrative rules: basic HTML formatting, tables, lists, links, images)
_ELEMENTS = frozenset("a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 "
                      "h4 h5 h6 hr i img li ol p pre q samp small span strong sub sup table tbody td tfoot th thead "
                      "tr tt ul var".split())


def _html_checks(key: str, div: str) -> bool:
    """txt-1: a well-formed XHTML div of basic formatting elements, no scripts, forms, frames or event
    attributes; txt-2: some non-whitespace content."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(div)
    if key == "txt-2":
        return bool("".join(root.itertext()).strip()) or any(e.tag == f"{XHTML}img" for e in root.iter())
    if root.tag != f"{XHTML}div":
        return False
    for element in root.iter():
        if not element.tag.startswith(XHTML) or element.tag[len(XHTML):] not in _ELEMENTS:
            return False
        if any(name.lower().startswith("on") for name in element.attrib):
            return False
    return True


def _child(elements: dict[str, Any], path: str, name: str) -> tuple[str | None, list[str]]:
    """The element of ``name`` under ``path`` and its type (a choice ``value[x]`` by its JSON name)."""
    direct = f"{path}.{name}"
    if direct in elements:
        return direct, elements[direct]["types"]
    for candidate, element in elements.items():
        if (candidate.startswith(f"{path}.") and candidate.endswith("[x]")
                and candidate.count(".") == path.count(".") + 1):
            stem = candidate[len(path) + 1:-3]
            if name.startswith(stem):
                suffix = name[len(stem):]
                for code in element["types"]:
                    if code[:1].upper() + code[1:] == suffix:
                        return candidate, [code]
    return None, []
