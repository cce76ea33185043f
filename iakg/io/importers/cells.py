"""The cells of a variant table, read one at a time: each function returns a value or raises ``CellError``.

Nothing here knows about files or RDF; the table reader locates the errors (file:row:column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from iakg.io.importers.vocabulary import Concept, Vocabulary, fold

EMPTY = {"", "n/a", "na", "-", "—"}
DISAGREEMENT = "(disagreement)"


class CellError(ValueError):
    """A cell that cannot be read; the message says why and what was expected."""


#: the first characters that make a spreadsheet read a cell as a formula (CSV injection, OWASP): a text cell
#: starting with one is written with a leading ``'`` (shown as text, not run), which the reader takes off again
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _needs_guard(text: str) -> bool:
    # a formula character first, or a quote before a text that needs one (so "'=x" itself round-trips)
    return text.startswith(FORMULA_STARTS) or (text.startswith("'") and _needs_guard(text[1:]))


def guard(text: str) -> str:
    """A text cell as written to a table: ``'`` before a leading formula character (``=1+1`` -> ``'=1+1``)."""
    return "'" + text if _needs_guard(text) else text


def unguard(text: str) -> str:
    """A cell as read from a table: exactly one ``'`` taken off before a formula character (``'=1+1`` -> ``=1+1``)."""
    return text[1:] if text.startswith("'") and _needs_guard(text[1:]) else text


def empty(text: str) -> bool:
    """True for a cell the source leaves empty ("", "n/a")."""
    return text.strip().casefold() in EMPTY


def integer(text: str, low: int, high: int, what: str) -> int | None:
    """An integer from ``low`` to ``high``, or None for an empty cell."""
    if empty(text):
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise CellError(f"{what} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise CellError(f"{what} {value} is outside {low}-{high}")
    return value


@dataclass(frozen=True)
class Heading:
    """``Variant N: [<population>.] <description>. [<phase of care>.]`` read against the graph's schemes: the
    population and the phase are concepts when the heading names them, else empty ("not stated")."""

    number: int
    description: str
    population_text: str = ""
    populations: tuple[Concept, ...] = ()
    phase_text: str = ""
    phase: Concept | None = None
    statuses: tuple[Concept, ...] = ()
    verbatim: str = ""

    def text(self) -> str:
        """The heading as the table wrote it (spaces collapsed)."""
        return self.verbatim


_HEADING = re.compile(r"^\s*variant\s+(\d+)\s*[:.]\s*(.+?)\s*$", re.I | re.S)
_SENTENCE = re.compile(r"\.\s+")
_HEADING_FORM = '"Variant N: [<population>.] <description>. [<phase of care>.]"'


def heading(text: str, vocab: Vocabulary, population_scheme: str, phase_scheme: str,
            status_scheme: str | None = None) -> Heading:
    """Read a variant heading. Its first sentence is the population when every part of it is a population
    concept ("Adult", "Adult or child"); its last sentence is the phase of care when it is a phase concept;
    what lies between is the description (a heading may name neither: "not stated"). A sentence that is
    nearly a population or phase label (a typo) is an error, never read as description. The condition
    status (suspected, known) is the status concept the description names, if it names exactly one."""
    m = _HEADING.match(text)
    if not m:
        raise CellError(f"a variant heading reads {_HEADING_FORM}")
    body = " ".join(m.group(2).split())
    sentences = [s.strip() for s in _SENTENCE.split(body.rstrip("."))]
    if not all(sentences):
        raise CellError(f"a variant heading has an empty sentence; it reads {_HEADING_FORM}")
    populations: tuple[Concept, ...] = ()
    population_text = ""
    if len(sentences) > 1:
        found = _populations(sentences[0], vocab, population_scheme)
        if found:
            populations, population_text = tuple(found), sentences.pop(0)
        else:
            _near(sentences[0], vocab, population_scheme, "population")
    phase = None
    phase_text = ""
    if len(sentences) > 1:
        phase = vocab.concept(phase_scheme, sentences[-1])
        if phase is not None:
            phase_text = sentences.pop()
        else:
            _near(sentences[-1], vocab, phase_scheme, "phase of care")
    description = ". ".join(sentences)
    statuses: tuple[Concept, ...] = ()
    if status_scheme:
        words = f" {fold(description)} "
        named = [c for c in vocab.schemes.get(status_scheme, {}).values()
                 if any(re.search(r"(?<![\w])" + re.escape(n) + r"(?![\w])", words) for n in c.names)]
        statuses = tuple(named)
    return Heading(int(m.group(1)), description, population_text, populations, phase_text, phase, statuses,
                   f"Variant {m.group(1)}: {body}")


def _populations(text: str, vocab: Vocabulary, scheme: str) -> list[Concept]:
    """The population concepts a sentence names ("Adult", "Child", "Adult or child"), or [] if it is not one."""
    found = []
    for part in re.split(r"\s*(?:,|\bor\b|\band\b|/)\s*", text, flags=re.I):
        concept = vocab.concept(scheme, part) if part else None
        if concept is None:
            return []
        found.append(concept)
    return found


def _near(sentence: str, vocab: Vocabulary, scheme: str, what: str) -> None:
    """Raise if ``sentence`` (a few words) is nearly, but not, a label of ``scheme``: a typo, not description."""
    import difflib

    if len(sentence.split()) > 4:
        return
    names = {n for c in vocab.schemes.get(scheme, {}).values() for n in c.names}
    close = difflib.get_close_matches(fold(sentence), names, n=1, cutoff=0.8)
    if close:
        raise CellError(f"{sentence!r} is nearly the {what} {close[0]!r} but not one; known: "
                        + ", ".join(vocab.choices(scheme)))


def concept(text: str, vocab: Vocabulary, scheme: str, what: str) -> Concept:
    """The concept of ``scheme`` the cell names."""
    found = vocab.concept(scheme, text)
    if found is None:
        known = vocab.choices(scheme)
        hint = ("; known: " + ", ".join(known)) if known else f"; the graph has no concept in scheme <{scheme}>"
        raise CellError(f"unknown {what} {text.strip()!r}{hint}")
    return found


def category(text: str, vocab: Vocabulary, scheme: str) -> tuple[Concept, bool]:
    """The category concept and whether the panel disagreed ("May be appropriate (Disagreement)")."""
    folded = fold(text)
    disagreement = folded.endswith(DISAGREEMENT)
    if disagreement:
        text = text.strip()[: -len(DISAGREEMENT)]
    return concept(text, vocab, scheme, "appropriateness category"), disagreement


_LEVEL = re.compile(r"^\s*(\S+)\s*(.*?)\s*(\[ped\])?\s*$", re.I)
_BAND = re.compile(r"^(?:(<)\s*([\d.]+)|([\d.]+)\s*-\s*([\d.]+)|([\d.]+))\s*msv$", re.I)


def band(text: str) -> tuple[Decimal, Decimal] | None:
    """A dose band as written ("1-10 mSv", "<0.1 mSv", "0 mSv"), or None if ``text`` is not one."""
    m = _BAND.match(text.strip())
    if not m:
        return None
    try:
        if m.group(1):
            return Decimal(0), Decimal(m.group(2))
        if m.group(3):
            return Decimal(m.group(3)), Decimal(m.group(4))
        return Decimal(m.group(5)), Decimal(m.group(5))
    except InvalidOperation:
        return None


def band_text(low: Decimal, high: Decimal) -> str:
    """A dose band as a table writes it."""
    def num(d: Decimal) -> str:
        return format(d.normalize(), "f")
    if low == high:
        return f"{num(low)} mSv"
    if low == 0:
        return f"<{num(high)} mSv"
    return f"{num(low)}-{num(high)} mSv"


def level(text: str, vocab: Vocabulary, scheme: str, pediatric: bool) -> Concept | None:
    """The radiation level of an "Adult RRL" or "Peds RRL" cell (``☢☢☢ 1-10 mSv``, ``O 0 mSv``,
    ``☢☢☢☢ 3-10 mSv [ped]``, ``Varies``); a stated band must be the level's band for that age."""
    if empty(text):
        return None
    m = _LEVEL.match(text)
    symbol, rest, ped = (m.group(1), m.group(2), m.group(3)) if m else (text, "", None)
    found = vocab.concept(scheme, symbol) or vocab.concept(scheme, text.replace("[ped]", "").strip())
    if found is None:
        raise CellError("unknown radiation level; known: " + ", ".join(vocab.choices(scheme)))
    if ped and not pediatric:
        raise CellError("a [ped] band belongs in the Peds RRL column")
    if rest and fold(rest) not in found.names:
        stated = band(rest)
        expected = found.pediatric if pediatric else found.adult
        if stated is None:
            raise CellError(f"cannot read the dose band {rest!r} (e.g. \"1-10 mSv\")")
        if expected is None or stated != expected:
            age = "paediatric" if pediatric else "adult"
            have = band_text(*expected) if expected else "none"
            raise CellError(f"level {found.notation} has the {age} band {have}, not {rest}")
    return found


def level_text(c: Concept, pediatric: bool) -> str:
    """A level as the table writes it: symbol and band (``☢☢☢ 1-10 mSv``, ``☢☢☢☢ 3-10 mSv [ped]``)."""
    dose = c.pediatric if pediatric else c.adult
    if dose is None:
        return c.notation or c.label
    return f"{c.notation} {band_text(*dose)}" + (" [ped]" if pediatric else "")


def tabulation(texts: list[str]) -> list[int] | None:
    """The nine vote counts, or None when every cell is empty; some given and some not is an error."""
    if all(empty(t) for t in texts):
        return None
    if any(empty(t) for t in texts):
        raise CellError("give all nine tabulation counts (zeros included) or none")
    return [integer(t, 0, 10_000, "a vote count") or 0 for t in texts]


def median_of(counts: list[int]) -> int | None:
    """The printed median of a tabulation: the middle vote, or the two middle votes' mean rounded up."""
    n = sum(counts)
    if n == 0:
        return None
    votes = [score for score, k in enumerate(counts, 1) for _ in range(k)]
    low, high = votes[(n - 1) // 2], votes[n // 2]
    return -(-(low + high) // 2)
