"""Cards, suggestions and system actions (CDS Hooks 2.0) for the decisions on draft orders.

Every card says it is research/educational, names the graph release in its ``source`` and links the matched
scenario's page. Field rules follow the CDS Hooks 2.0 response tables (summary under 140 characters, detail in
GitHub-flavoured Markdown, ``selectionBehavior`` whenever there are suggestions, a ``display`` on every
override reason). The rating is attached to the draft order by a ``systemActions`` update carrying the
Argonaut PAMA rating extension; no rating is attached when facts are missing or the code is unknown.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from iakg.cds.decide import (
    MISSING,
    NO_CRITERIA,
    NOT_COVERED_KIND,
    RATED,
    UNMAPPED,
    UNRATED,
    Decision,
    describe_value,
)
from iakg.cds.fhir import LOINC, URI_SYSTEM
from iakg.cds.graph import GraphView
from iakg.cds.notices import about, facts_note, indicator, kind_of_pitfall, order_protocol, pitfall_said, warnings
from iakg.domain.model import Ref
from iakg.fhir import CATEGORY_SYSTEM
from iakg.rdf.namespaces import IAKGD

RESEARCH = "Research and educational use only: not for clinical decisions, billing or PAMA reporting."
PAMA_RATING = "http://fhir.org/argonaut/Extension/pama-rating"
PAMA_SYSTEM = "http://fhir.org/argonaut/CodeSystem/pama-rating"
PAMA_CONSULT_ID = "http://fhir.org/argonaut/Extension/pama-rating-consult-id"
PAMA_AUC_APPLIED = "http://fhir.org/argonaut/Extension/pama-rating-auc-applied"
NON_ADHERENCE = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
#: Override reasons offered on a card: codes and displays of HL7's Non-Adherence Reason Codes
#: (HL7/cds-hooks, input/vocabulary/CodeSystem-non-adherence-reason-codes.json), from its clinical selection.
OVERRIDE_REASONS = [
    ("patient-contraindication", "Patient has contraindication to recommended action"),
    ("risk-benefit-ratio", "Recipient assessment of risk/benefit ratio"),
    ("need-more-info", "Could not address recommended action due to need for more information/pending results/"
                       "pending consult"),
    ("expert-contradicts", "Advice from expert contradicts the recommended action"),
    ("policy-contradicts", "Institutional policy/guideline contradicts the recommended action"),
    ("service-not-available", "Treatment or service is not practically available"),
    ("patient-ineligible", "Patient does not meet eligibility for recommended action"),
]
MAX_SUMMARY = 139


def page(iri: str, base_url: str) -> str:
    """The page of a resource on this server (its IRI when it is not one of the graph's own)."""
    return f"{base_url.rstrip('/')}/id/{iri[len(IAKGD):]}" if iri.startswith(IAKGD) else iri


def summary(*parts: str) -> str:
    """Join parts into one summary under 140 characters, shortening the last part if needed."""
    text = "".join(parts)
    if len(text) <= MAX_SUMMARY:
        return text
    head = "".join(parts[:-1])
    room = MAX_SUMMARY - len(head) - 1
    if room <= 10:
        head, room = "", MAX_SUMMARY - 1
        parts = (text,)
    cut = parts[-1][:room]
    if " " in cut[room // 2:]:
        cut = cut[:cut.rindex(" ")]
    return head + cut.rstrip(" ,;:") + "…"


def _cell(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _a(critical: bool) -> str:
    return "a critical error (see detail)" if critical else "a pitfall (see detail)"


def _order_label(order: dict) -> str:
    code: dict[str, Any] = order["code"] if isinstance(order.get("code"), dict) else {}
    text = code.get("text") if isinstance(code.get("text"), str) else None
    if text:
        return text[:80]
    listed = code.get("coding")
    for coding in listed if isinstance(listed, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return coding["display"][:80]
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return f"{coding.get('system', '?')}|{coding['code']}"[:80]
    return "this order"


class CardMaker:
    """Builds the response parts for decisions, for one server (its base URL) and graph release."""

    def __init__(self, view: GraphView, base_url: str, release: str, fact_labels: dict[str, str]):
        self.view, self.base_url, self.release, self.fact_labels = view, base_url, release, fact_labels

    def source(self, scenario: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"label": f"{self.release} (research/educational; its sources' terms apply)"}
        out["url"] = page(scenario, self.base_url) if scenario else self.base_url.rstrip("/") + "/cds-services"
        return out

    def card(self, decision: Decision) -> dict[str, Any]:
        maker = {RATED: self._rated, UNRATED: self._unrated, MISSING: self._missing, NO_CRITERIA: self._none,
                 NOT_COVERED_KIND: self._not_covered, UNMAPPED: self._unmapped}[decision.kind]
        card = maker(decision)
        lowest = decision.rated is not None and self.view.lowest(decision.rated.category)
        card["indicator"] = indicator(decision, card["indicator"], lowest)
        card["uuid"] = str(uuid.uuid4())
        scenario = decision.plan.scenario if decision.plan is not None else None
        if scenario is not None:  # the drill-down (the spec keeps source.url for the data set)
            card["links"] = [{"label": f"Scenario: {scenario.label}"[:120], "url": page(scenario.iri, self.base_url),
                              "type": "absolute"}]
        card["detail"] = f"*{RESEARCH}*\n\n" + card.get("detail", "") + facts_note(decision)
        if decision.reading is not None:
            card["summary"] = summary("Read from the order's text (confirm): ", card["summary"])
            card["detail"] += self._text_note(decision)
        if card.get("suggestions"):
            card["selectionBehavior"] = "at-most-one"
        else:
            card.pop("suggestions", None)
        if decision.kind in (RATED, UNRATED):
            card["overrideReasons"] = [{"system": NON_ADHERENCE, "code": c, "display": d} for c, d in OVERRIDE_REASONS]
        return card

    # ---------------------------------------------------------------- the five kinds
    def _rated(self, d: Decision) -> dict[str, Any]:
        assert d.plan is not None and d.rated is not None and d.procedure is not None
        scenario = d.plan.scenario
        head = f"{d.procedure.label}: {d.rated.category_text} for "
        if d.pitfalls:
            head = f"{d.procedure.label}: {d.rated.category_text}, but {kind_of_pitfall(d)}: "
            scenario_label = pitfall_said(d)
        elif d.contraindication:
            head = f"{d.procedure.label}: {d.rated.category_text}, but stated {d.contraindication}; see "
            scenario_label = "alternatives"
        elif d.condition:
            head, scenario_label = f"{d.procedure.label}: {d.rated.category_text}, but a stated fact bears on ", \
                "its condition"
        elif d.not_addressed:
            head, scenario_label = f"{d.procedure.label}: {d.rated.category_text}, but ", d.not_addressed[0].text
        else:
            scenario_label = scenario.label
        detail = warnings(d) + [self._why(d), self._table(d.plan.recommendation.procedures, d.procedure.iri,
                                                                d.plan.pediatric), self._evidence(d), order_protocol(d)]
        detail += about(d)
        if d.pama is None:
            detail.append(f"No PAMA rating is attached: the site's rating map has no entry for "
                          f"`{d.rated.category.rsplit('/', 1)[-1]}`.")
        else:
            detail.append(f"Rating attached to the draft order: `{d.pama}` (Argonaut PAMA rating).")
        return {"summary": summary(head, scenario_label), "indicator": "info",
                "source": self.source(scenario.iri), "detail": "\n\n".join(p for p in detail if p),
                "suggestions": self._suggestions(d)}

    def _unrated(self, d: Decision) -> dict[str, Any]:
        assert d.plan is not None and d.procedure is not None
        scenario = d.plan.scenario
        rated = d.plan.recommendation.procedures
        detail = warnings(d) + [self._why(d)]
        if rated:
            detail += [f"The scenario does not rate **{d.procedure.label}**: no criteria apply to this order. "
                       "What it rates:", self._table(rated, None, d.plan.pediatric)]
        else:
            detail.append(f"The graph holds no appropriateness rating for this scenario, so none for "
                          f"**{d.procedure.label}**: no criteria apply to this order.")
        if d.plan.indications:
            detail.append("What the source says for this situation (not a rating):\n" + "\n".join(
                f"- {hit.indication.label}" + (f" (its words: \"{hit.qualifier}\")" if hit.qualifier else "")
                + f" [{hit.trigger}]" for hit in d.plan.indications))
        detail.append(order_protocol(d))
        detail += about(d)
        if d.pama is None:
            why = [f"`{k}`" for k in d.missing] + [f"the population of {s.label} (the source does not state whom "
                                                    "it is for)" for s in d.unstated_population]
            detail.append("**No rating attached:** another scenario that rates this order may apply; what would "
                          "decide it is unknown: " + ", ".join(why) + ".")
        else:
            detail.append("Rating attached to the draft order: `no-criteria-apply`.")
        if d.pitfalls:
            head, tail = f"{d.procedure.label}: {kind_of_pitfall(d)}: ", pitfall_said(d)
        elif d.contraindication:
            head, tail = f"{d.procedure.label}: not rated, and stated {d.contraindication}", ""
        else:
            head, tail = f"{d.procedure.label}: not rated for ", scenario.label
        return {"summary": summary(head, tail), "indicator": "info",
                "source": self.source(scenario.iri), "detail": "\n\n".join(p for p in detail if p),
                "suggestions": self._suggestions(d)}

    def _not_covered(self, d: Decision) -> dict[str, Any]:
        assert d.procedure is not None
        why = "; ".join(d.not_covered)
        lines = [f"**Not covered by this source ({why}).** The graph's guidance for this order is not for this "
                 "patient, so it gives no rating and no dose for them: the order gets `no-criteria-apply`.",
                 "Scenarios checked:"]
        lines += [f"- [{v.scenario.label}]({page(v.scenario.iri, self.base_url)}): {v.status}"
                  + (f" ({v.not_covered})" if v.not_covered else "") for v in d.considered]
        first = d.considered[0].scenario.iri if d.considered else None
        return {"summary": summary(f"{d.procedure.label}: not covered by this source (", why, ")"),
                "indicator": "warning", "source": self.source(first), "detail": "\n\n".join(lines)}

    def _missing(self, d: Decision) -> dict[str, Any]:
        assert d.procedure is not None
        names = [f"`{k}` ({self.fact_labels.get(k, k)})" for k in d.missing]
        scenarios = [f"- [{v.scenario.label}]({page(v.scenario.iri, self.base_url)}): {v.status}"
                     for v in d.considered] or ["- no scenario could be checked with the facts stated"]
        detail = warnings(d)
        if d.conflicting:
            detail.append("**No rating.** Facts stated together that the source treats as distinct clinical "
                          "questions, each with its own imaging pathway, which this workflow does not cover "
                          "together (stated, so conflicting rather than missing): " + ", ".join(
                              f"`{k}` ({self.fact_labels.get(k, k)})" for k in dict.fromkeys(d.conflicting)) + ".")
        if names:
            detail += ["**No rating yet.** Facts that would decide which scenario applies are not stated:",
                       "\n".join(f"- {n}" for n in names)]
        if d.unstated_population:
            detail.append("**No rating.** The source does not state whom these scenarios are for, so the graph "
                          "never applies them to a patient: " + ", ".join(
                              f"[{s.label}]({page(s.iri, self.base_url)})" for s in d.unstated_population) + ".")
        detail += ["Scenarios that rate this procedure, as far as the stated facts tell:", "\n".join(scenarios)]
        if names:
            detail.append("Record these facts (coded as the graph's CodeSystem or the site mapping lists) and re-run.")
        elif d.conflicting:
            detail.append("Decide which clinical question this order answers, record only its facts and re-run.")
        detail.append("No rating is attached to the draft order.")
        detail += about(d)
        first = d.considered[0].scenario.iri if d.considered else None
        if d.critical_every_way:
            text = summary(f"{d.procedure.label}: no rating, but a critical error whichever scenario applies: ",
                           pitfall_said(d))
        elif d.pitfalls:
            text = summary(f"{d.procedure.label}: no rating; the source may call it {_a(d.pitfalls[0].critical)}")
        elif d.conflicting and not names:
            text = summary(f"{d.procedure.label}: no rating; distinct clinical questions stated together: ",
                           ", ".join(dict.fromkeys(d.conflicting)))
        elif names:
            text = summary(f"{d.procedure.label}: no rating; facts needed: ", ", ".join(d.missing))
        else:
            text = summary(f"{d.procedure.label}: no rating; the source does not state whom it is for")
        return {"summary": text, "indicator": "info", "source": self.source(first), "detail": "\n\n".join(detail),
                "suggestions": self._suggestions(d)}

    def _none(self, d: Decision) -> dict[str, Any]:
        assert d.procedure is not None
        lines = ["**No criteria apply.** No scenario of this graph that rates this procedure applies to the "
                 "patient, so the order gets `no-criteria-apply`: the graph neither supports nor advises against it."]
        for v in d.considered:
            failed = [c for c in v.checks if (c.kind == "inclusion" and c.outcome == "fails")
                      or (c.kind == "exclusion" and c.outcome == "holds")]
            why = "; ".join(f"{c.kind} {c.criterion.label} [{c.key}={describe_value(c.actual)}]" for c in failed)
            lines.append(f"- [{v.scenario.label}]({page(v.scenario.iri, self.base_url)}): {v.status}"
                         + (f" ({why})" if why else ""))
        if d.match is not None:
            for r in d.match.redirects:
                uses = ", ".join(p.label for p in r.frequently_uses)
                lines.append(f"- The patient belongs to [{r.scenario.label}]({page(r.scenario.iri, self.base_url)})"
                             " instead" + (f"; the source says it frequently uses: {uses}." if uses else "."))
        first = d.considered[0].scenario.iri if d.considered else None
        return {"summary": summary(f"{d.procedure.label}: no criteria in this graph apply to this patient"),
                "indicator": "info", "source": self.source(first), "detail": "\n\n".join(lines)}

    def _unmapped(self, d: Decision) -> dict[str, Any]:
        label = _order_label(d.order)
        detail = (f"The order code of **{_cell(label)}** is not one the graph holds (LOINC codes of its procedures, "
                  f"or a procedure IRI with system `{URI_SYSTEM}`) nor one the site mapping lists. No rating is "
                  "attached.")
        return {"summary": summary("Not evaluated: order code not recognised (", label, ")")[:MAX_SUMMARY],
                "indicator": "info", "source": self.source(None), "detail": detail}

    # ---------------------------------------------------------------- parts
    def _why(self, d: Decision) -> str:
        assert d.plan is not None
        scenario = d.plan.scenario
        lines = [f"**Scenario matched:** [{scenario.label}]({page(scenario.iri, self.base_url)})"]
        if d.verdict is not None:
            for c in d.verdict.checks:
                verb = "holds" if c.outcome == "holds" else "does not hold"
                lines.append(f"- {c.kind}: {c.criterion.label} ({verb}) [{c.key}={describe_value(c.actual)}]")
        return "\n".join(lines)

    def _table(self, procedures, ordered: str | None, pediatric: bool = False) -> str:
        scale = "paediatric" if pediatric else "adult"
        rows = [f"| Procedure | Appropriateness | Radiation ({scale}) | Condition |", "|---|---|---|---|"]
        for p in procedures:
            name = f"**{_cell(p.label)}** (ordered)" if p.procedure == ordered else _cell(p.label)
            level = p.pediatric_radiation if pediatric else p.radiation
            radiation = f"{level.symbol} {level.dose_range}" if level else "not stated"
            rows.append(f"| {name} | {_cell(p.category_text)} | {_cell(radiation)} | {_cell(p.condition or '')} |")
        return "\n".join(rows)

    def _evidence(self, d: Decision) -> str:
        assert d.rated is not None
        evidence = self.view.evidence(d.rated.rating)
        quote = f"> {evidence.quote}" if evidence.quote else "> (no verbatim quote recorded)"
        where = evidence.title or evidence.source or "not stated"
        section = f", section \"{evidence.section}\"" if evidence.section else ""
        rationale = f"\n\nRationale: {d.rated.rationale}" if d.rated.rationale else ""
        terms = "; ".join(t for t in (f"licence {evidence.license}" if evidence.license else "",
                                       evidence.rights or "") if t) or "not stated"
        return f"**Evidence:**\n\n{quote}\n\nSource: {where}{section}.\n\nSource's terms: {terms}{rationale}"

    def _text_note(self, d: Decision) -> str:
        """What the order's free text said, what was read from it, and what still needs confirming."""
        reading = d.reading
        r = reading.resolution
        lines = [f"**Read from the order's free text** (not coded; confirm before relying on it): "
                 f"\"{_cell(reading.text[:300])}\""]
        if r.abstained:
            lines.append(f"- Scenario: none resolved ({_cell(r.why[:300])})")
        else:
            link = page(r.scenario.iri, self.base_url)
            lines.append(f"- Scenario resolved from the text: [{r.scenario.label}]({link})")
        if reading.added:
            lines.append("- Facts read from the text: " + ", ".join(
                f"`{k}`={describe_value(v)}" for k, v in reading.added.items()))
        said = [f"\"{_cell(m.words)}\" = {_cell(m.concept.label)}" for m in r.mentions]
        if said:
            lines.append("- Words matched: " + "; ".join(said))
        if r.negated:
            lines.append("- Read as negated: " + ", ".join(f"\"{_cell(w)}\"" for w in r.negated))
        confirm = list(reading.added) + [k for k in d.missing if k not in reading.added]
        if confirm:
            lines.append("- **Still needs confirming:** " + ", ".join(
                f"`{k}` ({self.fact_labels.get(k, k)})" for k in confirm))
        lines.append("No rating is attached on the strength of free text: record the facts coded and re-run.")
        return "\n\n" + "\n".join(lines)

    def _suggestions(self, d: Decision) -> list[dict[str, Any]]:
        out = []
        for alt in d.alternatives:
            # the condition first, never cut: "if renal function permits" must reach whoever accepts it
            said = "; ".join(x for x in (alt.condition, alt.doubt, alt.protocol, alt.why) if x)
            suggestion: dict[str, Any] = {"label": f"Order {alt.procedure.label} instead ({said})",
                                          "uuid": str(uuid.uuid4())}
            if alt.recommended:  # only stated when true: one recommended suggestion per card
                suggestion["isRecommended"] = True
            suggestion["actions"] = self._replace(d.order, alt.procedure, alt)
            out.append(suggestion)
        return out

    def _replace(self, order: dict, procedure: Ref, alt: Any = None) -> list[dict[str, Any]]:
        """Delete the draft order and create one for ``procedure`` with the same patient, status and intent;
        the source's condition and reason go with it as the new order's notes."""
        codings = [{"system": LOINC, "code": c} for c in self.view.codes_of(procedure.iri)]
        codings.append({"system": URI_SYSTEM, "code": procedure.iri, "display": procedure.label})
        new: dict[str, Any] = {"resourceType": "ServiceRequest", "id": f"iakg-{uuid.uuid4()}",
                               "status": order.get("status") or "draft", "intent": order.get("intent") or "order",
                               "code": {"coding": codings, "text": procedure.label},
                               "subject": copy.deepcopy(order.get("subject"))}
        for key in ("reasonCode", "encounter", "requester"):
            if order.get(key):
                new[key] = copy.deepcopy(order[key])
        notes = [text for text in (alt and alt.condition and f"Condition the source attaches: {alt.condition}",
                                   alt and alt.doubt and f"For this patient: {alt.doubt}",
                                   alt and alt.protocol and f"Protocol the source gives: {alt.protocol}",
                                   alt and alt.reason and f"The source's reason: {alt.reason}",
                                   alt and alt.pitfall and f"The source warns: {alt.pitfall}") if text]
        if notes:
            new["note"] = [{"text": text} for text in notes]
        actions: list[dict[str, Any]] = []
        if isinstance(order.get("id"), str):
            actions.append({"type": "delete", "description": f"Remove the draft order for {_order_label(order)}",
                            "resourceId": f"ServiceRequest/{order['id']}"})
        actions.append({"type": "create", "description": f"Order {procedure.label}", "resource": new})
        return actions

    def system_action(self, d: Decision) -> dict[str, Any] | None:
        """The update attaching the PAMA rating to the draft order (None when no rating can be given)."""
        if d.pama is None or not isinstance(d.order.get("id"), str) or d.reading is not None:
            return None  # no rating without one, without an order id, or on unconfirmed words from free text
        resource = copy.deepcopy(d.order)
        present = resource.get("extension")
        kept = [e for e in (present if isinstance(present, list) else [])
                if not (isinstance(e, dict) and str(e.get("url", "")).startswith("http://fhir.org/argonaut/Extension/pama-rating"))]
        concept: dict[str, Any] = {"coding": [{"system": PAMA_SYSTEM, "code": d.pama}]}
        if d.rated is not None:
            concept["coding"].append({"system": CATEGORY_SYSTEM, "code": d.rated.category.rsplit("/", 1)[-1],
                                      "display": d.rated.category_text})
        kept.append({"url": PAMA_RATING, "valueCodeableConcept": concept})
        kept.append({"url": PAMA_CONSULT_ID, "valueUri": f"urn:uuid:{uuid.uuid4()}"})
        scenario = d.plan.scenario.iri if d.plan is not None else None
        if scenario:
            kept.append({"url": PAMA_AUC_APPLIED, "valueUri": scenario})
        resource["extension"] = kept
        return {"type": "update", "description": f"Attach the appropriateness rating ({d.pama}) to the draft order",
                "resource": resource}
