"""A SPARQL text read once, as SPARQL 1.1's grammar reads it: the one text the query check and the engine run.

Two parsers read every query: rdflib's (the check, :mod:`iakg.rdf.safety`) and Oxigraph's (the engine). Where
they read the same characters differently, a check of one reading lets the other run. They did: rdflib ends
a ``#`` comment at a line feed only, Oxigraph also at a carriage return (``# note\\rSERVICE <...>``); rdflib
expands codepoint escapes over the whole text, Oxigraph inside strings only (``\\u0022``). Patching each
difference after it is found is not a design, so :func:`normalise` removes what they could disagree on
before either reads the text:

- codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``) are processed once, over the whole text, as section 19.2
  says is done before parsing; an escape that writes another escape, or no character, is refused;
- the text is then lexed by the grammar's own terminals (section 19.8: ``IRIREF``, the four string forms
  with ``ECHAR``, ``PN_LOCAL_ESC``, ``WS``, comments per 19.6): every comment is removed (never one inside
  an IRI or a string), every line end (``\\r\\n``, ``\\r``, ``\\n``) becomes ``\\n``, and every string is
  written again in one canonical form (``"..."``, or ``\"\"\"...\"\"\"`` when it holds a line feed, with
  ``\\\\ \\" \\r \\t \\b \\f`` escaped);
- what two parsers could still read differently is refused: NUL anywhere, control characters (other than
  tab and line ends) outside strings and, without an ``ECHAR``, inside them, Unicode line and paragraph
  separators outside strings, and a backslash outside a string that is not a local name's escape.

The result has no comment, no carriage return and no control character but tab and line feed: nothing left
on which the two parsers are known to differ, and ``normalise`` of it is itself (the check refuses a text
that is not). What may run is still decided on rdflib's parse tree of that text, never by this lexer.
"""

from __future__ import annotations

import re

from iakg.errors import QueryError

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LEFT_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")

#: the grammar's terminals that matter for reading the text once (SPARQL 1.1, section 19.8), first match wins
_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"  # [162] WS (line ends normalised below)
    r"|(?P<comment>#[^\r\n]*)"  # 19.6: '#' to the end of the line, a line end being CR or LF
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"  # [139] IRIREF (a '<' that is not one is the operator)
    r"|(?P<long>'''(?:(?:'|'')?(?:[^'\\]|\\[\s\S]))*'''"  # [158] STRING_LITERAL_LONG1
    r"|\"\"\"(?:(?:\"|\"\")?(?:[^\"\\]|\\[\s\S]))*\"\"\")"  # [159] STRING_LITERAL_LONG2
    r"|(?P<short>'(?:[^'\\\r\n]|\\[^\r\n])*'"  # [156] STRING_LITERAL1
    r"|\"(?:[^\"\\\r\n]|\\[^\r\n])*\")"  # [157] STRING_LITERAL2
    r"|(?P<escape>\\[_~.\-!$&'()*+,;=/?#@%])"  # [173] PN_LOCAL_ESC (in a prefixed name's local part)
    r"|(?P<plain>[^ \t\r\n#<\"'\\\x00-\x1f\x7f-\x9f\u2028\u2029]+)"  # names, keywords, numbers, punctuation
    r"|(?P<lt><)")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_WRITE = str.maketrans({"\\": "\\\\", '"': '\\"', "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"})
_CONTROL = re.compile(r"[\x00-\x07\x0b\x0e-\x1f\x7f]")  # in a string: NUL and every control with no ECHAR


def unescape(query: str) -> str:
    """``query`` with its codepoint escapes replaced by the characters they stand for, once (section 19.2).
    A code point that is no character (a surrogate, NUL, past U+10FFFF) is refused, and so is an escape that
    writes another escape (``\\u005Cu0022``)."""
    if "\\u" not in query and "\\U" not in query:
        return query

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise QueryError(f"invalid SPARQL: {match.group(0)} is not a character")
        return chr(code)

    text = _ESCAPE.sub(character, query)
    if _LEFT_ESCAPE.search(text):
        raise QueryError("invalid SPARQL: a codepoint escape that writes another escape is refused")
    return text


