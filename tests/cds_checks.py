"""Checks of CDS Hooks responses: a JSON Schema written from the CDS Hooks 2.0 tables, the response
invariants of the CDS Hooks logical models (HL7/cds-hooks, input/fsh/invariants/cds-resp-*.fsh) evaluated
with fhirpathpy, and R4B validation of every FHIR resource with fhir.resources, plus our own check of the
required elements and required codes (the ``element_required`` and ``enum_values`` fhir.resources records
but does not enforce).
"""

from __future__ import annotations

from typing import Any

import fhirpathpy
import jsonschema
from fhir.resources.R4B import get_fhir_model_class

CODING = {"type": "object", "required": ["code", "system"], "properties": {
    "system": {"type": "string"}, "code": {"type": "string"}, "display": {"type": "string"}}}
ACTION = {"type": "object", "required": ["type", "description"], "properties": {
    "type": {"enum": ["create", "update", "delete"]}, "description": {"type": "string"},
    "resource": {"type": "object", "required": ["resourceType"]}, "resourceId": {"type": "string"}}}
SUGGESTION = {"type": "object", "required": ["label"], "properties": {
    "label": {"type": "string"}, "uuid": {"type": "string"}, "isRecommended": {"type": "boolean"},
    "actions": {"type": "array", "items": ACTION}}}
LINK = {"type": "object", "required": ["label", "url", "type"], "properties": {
    "label": {"type": "string"}, "url": {"type": "string", "format": "uri"}, "type": {"enum": ["absolute", "smart"]},
    "appContext": {"type": "string"}, "autolaunchable": {"type": "boolean"}}}
CARD = {"type": "object", "required": ["summary", "indicator", "source"], "properties": {
    "uuid": {"type": "string"}, "summary": {"type": "string", "maxLength": 139}, "detail": {"type": "string"},
    "indicator": {"enum": ["info", "warning", "critical"]},
    "source": {"type": "object", "required": ["label"], "properties": {
        "label": {"type": "string"}, "url": {"type": "string"}, "icon": {"type": "string"}, "topic": CODING}},
    "suggestions": {"type": "array", "items": SUGGESTION},
    "selectionBehavior": {"enum": ["at-most-one", "any"]},
    "overrideReasons": {"type": "array", "items": {**CODING, "required": ["code", "system", "display"]}},
    "links": {"type": "array", "items": LINK}},
    "dependentRequired": {"suggestions": ["selectionBehavior"]}}
RESPONSE = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["cards"],
            "properties": {"cards": {"type": "array", "items": CARD},
                           "systemActions": {"type": "array", "items": ACTION}}}
SERVICE = {"type": "object", "required": ["hook", "description", "id"], "properties": {
    "hook": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
    "id": {"type": "string"}, "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
    "usageRequirements": {"type": "string"}}}
DISCOVERY = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["services"],
             "properties": {"services": {"type": "array", "items": SERVICE}}}

#: (where, FHIRPath) from the CDS Hooks logical models' invariants
CARD_INVARIANTS = {
    "cds-resp-1": "(selectionBehavior = 'at-most-one') implies suggestions.where(isRecommended).count() <= 1",
    "cds-resp-6": "suggestions.exists() implies selectionBehavior.exists()",
}
SUGGESTION_INVARIANTS = {
    "cds-resp-5": "actions.all(description.exists())",
    "cds-resp-7": "actionSelectionBehavior.empty() or actionSelectionBehavior = 'all' or "
                  "actionSelectionBehavior = 'any' or actionSelectionBehavior = 'at-most-one'",
}
ACTION_INVARIANTS = {"cds-resp-2": "(type = 'delete') implies (resourceId.exists() and resource.empty())"}
LINK_INVARIANTS = {"cds-resp-3": "(type != 'smart') implies (appContext.empty())"}
REASONS_INVARIANT = "all(display.exists())"  # cds-resp-4, on a card's overrideReasons


def _holds(node: Any, expression: str) -> bool:
    return fhirpathpy.evaluate(node, expression) == [True]


def check_fhir(resource: dict) -> None:
    """R4B validation of one resource, then every required element and required code present and allowed."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        key = field.alias or name
        if extra.get("element_required"):
            assert resource.get(key) is not None, f"{resource['resourceType']}.{key} is required"
        if extra.get("enum_values") and key in resource:
            assert resource[key] in extra["enum_values"], f"{resource['resourceType']}.{key}: {resource[key]!r}"


def check_response(response: dict) -> None:
    """Every check of a hook response; raise AssertionError (or a validation error) on the first failure."""
    jsonschema.validate(response, RESPONSE)
    for card in response["cards"]:
        assert len(card["summary"]) < 140
        for name, expression in CARD_INVARIANTS.items():
            assert _holds(card, expression), f"{name} fails on card {card.get('uuid')}"
        if "overrideReasons" in card:
            assert fhirpathpy.evaluate(card["overrideReasons"], REASONS_INVARIANT) == [True], "cds-resp-4"
            for coding in card["overrideReasons"]:
                get_fhir_model_class("Coding").model_validate(coding)
        for link in card.get("links", []):
            for name, expression in LINK_INVARIANTS.items():
                assert _holds(link, expression), name
        for suggestion in card.get("suggestions", []):
            for name, expression in SUGGESTION_INVARIANTS.items():
                assert _holds(suggestion, expression), name
            for action in suggestion.get("actions", []):
                check_action(action)
        assert "research" in (card.get("detail", "") + card["source"]["label"]).lower()
    for action in response.get("systemActions", []):
        check_action(action)
        assert action["type"] == "update"


def check_action(action: dict) -> None:
    for name, expression in ACTION_INVARIANTS.items():
        assert _holds(action, expression), name
    if "resource" in action:
        check_fhir(action["resource"])
