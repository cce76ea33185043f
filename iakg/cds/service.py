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
from iakg.cds.decide import MISSING, Decision, decide, identify
from iakg.cds.fhir import FactReader, about, procedure_codings
from iakg.cds.graph import GraphView
from iakg.cds.mapping import Mapping
from iakg.cds.mapping import load as load_mapping
from iakg.errors import CdsRequestError, UnknownNameError
from iakg.rdf.engine import QueryEngine

#: feedback bounds: entries a request, bytes an entry, bytes of the log, entries a second (and at once)
MAX_FEEDBACK_ITEMS = 100
MAX_FEEDBACK_LINE = 16_384
MAX_FEEDBACK_LOG_BYTES = 100 * 2**20
FEEDBACK_PER_S, FEEDBACK_BURST = 20.0, 200

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
        self._rate = _Bucket(FEEDBACK_PER_S, FEEDBACK_BURST)
        #: why feedback cannot be recorded (checked at start: the server says so in one line), or None
        self.feedback_problem = _writable(self.feedback_log)

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
        _refuse_surrogates(request)
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
        patient = context["patientId"]
        patient_facts = self.reader.read(prefetch, patient=patient)
        cards, actions = [], []
        for order in orders:
            named = self._procedures_named(order)
            if len(named) > 1:  # the order's codings name different procedures: no rating for either
                cards.append(self._disagreeing(order, named))
                continue
            reasons = order.get("reasonCode") if isinstance(order.get("reasonCode"), list) else []
            if reasons and not _for_patient(order, patient):
                reasons = []  # an order of another patient: its reasons are not this patient's facts
            facts = patient_facts.copy()
            if reasons:
                facts = self.reader.read(prefetch, reasons, patient=patient)
            decision = decide(order, facts, self.view, self.mapping)
            if decision.kind == MISSING and _for_patient(order, patient):  # no coded fact decides: its free text
                decision = self._from_text(order, prefetch, facts, patient) or decision
            cards.append(self.cards.card(decision))
            action = self.cards.system_action(decision)
            if action is not None:
                actions.append(action)
        response: dict[str, Any] = {"cards": cards}
        if actions:
            response["systemActions"] = actions
        return response

    def _procedures_named(self, order: dict) -> list[str]:
        """The graph's procedures the order's codings name, each coding read alone (in their order)."""
        named: list[str] = []
        for system, code, _ in procedure_codings(order):
            iri = identify({"code": {"coding": [{"system": system, "code": code}]}}, self.view, self.mapping)
            if iri is not None and iri not in named:
                named.append(iri)
        return named

    def _disagreeing(self, order: dict, named: list[str]) -> dict[str, Any]:
        """The card for an order whose codings name different procedures: refused, never rated by one of them."""
        import uuid

        from iakg.cds.cards import summary

        labels = [self.view.label(iri) for iri in named]
        listed = "; ".join(f"**{label}**" for label in labels)
        return {"uuid": str(uuid.uuid4()), "indicator": "warning", "source": self.cards.source(None),
                "summary": summary("Not evaluated: the order's codes name different procedures (",
                                   " / ".join(labels) + ")"),
                "detail": f"*{RESEARCH}*\n\nThe codings of this order name {len(named)} different procedures of "
                          f"the graph: {listed}. A rating of one of them would be attached to an order that may be "
                          "for another, so none is given: correct the order's codes."}

    def _from_text(self, order: dict, prefetch: Any, facts: Any, patient: str) -> Decision | None:
        """The decision with the facts the order's free text states added (None when there is no text)."""
        from iakg.cds import text

        words = text.free_text(order, prefetch, patient)
        if not words.strip():
            return None
        merged, reading = text.read(words, facts, self.view.engine)
        decision = decide(order, merged, self.view, self.mapping)
        decision.reading = reading
        return decision

    # ---------------------------------------------------------------- feedback
    def feedback(self, service_id: str, body: Any) -> dict[str, Any]:
        """Check a feedback request and append each entry to the JSONL log (never to the graph)."""
        if service_id not in SERVICES:
            raise CdsRequestError(404, f"no CDS service {service_id[:80]!r}; GET /cds-services lists them")
        if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
            raise CdsRequestError(400, "feedback: required (a list)")
        _refuse_surrogates(body)
        if len(body["feedback"]) > MAX_FEEDBACK_ITEMS:
            raise CdsRequestError(413, f"feedback: at most {MAX_FEEDBACK_ITEMS} entries a request")
        lines = []
        received = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for i, item in enumerate(body["feedback"]):
            _check_feedback(item, f"feedback[{i}]")
            line = json.dumps({**item, "received": received, "service": service_id}, ensure_ascii=False,
                              sort_keys=True)
            if len(line.encode("utf-8")) > MAX_FEEDBACK_LINE:
                raise CdsRequestError(413, f"feedback[{i}]: larger than {MAX_FEEDBACK_LINE} bytes")
            lines.append(line)
        if self.feedback_problem is not None:
            raise CdsRequestError(503, f"feedback is not recorded: {self.feedback_problem}")
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        with self._write_lock:
            if not self._rate.take(len(lines)):
                raise CdsRequestError(429, "too much feedback at once; send it again in a few seconds")
            try:
                size = self.feedback_log.stat().st_size if self.feedback_log.exists() else 0
                if size + len(data) > MAX_FEEDBACK_LOG_BYTES:
                    raise CdsRequestError(507, f"the feedback log is full ({MAX_FEEDBACK_LOG_BYTES // 2**20} MB); "
                                               "its keeper should move it aside")
                with self.feedback_log.open("ab") as log:
                    log.write(data)
            except OSError as exc:
                raise CdsRequestError(503, f"feedback is not recorded: {self.feedback_log}: "
                                           f"{exc.strerror or type(exc).__name__}") from None
        return {"received": len(lines)}


def _refuse_surrogates(value: Any) -> None:
    """A 400 for a string holding a lone surrogate (JSON's "\\ud800" is no text: it cannot be written out)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise CdsRequestError(400, "a string holds a lone surrogate (e.g. \\ud800 without its pair): not text") \
            from None


class _Bucket:
    """A token bucket: ``rate`` entries a second, at most ``burst`` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), 0.0

    def take(self, count: int) -> bool:
        import time

        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate) if self.at else self.tokens
        self.at = now
        if count > self.tokens:
            return False
        self.tokens -= count
        return True


def _writable(log: Path) -> str | None:
    """None if feedback can be appended to ``log`` (its folder created if needed), else why not (one line)."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab"):
            pass
    except OSError as exc:
        return f"{log}: {exc.strerror or type(exc).__name__} (give a writable --cds-feedback FILE)"
    return None


def _for_patient(order: dict, patient: str) -> bool:
    """True unless the order names another patient as its subject (an order without one is the request's)."""
    return not isinstance(order.get("subject"), dict) or about(order, patient)


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
