"""Reading a free-text reason for exam: which concepts of the graph its words name, and what facts they state.

The words are data in the graph: SKOS-XL labels with their provenance (``skosxl:altLabel``/``hiddenLabel``;
``iakg:readsValue`` for words that state a value, ``iakg:affirmedOnly`` for examples) and plain labels, and
the ConText triggers that say how a mention is meant (``iakg:ContextTrigger``). See docs/resolve.md.

1. **Mentions.** The text is split into words and punctuation; each label of a concept is found in order,
   allowing up to two words in between (``CgA not rising`` is ``CgA rising`` with a ``not`` inside) and
   misspellings of long words (rapidfuzz). A contiguous match beats a gapped one, a longer one a shorter one.
2. **Context.** ConText (Harkema et al., J Biomed Inform 2009) marks each mention negated, historical,
   possible or hypothetical with the triggers the graph lists: a FORWARD trigger modifies the mentions after
   it, a BACKWARD one those before it, up to the end of the scope (punctuation, a TERMINATE trigger such as
   "but"); a hedge or a purpose modifies only the nearest mention; a PSEUDO trigger ("no change") hides the
   shorter trigger inside it. Words a label consumed are not triggers ("no evidence of disease" is a label);
   a negator inside a gapped mention negates it; a negation runs on through a list of the same fact.
3. **Facts.** A mention of a patient fact, or of one of its values, states the value unless its context says
   otherwise: a hypothetical mention (``r/o recurrence``) states nothing; a possible one only for a fact a
   suspicion establishes (``?recurrence``); a historical one only for a fact that is not a current state; a
   negated one the opposite value, unless its label is an example read only when affirmed (``no jaundice``),
   and an example only about a condition the graph covers. A stated age is read as the population group whose
   reading range holds it. Two readings that disagree are dropped and reported with their words.
4. **Read, not placed.** An age no group's reading range holds ("17yo"), or a word that names a coded fact
   without one of its values ("adolescent": the age group, no group), is never dropped silently: it is
   reported as read for that fact and not placed, so the resolver does not answer on the fact it leaves open;
   with a value read from other words ("17yo man"), the fact is read both ways.

rapidfuzz is imported when the first reader is built, never on the way to other answers.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from iakg.catalogue import internal
from iakg.domain.model import Ref
from iakg.domain.model_resolution import Mention
from iakg.rdf.engine import QueryEngine

#: the longest text read (a reason for exam is a line or two; a note is cut here)
MAX_TEXT = 2_000
#: words allowed between the words of one label
MAX_GAP = 2
#: a misspelt word of at least this many letters is matched to a label's word at this rapidfuzz ratio
FUZZY_MIN_LEN, FUZZY_RATIO = 6, 87.0
#: an age stated as "58 yo", "58 y/o", "58-year-old", "58M"
_AGE = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:-\s*)?(?:yo\b|y/o|y\.o\.?|yrs?\s*old\b|years?\s*-?\s*old\b|"
                  r"year-old\b|(?:M|F)\b)", re.IGNORECASE)
#: ConText categories whose triggers modify only the nearest mention
_ONE_TARGET = {"POSSIBLE_EXISTENCE", "HYPOTHETICAL"}
#: words and punctuation, with their offsets (punctuation is a token of its own: "s/p" is s, /, p)
_TOKEN = re.compile(r"\w+|[^\w\s]")
#: punctuation that does not end a scope (it belongs to words: "?recurrence", "s/p", "post-op", "Whipple's")
_JOINING = {"?", "/", "-", "'", "&"}
#: words that continue a list ("no pain, jaundice or flushing")
_LIST_WORDS = {",", "or", "and", "nor", "/", "&"}
#: an age stated as "aged 58" or "(13)"
_AGED = re.compile(r"\baged?\s+(\d{1,3})\b|\((\d{1,3})\)", re.IGNORECASE)


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


@dataclass(frozen=True)
class Reading:
    """What a text states: its mentions, the facts read, the negated words, the facts read both ways and the
    facts named without a value."""

    mentions: list[Mention]
    facts: dict[str, Any]
    negated: list[str]
    conflicting: dict[str, list[tuple[str, Any]]]  #: fact key -> (words, value) of each disagreeing reading
    unplaced: dict[str, list[str]]  #: fact key -> words read for it that state none of its values ("age 17")


@dataclass
class _Label:
    concept: _Concept
    form: str
    tokens: tuple[str, ...]
    value: Any = None
    affirmed_only: bool = False
    source: str | None = None


def _plain(label: str) -> str:
    """A plain label as words a text would use: without a trailing parenthesis ("G1 (low grade)" -> "G1")."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()


class _Token:
    __slots__ = ("text", "start", "end")

    def __init__(self, text: str, start: int, end: int):
        self.text, self.start, self.end = text, start, end


