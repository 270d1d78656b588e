"""Split SOQL (and the SOQL-shaped parts of SOSL) into tokens.

String literals are decoded here, exactly as Salesforce decodes them:
single quotes only, backslash escapes ``\\n \\r \\t \\b \\f \\" \\' \\\\``
plus ``\\%`` and ``\\_`` (literal wildcards for LIKE); any other backslash
sequence is a malformed query, and an unescaped quote ends the string. A
caller who splices unescaped input into a query sees its injection parsed
as query text, just as it would be against a real org.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from sandbox.salesforce.soql_errors import MALFORMED_QUERY, error_at

_ESCAPES = {
    "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f",
    '"': '"', "'": "'", "\\": "\\",
}
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?"
    r"(Z|[+-]\d{2}:\d{2})"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:])")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)(?![\w.])")
_NAME = re.compile(r"[A-Za-z][\w.]*")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = "(),:"
_PLAIN_RUN = re.compile(r"[^'\\]+")
# re.escape leaves % and _ alone, so they can become LIKE's wildcards after it.
_LIKE_WILDCARDS = str.maketrans({"%": ".*", "_": "."})


class Kind(Enum):
    NAME = "name"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    OPERATOR = "operator"
    PUNCT = "punct"
    SEARCH = "search"
    EOF = "eof"


@dataclass(frozen=True)
class Token:
    """One token; ``value`` holds the decoded literal for literal kinds.

    For strings ``like`` is the regular expression the literal stands for
    as a LIKE pattern, built while the escapes are still visible.
    """

    kind: Kind
    text: str
    offset: int
    value: object = None
    like: str = ""

    def is_word(self, *words: str) -> bool:
        """Tell whether this is a name token spelling one of ``words``."""
        return self.kind is Kind.NAME and self.text.upper() in words

    def shown(self) -> str:
        """Return the token as Salesforce quotes it in 'unexpected token'."""
        return "<EOF>" if self.kind is Kind.EOF else self.text


def tokenize(
    query: str, *, error_code: str = MALFORMED_QUERY, braces: bool = False
) -> list[Token]:
    """Return the tokens of ``query``, ending with an EOF token.

    ``braces`` lets ``{...}`` through as one SEARCH token (SOSL's search
    text); ``error_code`` names the code a lexical error carries.
    """
    tokens: list[Token] = []
    pos = 0
    while True:
        pos = _skip_space(query, pos)
        if pos >= len(query):
            tokens.append(Token(Kind.EOF, "", len(query)))
            return tokens
        token = _next_token(query, pos, error_code, braces)
        tokens.append(token)
        pos = token.offset + len(token.text)


def _skip_space(query: str, pos: int) -> int:
    while pos < len(query) and query[pos].isspace():
        pos += 1
    return pos


def _next_token(query: str, pos: int, error_code: str, braces: bool) -> Token:
    char = query[pos]
    if char == "'":
        return _string(query, pos, error_code)
    if braces and char == "{":
        return _search_text(query, pos, error_code)
    if char.isdigit() or char in "+-.":
        literal = _literal(query, pos)
        if literal is not None:
            return literal
    if char.isalpha():
        found = _NAME.match(query, pos)
        assert found is not None
        return Token(Kind.NAME, found.group(), pos)
    for operator in _OPERATORS:
        if query.startswith(operator, pos):
            return Token(Kind.OPERATOR, operator, pos)
    if char in _PUNCTUATION:
        return Token(Kind.PUNCT, char, pos)

    raise error_at(error_code, query, pos, f"unexpected token: '{char}'")


def _literal(query: str, pos: int) -> Token | None:
    """Read a datetime, date or number literal starting at ``pos``."""
    found = _DATETIME.match(query, pos)
    if found is not None:
        return Token(Kind.DATETIME, found.group(), pos, _datetime(found))
    found = _DATE.match(query, pos)
    if found is not None:
        text = found.group()
        try:
            return Token(Kind.DATE, text, pos, date.fromisoformat(text))
        except ValueError:
            return None
    found = _NUMBER.match(query, pos)
    if found is not None:
        return Token(Kind.NUMBER, found.group(), pos, Decimal(found.group()))

    return None


def _datetime(found: re.Match[str]) -> datetime | None:
    """Decode a datetime literal to an aware UTC instant (None if impossible)."""
    text = found.group().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


def _string(query: str, start: int, error_code: str) -> Token:
    """Read a quoted literal, decoding escapes and building its LIKE regex."""
    value: list[str] = []
    like: list[str] = []
    pos = start + 1
    while pos < len(query):
        # Whole runs without quote or backslash at once: a query of 200 ids
        # is mostly such runs, and reading them a character at a time showed.
        run = _PLAIN_RUN.match(query, pos)
        if run is not None and run.end() > pos:
            value.append(run.group())
            like.append(re.escape(run.group()).translate(_LIKE_WILDCARDS))
            pos = run.end()
            continue
        char = query[pos]
        if char == "'":
            text = query[start:pos + 1]
            return Token(Kind.STRING, text, start, "".join(value), "".join(like))
        escaped = query[pos + 1:pos + 2]
        if escaped in ("%", "_"):
            value.append(escaped)
            like.append(re.escape(escaped))
        elif escaped in _ESCAPES:
            value.append(_ESCAPES[escaped])
            like.append(re.escape(_ESCAPES[escaped]))
        else:
            raise error_at(
                error_code, query, start,
                f"Invalid string literal '{query[start + 1:pos + 2]}'. Illegal "
                f"character sequence '\\{escaped}' in string literal.",
            )
        pos += 2

    raise error_at(error_code, query, start, "unexpected token: '<EOF>'")


def _search_text(query: str, start: int, error_code: str) -> Token:
    """Read SOSL's ``{...}``; backslash-escaped braces stay inside."""
    pos = start + 1
    while pos < len(query):
        if query[pos] == "\\":
            pos += 2
            continue
        if query[pos] == "}":
            text = query[start:pos + 1]
            return Token(Kind.SEARCH, text, start, query[start + 1:pos])
        pos += 1

    raise error_at(error_code, query, start, "unexpected token: '<EOF>'")
