"""From a free-text reason for exam to the graph's scenarios: rank them, or abstain and say why.

The text is read by :mod:`iakg.domain.reading` (the words the graph gives for its concepts, ConText, the
facts stated). A scenario is a candidate when the text names its disease (a hedged mention, "?X" or
"screening for X", names X only for a scenario of *suspected* X). It is ruled out when a stated fact excludes
it or fails an inclusion criterion (``iakg.domain.matching.match``, the same rules as everywhere), when an
exclusion sends the patient to another scenario, when the stated age group is outside its population (or its
source's), or when the text states another condition status or phase of care. A candidate needs positive
evidence (an inclusion criterion the text meets, or a phase or status it states), and a scenario for a
finding (an inclusion that expects a suspicion or a result to be true) is chosen only if the text states the
finding. A candidate whose criteria or population test a fact the text leaves in doubt (read both ways, or
named without a value it has: an age no population group's reading range holds, "adolescent") is *in doubt*
and never the answer: the resolution says what was read and which fact to state. The best candidate is the
answer unless another scores the same. Scenarios the source gives no guidance for (no rating, no criterion: the
places it sends excluded patients) are never the answer: they are named as where the patient belongs.

Otherwise the resolver **abstains**, with the reason and the facts that would decide. It never guesses.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from iakg.catalogue import internal, run
from iakg.domain.model import Ref
from iakg.domain.model_resolution import Candidate, Mention, Resolution
from iakg.domain.reading import Reader, Reading
from iakg.errors import InputError
from iakg.rdf.engine import QueryEngine

#: ConText categories that hedge a mention
_HEDGED = {"POSSIBLE_EXISTENCE", "HYPOTHETICAL"}


@dataclass
class _Scenario:
    ref: Ref
    diseases: set[str] = field(default_factory=set)
    populations: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    answerable: bool = False


class Resolver:
    """Resolves reasons for exam against one graph: its lexicon and scenarios are read once, then cached."""

    def __init__(self, engine: QueryEngine):
        self.engine = engine
        self.reader = Reader(engine)
        self.concepts = self.reader.concepts
        self.scenarios: dict[str, _Scenario] = {}
        for r in engine.execute(internal("resolve-scenarios")).rows():
            s = self.scenarios.setdefault(r["scenario"], _Scenario(Ref(r["scenario"], r["label"])))
            for attr, key in (("diseases", "disease"), ("populations", "population"), ("statuses", "status"),
                              ("phases", "phase"), ("sources", "source")):
                if r[key] is not None:
                    getattr(s, attr).add(r[key])
            s.answerable = s.answerable or r["answerable"] is True
        self._source_populations: dict[str, set[str]] = {}
        for s in self.scenarios.values():
            for source in s.sources:
                self._source_populations.setdefault(source, set()).update(s.populations)
        #: the fact keys each scenario's criteria and population groups test; a population group's plural name
        self._tests: dict[str, set[str]] = {}
        self._plurals: dict[str, str] = {}
        for r in run(engine, "eligibility"):
            if r["kind"] in ("inclusion", "exclusion", "population"):
                self._tests.setdefault(r["scenario"], set()).add(r["key"])
            if r["kind"] == "population" and r["altLabel"] is not None:
                self._plurals[r["criterion"]] = r["altLabel"]
        for s in self.scenarios.values():  # a scenario without population groups is read with its source's
            if self.reader.age_key is not None and self._populations(s):
                self._tests.setdefault(s.ref.iri, set()).add(self.reader.age_key)
        self._matches: dict[frozenset[Any], Any] = {}
        self._lock = threading.Lock()

    def _populations(self, s: _Scenario) -> set[str]:
        """A scenario's population groups, or (when it names none) those of its source's scenarios."""
        return s.populations or set().union(*(self._source_populations.get(x, set()) for x in s.sources))

    def read(self, text: str) -> Reading:
        """What a text states (:meth:`Reader.read`)."""
        return self.reader.read(text)

    def _match(self, facts: dict[str, Any]) -> Any:
        from iakg.domain.matching import match

        key = frozenset(facts.items())
        hit = self._matches.get(key)
        if hit is None:
            hit = match(self.engine, dict(facts)) if facts else None
            with self._lock:
                if len(self._matches) > 10_000:
                    self._matches.clear()
                self._matches[key] = hit
        return hit

    def resolve(self, text: str) -> Resolution:
        """Rank the graph's scenarios for a reason for exam, or abstain (see the module's docstring)."""
        reading = self.read(text)
        mentions, facts = reading.mentions, reading.facts
        named = {m.concept.iri: m for m in mentions if m.role == "disease" and "NEGATED_EXISTENCE" not in m.context}
        try:
            result = self._match(facts)
        except InputError as exc:  # facts the matcher refuses together (distinct clinical questions): say so
            return Resolution(text, True, (), facts, tuple(reading.negated), f"not enough to choose: {exc.message}",
                              tuple(mentions), (), tuple(reading.conflicting))
        verdicts = {v.scenario.iri: v for v in result.scenarios} if result is not None else {}
        belongs = tuple(dict.fromkeys(r.scenario for r in result.redirects)) if result is not None else ()
        doubts = self._doubts(reading, named)
        candidates = self._candidates(mentions, named, facts, verdicts, belongs, doubts)
        viable = [c for c in candidates if c.status == "candidate"]
        def missing_of(iri: str) -> tuple[str, ...]:
            return tuple(verdicts[iri].missing) if iri in verdicts else ()

        unplaced = tuple(note for key, note in doubts.items() if key in reading.unplaced)
        answer: Callable[..., Resolution] = partial(
            Resolution, text, True, tuple(candidates), facts, tuple(reading.negated), mentions=tuple(mentions),
            conflicting=tuple(reading.conflicting), belongs_to=belongs, unplaced=unplaced)
        if not named:
            return answer("nothing in the graph fits: the text names no condition of its scenarios")
        in_doubt = [c for c in candidates if c.status == "in doubt"]
        if not viable and in_doubt:
            held = dict.fromkeys(k for c in in_doubt for k in self._tests.get(c.scenario.iri, ()) if k in doubts)
            return answer("in doubt: " + "; ".join(doubts[k] for k in held), missing=tuple(dict.fromkeys(
                (*held, *(k for c in in_doubt for k in missing_of(c.scenario.iri))))))
        if not viable:
            ruled = [c for c in candidates if c.status == "ruled out"]
            reasons = [f"{c.scenario.label}: {'; '.join(c.ruled_out)}" for c in (ruled or candidates)
                       if c.ruled_out and c.status != "no guidance"]
            hedged = [m.words for m in named.values() if set(m.context) & _HEDGED]
            if not candidates and hedged:
                reasons = [f"the text names {', '.join(hedged)} only as a suspicion or something to look for, and "
                           "no scenario of the graph is for a suspected one"]
            why = ("not covered: no scenario with guidance fits the text" if ruled or not candidates else
                   "not enough to choose: the text names the condition but nothing that decides between its "
                   "scenarios") + (" (" + " | ".join(reasons) + ")" if reasons else "")
            if belongs:
                why += "; the source places this patient in: " + "; ".join(r.label for r in belongs)
            if doubts:
                why += "; in doubt: " + "; ".join(doubts.values())
            missing = tuple(dict.fromkeys(k for c in candidates if c.status == "no evidence"
                                          for k in missing_of(c.scenario.iri)))
            return answer(why, missing=missing)
        tied = [c for c in viable if c.score == viable[0].score]
        if len(tied) > 1:
            return answer("ambiguous: the text fits " + " and ".join(c.scenario.label for c in tied) + " equally",
                          missing=tuple(dict.fromkeys(k for c in tied for k in missing_of(c.scenario.iri))))
        best = viable[0]
        ranked = (Candidate(best.scenario, best.score, "answer", best.evidence), *candidates[1:])
        return Resolution(text, False, ranked, facts, tuple(reading.negated), f"resolved to {best.scenario.label}",
                          tuple(mentions), missing_of(best.scenario.iri), tuple(reading.conflicting), belongs,
                          unplaced)

    def _doubts(self, reading: Reading, named: dict[str, Mention]) -> dict[str, str]:
        """The facts the text leaves in doubt, each with what was read: stated both ways, or named without a
        value (an age no population group's reading range holds: the population groups of the scenarios of the
        conditions named are said, and that the source states no age threshold, as no source of the graph
        does: a group's reading range is the project's reading convention)."""
        out = {key: f"{key} stated both ways (" + "; ".join(f"\"{words}\": {_show(v)}" for words, v in stated)
                    + "): not used" for key, stated in reading.conflicting.items()}
        age_key = self.reader.age_key
        groups = sorted({self._plurals.get(p, self.concepts[p].label if p in self.concepts else p)
                         for s in self.scenarios.values() if s.diseases & set(named) for p in self._populations(s)})
        for key, words in reading.unplaced.items():
            if key in out:
                continue
            if key == age_key:
                source = f" (the source is for {', '.join(groups)} and states no age threshold)" if groups else ""
                out[key] = f"{', '.join(words)} read: not placed in a population group{source}: state {key}"
            else:
                out[key] = f"{', '.join(words)} read: not placed in a value of {key}: state {key}"
        return out

    def _candidates(self, mentions: list[Mention], named: dict[str, Mention], facts: dict[str, Any],
                    verdicts: dict[str, Any], belongs: tuple[Ref, ...], doubts: dict[str, str]) -> list[Candidate]:
        """Every scenario whose disease the text names, scored, with what rules it out; best first."""
        def stated(role: str) -> set[str]:
            return {m.concept.iri for m in mentions if m.role == role and "NEGATED_EXISTENCE" not in m.context}

        statuses, phases = stated("status"), stated("phase")
        suspected = {c.iri for c in self.concepts.values() if c.role == "status" and "suspect" in c.label.lower()}
        if any(set(m.context) & _HEDGED for m in named.values()):
            statuses |= suspected
        age_key = next((c.key for c in self.concepts.values() if c.role == "population" and c.key), None)
        age = facts.get(age_key) if age_key else None
        group = {c.notation: c.iri for c in self.concepts.values() if c.role == "population"}
        targets = {r.iri for r in belongs}
        def label(iris: Iterable[str]) -> str:
            return ", ".join(sorted(self.concepts[x].label for x in iris if x in self.concepts))
        out: list[Candidate] = []
        for s in self.scenarios.values():
            # a hedged mention ("?X", "r/o X", "screening for X") names X only for a scenario of suspected X
            said = sorted(d for d in s.diseases & set(named)
                          if not set(named[d].context) & _HEDGED or s.statuses & suspected)
            if not said or (not s.answerable and s.ref.iri not in targets):
                continue
            disease = named[said[0]]
            evidence = [f"disease: \"{disease.words}\" = {disease.concept.label}"]
            ruled: list[str] = []
            score, positive = 3.0, False
            populations = self._populations(s)
            if age is not None and populations:
                if group.get(age) in populations:
                    score += 1
                    evidence.append(f"population: {age}")
                else:
                    ruled.append(f"population: the text states {age}; the scenario (or its source) is for "
                                 + label(populations))
            for kind, theirs, ours in (("condition status", s.statuses, statuses), ("phase of care", s.phases, phases)):
                if theirs and ours:
                    if theirs & ours:
                        score, positive = score + 1, True
                        evidence.append(f"{kind}: {label(theirs & ours)}")
                    else:
                        ruled.append(f"{kind}: the text states {label(ours)}")
            findings: list[str] = []
            verdict = verdicts.get(s.ref.iri)
            for check in verdict.checks if verdict is not None else ():
                said_value = f"{check.criterion.label} [{check.key}={_show(check.actual)}]"
                if check.kind == "inclusion" and check.outcome == "holds":
                    score, positive = score + 1, True
                    evidence.append(f"meets: {said_value}")
                elif (check.kind, check.outcome) in (("inclusion", "fails"), ("exclusion", "holds")):
                    ruled.append(f"{check.kind}: {said_value}")
                elif (check.kind, check.outcome) == ("outside scope", "holds"):
                    ruled.append(f"outside the source's scope: {said_value}")
                elif (check.kind, check.outcome) == ("not addressed", "holds"):  # the source is silent on it
                    evidence.append(f"not addressed by the source (the answer does not take it into account): "
                                    f"{said_value}")
                elif check.kind == "inclusion" and check.outcome == "not stated" and check.expected is True:
                    findings.append(check.criterion.label)
            if verdict is not None and verdict.status == "applicable":
                score += 1
            if targets and s.ref.iri not in targets and not ruled:
                ruled.append("the source sends this patient to " + "; ".join(r.label for r in belongs))
            if not s.answerable:
                status = "no guidance"
                ruled.append("the source gives no rating or criteria for it")
            elif ruled:
                status = "ruled out"
            elif findings:  # a scenario for a finding (a suspicion, a result) is chosen only if the text states it
                status = "no evidence"
                ruled = [f"not stated: {f}" for f in findings]
            elif not positive:
                status = "no evidence"
                ruled = ["nothing in the text meets its criteria, phase or status"]
            elif held := [doubts[k] for k in sorted(self._tests.get(s.ref.iri, set()) & doubts.keys())]:
                status = "in doubt"  # it tests a fact the text leaves open: never the answer
                ruled = held
            else:
                status = "candidate"
            out.append(Candidate(s.ref, score, status, tuple(evidence), tuple(ruled)))
        order = {"candidate": 0, "in doubt": 1, "no evidence": 2, "ruled out": 3, "no guidance": 4}
        out.sort(key=lambda c: (order[c.status], -c.score, c.scenario.label))
        return out

    def resolve_many(self, texts: Iterable[str]) -> list[Resolution]:
        """:meth:`resolve` for many texts (each distinct text is read once)."""
        done: dict[str, Resolution] = {}
        return [done.setdefault(t, self.resolve(t)) if t not in done else done[t] for t in texts]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "not stated" if value is None else str(value)


_RESOLVERS: weakref.WeakKeyDictionary[Any, Resolver] = weakref.WeakKeyDictionary()
_RESOLVERS_LOCK = threading.Lock()


def resolver(engine: QueryEngine) -> Resolver:
    """The resolver of an engine, built on first use (it reads the lexicon once)."""
    with _RESOLVERS_LOCK:
        found = _RESOLVERS.get(engine)
        if found is None:
            found = _RESOLVERS[engine] = Resolver(engine)
        return found


def resolve(engine: QueryEngine, text: str) -> Resolution:
    """Rank the scenarios for a free-text reason for exam, or abstain (see the module's docstring)."""
    from iakg.errors import KGError

    if not isinstance(text, str):
        raise KGError("resolve: the reason for exam must be text")
    return resolver(engine).resolve(text)