def tokens(text: str) -> list[_Token]:
    """The words and punctuation of a text, with their character offsets."""
    return [_Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class _Trigger:
    tokens: tuple[str, ...]
    category: str
    direction: str


class Reader:
    """Reads reasons for exam against one graph's lexicon and triggers (read once, then cached)."""

    def __init__(self, engine: QueryEngine):
        from rapidfuzz import fuzz, process

        self.engine = engine
        self._fuzz, self._process = fuzz, process
        self.triggers: dict[str, list[_Trigger]] = {}
        for r in engine.execute(internal("resolve-triggers")).rows():
            words = tuple(t.text.lower() for t in tokens(r["form"]))
            if words:
                self.triggers.setdefault(words[0], []).append(_Trigger(words, r["category"], r["direction"]))
        self._negators = {t.tokens[0] for ts in self.triggers.values() for t in ts
                          if t.category == "NEGATED_EXISTENCE" and len(t.tokens) == 1}
        self._terminators = {t.tokens[0] for ts in self.triggers.values() for t in ts
                             if t.category == "TERMINATE" and len(t.tokens) == 1}
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
                self.labels.append(_Label(concept, r["form"], self._words(r["form"]), r["value"],
                                          r["affirmed"] is True, r["source"]))
        for concept in self.concepts.values():  # plain labels of the things a text names by their own name
            if concept.role in ("disease", "population", "status", "phase", "value") and concept.label:
                form = _plain(concept.label)
                if form and (concept.iri, form.lower(), None) not in seen:
                    seen.add((concept.iri, form.lower(), None))
                    self.labels.append(_Label(concept, form, self._words(form)))
        self.labels = [lab for lab in self.labels if lab.tokens]
        #: the facts whose values are concepts (a word naming the fact itself states none of them)
        self._coded = {c.key for c in self.concepts.values() if c.role in ("value", "population") and c.key}
        #: the fact a stated age is about (the key of the population groups), and its concept
        self.age_key = next((c.key for c in self.concepts.values() if c.role == "population" and c.key), None)
        self._age_fact = next((c for c in self.concepts.values()
                               if c.role == "fact" and c.key is not None and c.key == self.age_key), None)
        self._by_first: dict[str, list[_Label]] = {}
        for lab in self.labels:
            self._by_first.setdefault(lab.tokens[0], []).append(lab)
        self._vocabulary = sorted({t for lab in self.labels for t in lab.tokens if len(t) >= FUZZY_MIN_LEN})
        self._known = {t for lab in self.labels for t in lab.tokens}
        self._fuzzy: dict[str, str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _words(text: str) -> tuple[str, ...]:
        return tuple(t.text.lower() for t in tokens(text))

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
        # a contiguous match beats a gapped one, a longer one a shorter one; only the words matched clash
        # (the same words may name several concepts: "NEC" is the disease and the fact)
        found.sort(key=lambda fp: (fp[1][-1] - fp[1][0] + 1 - len(fp[1]), -len(fp[1]), fp[1][0]))
        kept: list[tuple[_Label, list[int]]] = []
        for lab, positions in found:
            clash = [k for k in kept if set(positions) & set(k[1])]
            if all(k[1] == positions for k in clash):
                kept.append((lab, positions))
        kept.sort(key=lambda fp: fp[1][0])
        return kept

    def _trigger_spans(self, words: list[str], used: set[int]) -> list[tuple[int, int, _Trigger]]:
        """The context triggers in the words (start, end, trigger): the longest at each place that overlaps no
        label."""
        spans: list[tuple[int, int, _Trigger]] = []
        i = 0
        while i < len(words):
            best = None
            for t in self.triggers.get(words[i], ()):  # the longest that no label consumed ("no" of "no new pain")
                end = i + len(t.tokens)
                if (tuple(words[i:end]) == t.tokens and not used & set(range(i, end))
                        and (best is None or len(t.tokens) > len(best.tokens))):
                    best = t
            if best is not None:
                spans.append((i, i + len(best.tokens), best))
                i += len(best.tokens)
            else:
                i += 1
        return spans

    def _context(self, found: list[tuple[_Label, list[int]]], triggers: list[tuple[int, int, _Trigger]],
                 stops: set[int], words: list[str]) -> list[set[str]]:
        """The ConText categories that reach each mention."""
        out: list[set[str]] = [set() for _ in found]
        starts = [positions[0] for _, positions in found]
        ends = [positions[-1] + 1 for _, positions in found]
        for t_start, t_end, t in triggers:
            if t.direction not in ("FORWARD", "BACKWARD", "BIDIRECTIONAL"):
                continue
            reached = []
            for i in range(len(found)):
                if t.direction in ("FORWARD", "BIDIRECTIONAL") and starts[i] >= t_end \
                        and not any(t_end <= k < starts[i] for k in stops):
                    reached.append((starts[i] - t_end, i))
                if t.direction in ("BACKWARD", "BIDIRECTIONAL") and ends[i] <= t_start \
                        and not any(ends[i] <= k < t_start for k in stops):
                    reached.append((t_start - ends[i], i))
            if t.category in _ONE_TARGET and reached:  # a hedge or a purpose: the nearest mention only
                nearest = min(d for d, _ in reached)
                reached = [(d, i) for d, i in reached if d == nearest]
            for _, i in reached:
                out[i].add(t.category)
        for i, (_, positions) in enumerate(found):  # a negator inside a gapped mention: "CgA not rising"
            if any(words[k] in self._negators for k in range(positions[0] + 1, positions[-1]) if k not in positions):
                out[i].add("NEGATED_EXISTENCE")
        # a negation runs on through a list of the same fact ("denies abdominal pain, jaundice or flushing")
        for before, after in zip(range(len(found)), range(1, len(found))):
            gap = words[found[before][1][-1] + 1:found[after][1][0]]
            if ("NEGATED_EXISTENCE" in out[before] and found[before][0].concept is found[after][0].concept
                    and found[after][0].value is None and all(w in _LIST_WORDS for w in gap)):
                out[after].add("NEGATED_EXISTENCE")
        return out

    def read(self, text: str) -> Reading:
        """The mentions in a text, the facts they state, the negated mentions, the facts read both ways and
        the facts named without a value."""
        text = text[:MAX_TEXT]
        toks = tokens(text)
        words = [self._canonical(t.text.lower()) for t in toks]
        stops = {i for i, t in enumerate(toks)
                 if (not t.text[0].isalnum() and t.text not in _JOINING and t.text != "_")
                 or t.text.lower() in self._terminators}
        found = self._find(words, stops)
        used = {k for _, positions in found for k in positions}
        contexts = self._context(found, self._trigger_spans(words, used), stops, words)
        disease_named = any(lab.concept.role == "disease" and "NEGATED_EXISTENCE" not in ctx
                            for (lab, _), ctx in zip(found, contexts))
        mentions: list[Mention] = []
        values: dict[str, list[tuple[Any, Mention]]] = {}
        negated: list[str] = []
        unplaced: dict[str, list[str]] = {}
        for (lab, positions), context in zip(found, contexts):
            c = lab.concept
            start, end = toks[positions[0]].start, toks[positions[-1]].end
            value = self._value(lab, context)
            if lab.affirmed_only and not disease_named:
                value = None  # an example symptom is read as that fact only about a condition the graph covers
            m = Mention(text[start:end], start, end, Ref(c.iri, c.label), c.role, tuple(sorted(context)),
                        lab.form, lab.source, value)
            mentions.append(m)
            if "NEGATED_EXISTENCE" in context:
                negated.append(m.words)
            if value is not None:
                values.setdefault(c.key or "", []).append((value, m))
            elif self._names_without_value(lab, context):  # "adolescent": the age group, none of its values
                unplaced.setdefault(c.key or "", []).append(f"\"{m.words}\"")
        for match in (*_AGE.finditer(text), *_AGED.finditer(text)):
            mentions += self._age(int(next(g for g in match.groups() if g)), match, values, unplaced)
        facts: dict[str, Any] = {}
        conflicting: dict[str, list[tuple[str, Any]]] = {}
        for key, stated in values.items():
            distinct = {v for v, _ in stated}
            if len(distinct) == 1:
                facts[key] = distinct.pop()
            else:
                conflicting[key] = [(m.words, v) for v, m in stated]
        for key, words in unplaced.items():  # "17yo man": a value read and an age not placed disagree
            if key in facts:
                conflicting[key] = [*((m.words, v) for v, m in values[key]), *((w, "not placed") for w in words)]
                del facts[key]
        return Reading(mentions, facts, list(dict.fromkeys(negated)), conflicting, unplaced)

    def _names_without_value(self, lab: _Label, context: set[str]) -> bool:
        """Whether a mention names a coded fact itself, affirmed, without stating one of its values."""
        return (lab.concept.role == "fact" and lab.concept.key in self._coded and lab.value is None
                and not context & {"NEGATED_EXISTENCE", "HYPOTHETICAL", "POSSIBLE_EXISTENCE"})

    def _age(self, years: int, match: re.Match[str], values: dict[str, list[tuple[Any, Mention]]],
             unplaced: dict[str, list[str]]) -> list[Mention]:
        """A stated age as the population group whose reading range (iakg:readsAgeFrom/To) holds it; an age no
        range holds as a mention of the age fact, read and not placed."""
        out = []
        for c in self.concepts.values():
            if c.role == "population" and c.age is not None and c.key and c.age[0] <= years <= c.age[1]:
                m = Mention(match.group(0), match.start(), match.end(), Ref(c.iri, c.label), "population",
                            (), "age", None, c.notation)
                values.setdefault(c.key, []).append((c.notation, m))
                out.append(m)
        if not out and self._age_fact is not None and self.age_key is not None:
            fact = self._age_fact
            out.append(Mention(match.group(0), match.start(), match.end(), Ref(fact.iri, fact.label), "fact",
                               (), "age", None))
            unplaced.setdefault(self.age_key, []).append(f"age {years}")
        return out

    def _value(self, lab: _Label, context: set[str]) -> Any:
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
        if lab.value is None and c.key in self._coded:
            return None  # the fact named, none of its values stated ("adolescent")
        value = lab.value if lab.value is not None else True
        if "NEGATED_EXISTENCE" in context:
            if lab.affirmed_only or not isinstance(value, bool):
                return None
            value = not value
        return value
