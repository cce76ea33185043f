"""From a free-text reason for exam to the graph's scenarios: rank them, or abstain and say why.

The words are data in the graph (``skosxl:altLabel``/``hiddenLabel`` with provenance, plain labels), as are
the ConText triggers that say how a mention is meant (negated, historical, possible, hypothetical). A text is
read in four steps:

1. **Mentions.** The text is tokenised by a blank spaCy pipeline; each label of a concept is found in order,
   allowing up to two words in between (``CgA not rising`` is ``CgA rising`` with a ``not`` inside) and
   misspellings of long words (rapidfuzz). A longer match hides the shorter ones inside it.
2. **Context.** medspaCy's ConText marks each mention negated, historical, possible or hypothetical, with the
   triggers the graph lists (a trigger inside a mention negates it too).
3. **Facts.** A mention of a patient fact, or of one of its values, states the value unless its context says
   otherwise: a hypothetical mention (``r/o recurrence``) states nothing; a possible one only for a fact a
   suspicion establishes (``?recurrence``); a historical one only for a fact that is not a current state; a
   negated one the opposite value, unless its label is an example read only when affirmed (``no jaundice``).
   A stated age is read as the population group whose reading range holds it. Two readings that disagree are
   dropped and reported.
4. **Scenarios.** A scenario is a candidate when the text names its disease. It is ruled out when a stated
   fact excludes it or fails an inclusion criterion (``iakg.domain.matching.match``, the same rules as
   everywhere), when the stated age group is outside its population (or its source's), or when the text
   states another condition status or phase of care. A candidate needs positive evidence (an inclusion
   criterion the text meets, or a phase or status it states); the best one is the answer unless another
   scores the same. Scenarios the source gives no guidance for (no rating, no criterion: the places it sends
   excluded patients) are never the answer: they are named as where the patient belongs.

Otherwise the resolver **abstains**, with the reason and the facts that would decide. It never guesses.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from iakg.catalogue import internal
from iakg.domain.model import Ref, to_dict

#: the longest text read (a reason for exam is a line or two; a note is cut here)
MAX_TEXT = 2_000
#: words allowed between the words of one label
MAX_GAP = 2
#: a misspelt word of at least this many letters is matched to a label's word at this rapidfuzz ratio
FUZZY_MIN_LEN, FUZZY_RATIO = 6, 87.0
_ROLES_ORDER = ("disease", "population", "status", "phase", "fact", "value")
_AGE = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:-\s*)?(?:yo\b|y/o|y\.o\.?|yrs?\s*old\b|years?\s*-?\s*old\b|"
                  r"year-old\b|(?:M|F)\b)", re.IGNORECASE)
_HEDGED = {"POSSIBLE_EXISTENCE", "HYPOTHETICAL"}
_ONE_TARGET = {"POSSIBLE_EXISTENCE", "HYPOTHETICAL"}
_LIST_WORDS = {",", "or", "and", "nor", "/", "&"}
_AGED = re.compile(r"\baged?\s+(\d{1,3})\b|\((\d{1,3})\)", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """Words of the text matched to a concept of the graph, and how the context reads them."""

    words: str
    start: int  #: character offsets in the text
    end: int
    concept: Ref
    role: str  #: disease, population, status, phase, fact or value
    context: tuple[str, ...] = ()  #: NEGATED_EXISTENCE, HISTORICAL, POSSIBLE_EXISTENCE, HYPOTHETICAL
    label: str = ""  #: the label matched
    source: str | None = None  #: who asserted the label (prov:wasDerivedFrom)


@dataclass(frozen=True)
class Candidate:
    """A scenario the text may be about: its score, why, and whether the text rules it out."""

    scenario: Ref
    score: float
    status: str  #: answer, candidate, ruled out, no guidance
    evidence: tuple[str, ...]
    ruled_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """What a reason for exam says: the scenarios it fits best first, or an abstention with the reason."""

    text: str
    abstained: bool
    candidates: tuple[Candidate, ...]
    facts: dict[str, Any]
    negated: tuple[str, ...]
    why: str
    mentions: tuple[Mention, ...] = ()
    missing: tuple[str, ...] = ()  #: facts that would decide (the chosen scenario's, or the contenders')
    conflicting: tuple[str, ...] = ()
    belongs_to: tuple[Ref, ...] = ()  #: where the source sends the patient instead (scenarios without guidance)

    @property
    def scenario(self) -> Ref | None:
        """The scenario the text resolves to (None when the resolver abstained)."""
        return None if self.abstained or not self.candidates else self.candidates[0].scenario

    def to_dict(self) -> dict[str, Any]:
        """``{"text", "abstained", "candidates": [{"scenario": {"iri", "label"}, "score", "evidence"}], "facts",
        "negated", ...}``, best candidate first."""
        out = to_dict(self)
        out["candidates"] = [{"scenario": to_dict(c.scenario), "score": c.score, "status": c.status,
                              "evidence": list(c.evidence), "ruled_out": list(c.ruled_out)} for c in self.candidates]
        out["mentions"] = [{"words": m.words, "start": m.start, "end": m.end, "concept": to_dict(m.concept),
                            "role": m.role, "context": list(m.context), "label": m.label, "source": m.source}
                           for m in self.mentions]
        return out


@dataclass
class _Concept:
    iri: str
    role: str
    label: str
    key: str | None = None
    notation: str | None = None
    age: tuple[int, int] | None = None
    current: bool = False
    suspicion: bool = False


@dataclass
class _Label:
    concept: _Concept
    form: str
    tokens: tuple[str, ...]
    value: Any = None
    affirmed_only: bool = False
    source: str | None = None


@dataclass
class _Scenario:
    ref: Ref
    diseases: set[str] = field(default_factory=set)
    populations: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    answerable: bool = False


def _plain(label: str) -> str:
    """A plain label as words a text would use: without a trailing parenthesis ("G1 (low grade)" -> "G1")."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()


