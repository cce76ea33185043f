"""The CDS Hooks service as pure functions: discovery, a hook call, feedback -- JSON in, JSON out, no HTTP.

``CdsService(engine, base_url, release)`` answers ``discovery()``, ``call(service_id, request)`` and
``feedback(service_id, body)``; a request the service cannot use raises :class:`CdsRequestError` with the
HTTP status to send (400 malformed, 404 unknown service, 412 no prefetch). The HTTP layer
(``iakg.serve.cds``) only moves bytes.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from iakg.cds.cards import RESEARCH, CardMaker
from iakg.cds.decide import decide
from iakg.cds.fhir import FactReader
from iakg.cds.graph import GraphView
from iakg.cds.mapping import Mapping
from iakg.cds.mapping import load as load_mapping
from iakg.errors import CdsRequestError, UnknownNameError
from iakg.rdf.engine import QueryEngine

#: service id -> hook; the same decision logic answers both
SERVICES = {"iakg-imaging-order-select": "order-select", "iakg-imaging-order-sign": "order-sign"}
#: the prefetch templates of every service (CDS Hooks 2.0 "Prefetch Template"; tokens from the hook's context)
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "observations": "Observation?patient={{context.patientId}}&_sort=-date&_count=100",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
}


class CdsService:
    """Order-time decision support from one read-only graph."""

    def __init__(self, engine: QueryEngine, base_url: str, release: str, mapping: Mapping | None = None,
                 feedback_log: Path | str | None = None):
        self.view = GraphView(engine)
        self.mapping = mapping or load_mapping()
        facts = self.view.facts()
        keys = {f.key for f in facts}
        for rules in self.mapping.facts.values():
            for rule in rules:
                if rule.fact not in keys:
                    import difflib
                    raise UnknownNameError(f"patient fact (in {self.mapping.path})", rule.fact,
                                           difflib.get_close_matches(rule.fact, sorted(keys), 5, 0.5))
        self.reader = FactReader(facts, self.mapping)
        self.cards = CardMaker(self.view, base_url, release, {f.key: f.label for f in facts})
        self.release = release
        self.feedback_log = Path(feedback_log) if feedback_log else default_feedback_log()
        self._write_lock = threading.Lock()

    # ---------------------------------------------------------------- discovery
    def discovery(self) -> dict[str, Any]:
        """The discovery response: one service per hook."""
        services = []
        for sid, hook in SERVICES.items():
            services.append({
                "hook": hook, "id": sid,
                "title": f"Imaging appropriateness ({hook}), research/educational",
                "description": (f"Rates draft imaging orders (ServiceRequest) against the imaging-appropriateness "
                                f"knowledge graph ({self.release}), explains the matched scenario with its evidence "
                                f"and suggests better-rated or lower-radiation alternatives. {RESEARCH}"),
                "prefetch": dict(PREFETCH),
                "usageRequirements": (f"{RESEARCH} Send the prefetch: the service never calls the FHIR server. "
                                      "Order codes: LOINC codes the graph holds, a procedure IRI (system "
                                      "urn:ietf:rfc:3986) or a code the site mapping lists."),
            })
        return {"services": services}

    # ---------------------------------------------------------------- a hook call
    def call(self, service_id: str, request: Any) -> dict[str, Any]:
        """Answer one CDS Hooks request: ``{"cards": [...], "systemActions": [...]}``."""
        hook = SERVICES.get(service_id)
        if hook is None:
            raise CdsRequestError(404, f"no CDS service {service_id[:80]!r}; GET /cds-services lists them")
        if not isinstance(request, dict):
            raise CdsRequestError(400, "a CDS Hooks request is one JSON object")
        for name, kind in (("hook", str), ("hookInstance", str), ("context", dict)):
            if not isinstance(request.get(name), kind):
                raise CdsRequestError(400, f"{name}: required ({'an object' if kind is dict else 'a string'})")
        if request["hook"] != hook:
            raise CdsRequestError(400, f"hook: service {service_id} answers {hook}, not {request['hook'][:40]!r}")
        context = request["context"]
        for name in ("userId", "patientId"):
            if not isinstance(context.get(name), str):
                raise CdsRequestError(400, f"context.{name}: required (a string)")
        bundle = context.get("draftOrders")
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise CdsRequestError(400, "context.draftOrders: required (a FHIR R4 Bundle)")
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise CdsRequestError(400, "context.draftOrders.entry: expected a list")
        selections = context.get("selections")
        if hook == "order-select":
            if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
                raise CdsRequestError(400, "context.selections: required for order-select (a list of strings)")
        prefetch = request.get("prefetch")
        if prefetch is not None and not isinstance(prefetch, dict):
            raise CdsRequestError(400, "prefetch: expected an object")
        if not prefetch:
            raise CdsRequestError(412, "no prefetch: send the prefetch this service's discovery lists (the "
                                       "service never calls the FHIR server)")

        orders = [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                  and e["resource"].get("resourceType") == "ServiceRequest"]
        if hook == "order-select":
            chosen = set(selections or [])
            orders = [o for o in orders if isinstance(o.get("id"), str)
                      and (f"ServiceRequest/{o['id']}" in chosen or o["id"] in chosen)]
        patient_facts = self.reader.read(prefetch)
        cards, actions = [], []
        for order in orders:
            reasons = order.get("reasonCode") if isinstance(order.get("reasonCode"), list) else []
            facts = patient_facts.copy()
            if reasons:
                facts = self.reader.read(prefetch, reasons)
            decision = decide(order, facts, self.view, self.mapping)
            cards.append(self.cards.card(decision))
            action = self.cards.system_action(decision)
            if action is not None:
                actions.append(action)
        response: dict[str, Any] = {"cards": cards}
        if actions:
            response["systemActions"] = actions
        return response

    # ---------------------------------------------------------------- feedback
    def feedback(self, service_id: str, body: Any) -> dict[str, Any]:
        """Check a feedback request and append each entry to the JSONL log (never to the graph)."""
        if service_id not in SERVICES:
            raise CdsRequestError(404, f"no CDS service {service_id[:80]!r}; GET /cds-services lists them")
        if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
            raise CdsRequestError(400, "feedback: required (a list)")
        lines = []
        received = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for i, item in enumerate(body["feedback"]):
            _check_feedback(item, f"feedback[{i}]")
            lines.append(json.dumps({**item, "received": received, "service": service_id}, ensure_ascii=False,
                                    sort_keys=True))
        with self._write_lock:
            self.feedback_log.parent.mkdir(parents=True, exist_ok=True)
            with self.feedback_log.open("a", encoding="utf-8") as log:
                log.write("".join(line + "\n" for line in lines))
        return {"received": len(lines)}


def _check_feedback(item: Any, at: str) -> None:
    if not isinstance(item, dict):
        raise CdsRequestError(400, f"{at}: expected an object")
    if not isinstance(item.get("card"), str):
        raise CdsRequestError(400, f"{at}.card: required (the card's uuid)")
    if item.get("outcome") not in ("accepted", "overridden"):
        raise CdsRequestError(400, f"{at}.outcome: 'accepted' or 'overridden'")
    if not isinstance(item.get("outcomeTimestamp"), str):
        raise CdsRequestError(400, f"{at}.outcomeTimestamp: required (ISO 8601, UTC)")
    accepted = item.get("acceptedSuggestions")
    if item["outcome"] == "accepted" and not (isinstance(accepted, list) and accepted
                                              and all(isinstance(a, dict) and isinstance(a.get("id"), str)
                                                      for a in accepted)):
        raise CdsRequestError(400, f"{at}.acceptedSuggestions: required for 'accepted' (a list of {{id}})")
    reason = item.get("overrideReason")
    if reason is not None:
        if not isinstance(reason, dict) or not (isinstance(reason.get("reason"), dict)
                                                or isinstance(reason.get("userComment"), str)):
            raise CdsRequestError(400, f"{at}.overrideReason: a reason (Coding), a userComment, or both")


def default_feedback_log() -> Path:
    """Where feedback goes unless configured: ``$XDG_STATE_HOME/iakg/cds-feedback.jsonl``."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "iakg" / "cds-feedback.jsonl"