def position(text: str, at: int) -> tuple[int, int]:
    """The line and column (both from 1, the column in characters) of offset ``at`` in ``text``."""
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def offset(text: str, line: int, column: int) -> int:
    """The offset in ``text`` of a line and column (both from 1); past the end of a line, its end."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    end = text.find("\n", start)
    return min(start + max(column, 1) - 1, len(text) if end < 0 else end)


def located(text: str, at: int, message: str) -> QueryError:
    """The one-line error for ``message`` at offset ``at`` of ``text``: ``invalid SPARQL: line L, column C:
    message``, its ``position`` set (``iakg query`` writes ``FILE:L:C: message`` from it)."""
    line, column = position(text, at)
    error = QueryError(f"invalid SPARQL: line {line}, column {column}: {message}")
    error.position = (line, column, message)
    return error



def _character(c: str) -> str:
    return f"U+{ord(c):04X}"


def _string(token: str, long: bool, text: str, at: int) -> str:
    """A string token written again in the canonical form (its ECHARs read, then written one way)."""
    quote = 3 if long else 1
    body = token[quote:-quote]
    if "\\" in body:
        def echar(match: re.Match[str]) -> str:
            value = _ECHAR.get(match.group(1))
            if value is None:
                raise located(text, at + quote + match.start(), f"\\{match.group(1)} is not an escape of a "
                                                                "string (\\t \\b \\n \\r \\f \\\" \\' \\\\)")
            return value

        body = re.sub(r"\\([\s\S])", echar, body)
    bad = _CONTROL.search(body)
    if bad:
        raise located(text, at, f"the control character {_character(bad.group())} in a string is refused")
    written = body.translate(_WRITE)
    return f'"""{written}"""' if "\n" in body else '"' + written + '"'


def normalise(query: str) -> str:
    """The text both the check and the engine read (see the module's docstring); QueryError (with the line and
    column) for what is refused."""
    text = unescape(query)
    if "\x00" in text:
        raise located(text, text.index("\x00"), "the character U+0000 (NUL) is refused")
    out: list[str] = []
    match = _TOKEN.match
    pos, end = 0, len(text)
    while pos < end:
        found = match(text, pos)
        if found is None:
            c = text[pos]
            if c == "\\":
                raise located(text, pos, "a backslash outside a string that is not a local name's escape")
            if c in "\"'":
                raise located(text, pos, "a string that is not closed on its line (or a long one never closed)")
            raise located(text, pos, f"the character {_character(c)} outside a string is refused")
        kind, token = found.lastgroup, found.group()
        if kind == "ws":
            out.append(token.replace("\r\n", "\n").replace("\r", "\n") if "\r" in token else token)
        elif kind == "long" or kind == "short":
            if out and out[-1].endswith('"'):
                out.append(" ")  # two strings side by side would read as a long string's quotes
            out.append(_string(token, kind == "long", text, pos))
        elif kind != "comment":
            out.append(token)
        pos = found.end()
    return "".join(out)


#: in a name, keyword or punctuation token: a prefixed name's prefix and colon (PN_PREFIX? ':', section 19.8; a
#: colon after a name character is inside a local name, and ``_:`` opens a blank node label)
_PNAME_NS = re.compile(r"(?<![\w.\-\u00B7:?$])((?:[^\W\d_](?:[\w.\-\u00B7]*[\w\-\u00B7])?)?):")
_SELECT = re.compile(r"(?<![\w.\-\u00B7:?$])SELECT(?![\w\u00B7])", re.IGNORECASE)


def _names(text: str) -> list[tuple[int, str]]:
    """(offset, token) of the names, keywords and punctuation of a prepared text (never inside an IRI or a
    string). A local name's escape (``ex:a\\.b``) and what touches it are one token."""
    found: list[tuple[int, str]] = []
    for token in _TOKEN.finditer(text):
        kind = token.lastgroup
        if kind != "plain" and kind != "escape":
            continue
        if found and found[-1][0] + len(found[-1][1]) == token.start() and (
                kind == "escape" or found[-1][1][-2:-1] == "\\"):  # a plain token holds no backslash
            found[-1] = (found[-1][0], found[-1][1] + token.group())
        else:
            found.append((token.start(), token.group()))
    return found


def prefixed_names(text: str) -> list[tuple[int, str]]:
    """(offset, prefix) of every prefixed name of a prepared text (:func:`normalise`), declarations included,
    in the order they are written; the empty prefix is ``""``."""
    return [(at + match.start(), match.group(1)) for at, token in _names(text) for match in _PNAME_NS.finditer(token)]


def select_keywords(text: str) -> list[int]:
    """The offsets of the ``SELECT`` keywords of a prepared text, in order: one per query or sub-query."""
    return [at + match.start() for at, token in _names(text) for match in _SELECT.finditer(token)]


def variable(text: str, name: str, start: int = 0) -> int | None:
    """The offset of the first ``?name`` or ``$name`` at or after ``start`` in a prepared text, or None."""
    pattern = re.compile(rf"[?$]{re.escape(name)}(?![\w\u00B7\u0300-\u036F\u203F\u2040])")
    for at, token in _names(text):
        for match in pattern.finditer(token):
            if at + match.start() >= start:
                return at + match.start()
    return None