class Resolver:
    """Reads reasons for exam against one graph: the lexicon and scenarios are read once, then cached."""

    def __init__(self, engine: Any):
        import spacy
        from medspacy.context import ConText, ConTextRule  # noqa: F401  (registers the pipeline factory)
        from rapidfuzz import fuzz, process

        self.engine = engine
        self._fuzz, self._process = fuzz, process
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!"]})
        context: Any = self.nlp.add_pipe("medspacy_context", config={"rules": None, "input_span_type": "group",
                                                                "span_group_name": "iakg", "span_attrs": None})
        # a hedge or a purpose modifies the one thing it precedes ("suspected recurrent pNET": the recurrence)
        rules = [ConTextRule(r["form"], r["category"], direction=r["direction"],
                             max_targets=1 if r["category"] in _ONE_TARGET and r["direction"] == "FORWARD" else None)
                 for r in engine.execute(internal("resolve-triggers")).rows()]
        context.add(rules)
        self._negators = {r.literal.lower() for r in rules
                          if r.category == "NEGATED_EXISTENCE" and " " not in r.literal}
        self.concepts: dict[str, _Concept] = {}
        for r in engine.execute(internal("resolve-concepts")).rows():
            c = self.concepts.setdefault(r["concept"], _Concept(r["concept"], r["role"], r["label"] or r["concept"]))
            c.key = c.key or r["key"]
            c.notation = c.notation or r["notation"]
            if r["ageFrom"] is not None or r["ageTo"] is not None:
                c.age = (int(r["ageFrom"] or 0), int(r["ageTo"] if r["ageTo"] is not None else 200))
            c.current = c.current or r["current"] is True
            c.suspicion = c.suspicion or r["suspicion"] is True
        self.labels: list[_Label] = []
        seen: set[tuple[str, str, Any]] = set()
        for r in engine.execute(internal("resolve-labels")).rows():
            concept = self.concepts.get(r["concept"])
            if concept is not None and (r["concept"], r["form"].lower(), r["value"]) not in seen:
                seen.add((r["concept"], r["form"].lower(), r["value"]))
                self.labels.append(_Label(concept, r["form"], self._tokens(r["form"]), r["value"],
                                          r["affirmed"] is True, r["source"]))
        for concept in self.concepts.values():  # plain labels of the things a text names by their own name
            if concept.role in ("disease", "population", "status", "phase", "value") and concept.label:
                form = _plain(concept.label)
                if form and (concept.iri, form.lower(), None) not in seen:
                    seen.add((concept.iri, form.lower(), None))
                    self.labels.append(_Label(concept, form, self._tokens(form)))
        self.labels = [lab for lab in self.labels if lab.tokens]
        self._by_first: dict[str, list[_Label]] = {}
        for lab in self.labels:
            self._by_first.setdefault(lab.tokens[0], []).append(lab)
        self._vocabulary = sorted({t for lab in self.labels for t in lab.tokens if len(t) >= FUZZY_MIN_LEN})
        self._known = {t for lab in self.labels for t in lab.tokens}
        self._fuzzy: dict[str, str] = {}
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
        self._matches: dict[frozenset, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ reading
    def _tokens(self, text: str) -> tuple[str, ...]:
        return tuple(t.lower_ for t in self.nlp.make_doc(text) if not t.is_space)

    def _canonical(self, token: str) -> str:
        """A word of the text as a label's word: itself, or the label word a misspelling of it is close to."""
        if token in self._known or len(token) < FUZZY_MIN_LEN or not token.isalpha():
            return token
        hit = self._fuzzy.get(token)
        if hit is None:
            best = self._process.extractOne(token, self._vocabulary, scorer=self._fuzz.ratio,
                                            score_cutoff=FUZZY_RATIO)
            hit = best[0] if best and best[0][0] == token[0] else token
            with self._lock:
                self._fuzzy[token] = hit
        return hit

    def _find(self, words: list[str], stops: set[int]) -> list[tuple[_Label, list[int]]]:
        """Every label found in the words: (label, positions of its words), in order with small gaps."""
        found = []
        for i, word in enumerate(words):
            for lab in self._by_first.get(word, ()):
                positions = [i]
                for want in lab.tokens[1:]:
                    nxt = None
                    for k in range(positions[-1] + 1, min(len(words), positions[-1] + 2 + MAX_GAP)):
                        if words[k] == want:
                            nxt = k
                            break
                        if k in stops:
                            break
                    if nxt is None:
                        break
                    positions.append(nxt)
                if len(positions) == len(lab.tokens):
                    found.append((lab, positions))
        # a longer match hides the shorter ones it covers (the same words may name several concepts)
        found.sort(key=lambda fp: (fp[1][-1] - fp[1][0] + 1 - len(fp[1]), -len(fp[1]), fp[1][0]))
        kept: list[tuple[_Label, list[int]]] = []
        for lab, positions in found:
            clash = [k for k in kept if set(positions) & set(k[1])]
            if all(k[1] == positions for k in clash):
                kept.append((lab, positions))
        return kept

    def read(self, text: str) -> tuple[list[Mention], dict[str, Any], list[str], list[str]]:
        """The mentions in a text, the facts they state, the negated mentions and the conflicting fact keys."""
        from spacy.tokens import Span

        text = text[:MAX_TEXT]
        doc = self.nlp.make_doc(text)
        words = [self._canonical(t.lower_) for t in doc]
        stops = {t.i for t in doc if t.is_punct and t.text not in ("?", "/", "-", "'")}
        found = self._find(words, stops)
        spans = [Span(doc, p[0], p[-1] + 1, label=lab.concept.role) for lab, p in found]
        doc.spans["iakg"] = spans
        for _, component in self.nlp.pipeline:
            doc = component(doc)
        mentions: list[Mention] = []
        values: dict[str, list[tuple[Any, Mention]]] = {}
        negated: list[str] = []
        contexts = []
        used = {k for _, positions in found for k in positions}  # words a label consumed are not triggers
        for (_lab, positions), span in zip(found, doc.spans["iakg"]):
            context = {m.category for m in span._.modifiers
                       if self._applies(m, span, stops, used)} if span.has_extension("modifiers") else set()
            inside = [words[k] for k in range(positions[0] + 1, positions[-1]) if k not in positions]
            if any(w in self._negators for w in inside):
                context.add("NEGATED_EXISTENCE")
            contexts.append(context)
        # a negation runs on through a list of the same fact ("denies abdominal pain, jaundice or flushing")
        order = sorted(range(len(found)), key=lambda i: found[i][1][0])
        for before, after in zip(order, order[1:]):
            gap = words[found[before][1][-1] + 1:found[after][1][0]]
            if ("NEGATED_EXISTENCE" in contexts[before] and found[before][0].concept is found[after][0].concept
                    and found[after][0].value is None and all(w in _LIST_WORDS for w in gap)):
                contexts[after].add("NEGATED_EXISTENCE")
        disease_named = any(lab.concept.role == "disease" and "NEGATED_EXISTENCE" not in ctx
                            for (lab, _), ctx in zip(found, contexts))
        for (lab, _positions), span, context in zip(found, doc.spans["iakg"], contexts):
            c = lab.concept
            m = Mention(span.text, span.start_char, span.end_char, Ref(c.iri, c.label), c.role,
                        tuple(sorted(context)), lab.form, lab.source)
            mentions.append(m)
            if "NEGATED_EXISTENCE" in context:
                negated.append(span.text)
            value = self._value(lab, context)
            if lab.affirmed_only and not disease_named:
                value = None  # an example symptom is read as that fact only about a condition the graph covers
            if value is not None:
                key = c.key or ""
                values.setdefault(key, []).append((value, m))
        for match in (*_AGE.finditer(text), *_AGED.finditer(text)):
            mentions += self._age(int(next(g for g in match.groups() if g)), match, values)
        facts, conflicting = {}, []
        for key, stated in values.items():
            distinct = {v for v, _ in stated}
            if len(distinct) == 1:
                facts[key] = distinct.pop()
            else:
                conflicting.append(key)
        return mentions, facts, list(dict.fromkeys(negated)), conflicting

    @staticmethod
    def _applies(modifier: Any, span: Any, stops: set[int], used: set[int]) -> bool:
        """Whether a ConText modifier reaches a mention: not words of a label ("no evidence of disease" is a
        label, not a negation), and not across a scope's end (medspaCy ends forward scopes at TERMINATE
        triggers; backward ones are ended here)."""
        start, end = modifier.modifier_span
        if any(start <= k < end for k in used) or modifier.category in ("TERMINATE", "PSEUDO"):
            return False
        if start >= span.end:  # a trigger after the mention (backward): no scope end in between
            return not any(span.end <= k < start for k in stops)
        return not any(end <= k < span.start for k in stops)

    def _age(self, years: int, match: re.Match, values: dict[str, list[tuple[Any, Mention]]]) -> list[Mention]:
        """A stated age as the population group whose reading range (iakg:readsAgeFrom/To) holds it."""
        out = []
        for c in self.concepts.values():
            if c.role == "population" and c.age is not None and c.key and c.age[0] <= years <= c.age[1]:
                m = Mention(match.group(0), match.start(), match.end(), Ref(c.iri, c.label), "population",
                            (), "age", None)
                values.setdefault(c.key, []).append((c.notation, m))
                out.append(m)
        return out

    @staticmethod
    def _value(lab: _Label, context: set[str]) -> Any:
        """The value a mention states, or None when its context says it states nothing."""
        c = lab.concept
        if c.key is None or c.role not in ("fact", "value", "population") or "HYPOTHETICAL" in context:
            return None
        if "POSSIBLE_EXISTENCE" in context and not c.suspicion:
            return None
        if "HISTORICAL" in context and c.current:
            return None
        if c.role in ("value", "population"):
            return None if "NEGATED_EXISTENCE" in context else c.notation
        value = lab.value if lab.value is not None else True
        if "NEGATED_EXISTENCE" in context:
            if lab.affirmed_only or not isinstance(value, bool):
                return None
            value = not value
        return value

    # ------------------------------------------------------------------ ranking
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
        mentions, facts, negated, conflicting = self.read(text)
        named = {m.concept.iri: m for m in mentions if m.role == "disease" and "NEGATED_EXISTENCE" not in m.context}
        result = self._match(facts)
        verdicts = {v.scenario.iri: v for v in result.scenarios} if result is not None else {}
        belongs = tuple(dict.fromkeys(r.scenario for r in result.redirects)) if result is not None else ()
        candidates = self._candidates(mentions, named, facts, verdicts, belongs)
        viable = [c for c in candidates if c.status == "candidate"]
        missing_of = lambda iri: tuple(verdicts[iri].missing) if iri in verdicts else ()
        answer = partial(Resolution, text, True, tuple(candidates), facts, tuple(negated), mentions=tuple(mentions),
                         conflicting=tuple(conflicting), belongs_to=belongs)
        if not named:
            return answer("nothing in the graph fits: the text names no condition of its scenarios")
        if not viable:
            reasons = [f"{c.scenario.label}: {'; '.join(c.ruled_out)}" for c in candidates
                       if c.ruled_out and c.status != "no guidance"]
            why = "not covered: no scenario with guidance fits the text" + (
                " (" + " | ".join(reasons) + ")" if reasons else "")
            if belongs:
                why += "; the source places this patient in: " + "; ".join(r.label for r in belongs)
            missing = tuple(dict.fromkeys(k for c in candidates if c.status == "no evidence"
                                          for k in missing_of(c.scenario.iri)))
            return answer(why, missing=missing)
        tied = [c for c in viable if c.score == viable[0].score]
        if len(tied) > 1:
            return answer("ambiguous: the text fits " + " and ".join(c.scenario.label for c in tied) + " equally",
                          missing=tuple(dict.fromkeys(k for c in tied for k in missing_of(c.scenario.iri))))
        best = viable[0]
        ranked = (Candidate(best.scenario, best.score, "answer", best.evidence), *candidates[1:])
        return Resolution(text, False, ranked, facts, tuple(negated), f"resolved to {best.scenario.label}",
                          tuple(mentions), missing_of(best.scenario.iri), tuple(conflicting), belongs)

    def _candidates(self, mentions: list[Mention], named: dict[str, Mention], facts: dict[str, Any],
                    verdicts: dict[str, Any], belongs: tuple[Ref, ...]) -> list[Candidate]:
        """Every scenario whose disease the text names, scored, with what rules it out; best first."""
        stated = lambda role: {m.concept.iri for m in mentions
                               if m.role == role and "NEGATED_EXISTENCE" not in m.context}
        statuses, phases = stated("status"), stated("phase")
        suspected = {c.iri for c in self.concepts.values() if c.role == "status" and "suspect" in c.label.lower()}
        if any(set(m.context) & _HEDGED for m in named.values()):
            statuses |= suspected
        age_key = next((c.key for c in self.concepts.values() if c.role == "population" and c.key), None)
        age = facts.get(age_key) if age_key else None
        group = {c.notation: c.iri for c in self.concepts.values() if c.role == "population"}
        targets = {r.iri for r in belongs}
        label = lambda iris: ", ".join(sorted(self.concepts[x].label for x in iris if x in self.concepts))
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
            populations = s.populations or set().union(*(self._source_populations.get(x, set()) for x in s.sources))
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
            else:
                status = "candidate"
            out.append(Candidate(s.ref, score, status, tuple(evidence), tuple(ruled)))
        order = {"candidate": 0, "no evidence": 1, "ruled out": 2, "no guidance": 3}
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


def resolver(engine: Any) -> Resolver:
    """The resolver of an engine, built on first use (it reads the lexicon once)."""
    with _RESOLVERS_LOCK:
        found = _RESOLVERS.get(engine)
        if found is None:
            found = _RESOLVERS[engine] = Resolver(engine)
        return found


def resolve(engine: Any, text: str) -> Resolution:
    """Rank the scenarios for a free-text reason for exam, or abstain (see the module's docstring)."""
    from iakg.errors import KGError

    if not isinstance(text, str):
        raise KGError("resolve: the reason for exam must be text")
    return resolver(engine).resolve(text)
