"""SOSL search text: the part between the braces, parsed and matched.

Grammar: words and ``"quoted phrases"``, joined by whitespace (AND),
``AND``, ``OR`` and ``AND NOT`` (operators case-insensitive), grouped with
parentheses. Unescaped ``*`` (any run of characters) and ``?`` (one
character) are wildcards. The other reserved characters
(``& | ! { } [ ] ^ ~ : ' + -``) must be escaped with a backslash (an
unescaped one is MALFORMED_SEARCH); so must ``* ? ( ) " \\`` when meant
literally.

Whitespace-separated number groups (``856 559 7961``, or escaped
``\\(856\\) 559\\-7961``) are read as one term, so a formatted phone can
be searched without quotes.

Matching is by tokens: text is split into runs of letters and digits,
compared case-insensitively, and a term matches when its tokens appear
consecutively in one field. Phone fields match by digits instead; see
:func:`phone_matches`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.salesforce.soql_errors import MALFORMED_SEARCH, SoqlError, error_at

_MUST_ESCAPE = frozenset("&|!{}[]^~:'+-")
_SEPARATORS = frozenset(" \t\r\n")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_TERM_TOKEN = re.compile(r"(?:[^\W_]|[*?])+")
_FIELD_TOKEN = re.compile(r"[^\W_]+")
_PHONE_TERM = re.compile(r"[\d\s().+\-]*\d[\d\s().+\-]*\*?")
_NUMBER_GROUP = re.compile(r"[().+\-]*\d[\d().+\-]*")
_EXTENSION = re.compile(r"[A-Za-z#,;]")
# An 11-digit number starting with 1 carries the North American country code.
_NANP_LENGTH = 11
# A term of at least this many digits may match the end of a longer number.
LOCAL_NUMBER_DIGITS = 7


@dataclass(frozen=True)
class Term:
    """A word or phrase; escaped wildcard characters are already spaces."""

    text: str
    offset: int


@dataclass(frozen=True)
class AllOf:
    operands: tuple[SearchExpression, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[SearchExpression, ...]


@dataclass(frozen=True)
class NoneOf:
    operand: SearchExpression


SearchExpression = Term | AllOf | AnyOf | NoneOf


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "term", "(", ")", "AND", "OR", "NOT", "end"
    offset: int
    term: Term | None = None


def parse_search_text(query: str, text: str, offset: int) -> SearchExpression:
    """Parse the text between the braces (found at ``offset`` in ``query``)."""
    lexemes = _join_phone_groups(_SearchLexer(query, text, offset).lexemes())
    if lexemes[0].kind == "end":
        raise SoqlError(
            MALFORMED_SEARCH,
            "No search term found. The search term must be enclosed in braces.",
        )
    parser = _SearchParser(query, lexemes)
    expression = parser.any_of()
    parser.expect("end")
    letters = sum(len(term.text.replace("*", "").replace("?", "").strip())
                  for term in terms_of(expression))
    if letters < 2:
        raise error_at(
            MALFORMED_SEARCH, query, offset,
            "search term must be longer than one character",
        )

    return expression


def terms_of(expression: SearchExpression) -> list[Term]:
    """Return every term in ``expression``, left to right."""
    if isinstance(expression, Term):
        return [expression]
    if isinstance(expression, NoneOf):
        return terms_of(expression.operand)
    return [term for part in expression.operands for term in terms_of(part)]


def evaluate(expression: SearchExpression, term_matches: Callable[[Term], bool]) -> bool:
    """Tell whether a record satisfies ``expression`` given a per-term test."""
    if isinstance(expression, Term):
        return term_matches(expression)
    if isinstance(expression, AllOf):
        return all(evaluate(part, term_matches) for part in expression.operands)
    if isinstance(expression, AnyOf):
        return any(evaluate(part, term_matches) for part in expression.operands)
    return not evaluate(expression.operand, term_matches)


def _join_phone_groups(lexemes: list[_Lexeme]) -> list[_Lexeme]:
    """Read ``856 559 7961`` as one number, not three terms joined by AND."""
    joined: list[_Lexeme] = []
    for lexeme in lexemes:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and _is_number_group(previous)
            and _is_number_group(lexeme)
            and previous.term is not None
            and lexeme.term is not None
        ):
            text = f"{previous.term.text} {lexeme.term.text}"
            term = Term(text, previous.term.offset)
            joined[-1] = _Lexeme("term", previous.offset, term)
            continue
        joined.append(lexeme)
    return joined


def _is_number_group(lexeme: _Lexeme) -> bool:
    term = lexeme.term
    return (
        lexeme.kind == "term" and term is not None
        and _NUMBER_GROUP.fullmatch(term.text) is not None
    )


class _SearchLexer:
    """Split search text into terms, parentheses and operators."""

    def __init__(self, query: str, text: str, offset: int) -> None:
        self.query = query
        self.text = text
        # Offset of text[0] in the whole query (just past the opening brace).
        self.base = offset + 1
        self.pos = 0

    def lexemes(self) -> list[_Lexeme]:
        found: list[_Lexeme] = []
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SEPARATORS:
                self.pos += 1
            if self.pos >= len(self.text):
                found.append(_Lexeme("end", self.base + self.pos))
                return found
            found.append(self.next_lexeme())

    def next_lexeme(self) -> _Lexeme:
        char = self.text[self.pos]
        start = self.base + self.pos
        if char in "()":
            self.pos += 1
            return _Lexeme(char, start)
        if char == '"':
            return _Lexeme("term", start, self.phrase())
        word = self.word(stop='()"')
        if word.upper() in _OPERATORS:
            return _Lexeme(word.upper(), start)
        return _Lexeme("term", start, Term(word, start))

    def phrase(self) -> Term:
        start = self.base + self.pos
        self.pos += 1
        text = self.word(stop='"', spaces=True)
        if self.pos >= len(self.text):
            raise error_at(MALFORMED_SEARCH, self.query, start, "unterminated phrase")
        self.pos += 1

        return Term(text, start)

    def word(self, *, stop: str, spaces: bool = False) -> str:
        """Read characters up to a stop character (or a space unless ``spaces``)."""
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in stop or (char in _SEPARATORS and not spaces):
                break
            if char == "\\":
                chars.append(self.escaped())
                continue
            if char in _MUST_ESCAPE:
                detail = f"no viable alternative at character '{char}'"
                raise error_at(MALFORMED_SEARCH, self.query, self.base + self.pos, detail)
            chars.append(char)
            self.pos += 1
        return "".join(chars)

    def escaped(self) -> str:
        following = self.text[self.pos + 1:self.pos + 2]
        if not following:
            detail = "no viable alternative at character '\\'"
            raise error_at(MALFORMED_SEARCH, self.query, self.base + self.pos, detail)
        self.pos += 2
        # An escaped wildcard is a literal character, which never joins a token.
        return " " if following in "*?" else following


class _SearchParser:
    def __init__(self, query: str, lexemes: list[_Lexeme]) -> None:
        self.query = query
        self.lexemes = lexemes
        self.index = 0

    def peek(self) -> _Lexeme:
        return self.lexemes[self.index]

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.index]
        if lexeme.kind != "end":
            self.index += 1
        return lexeme

    def expect(self, kind: str) -> None:
        if self.peek().kind != kind:
            raise self.unexpected()
        self.take()

    def unexpected(self) -> SoqlError:
        lexeme = self.peek()
        shown = "<EOF>" if lexeme.kind == "end" else lexeme.kind
        detail = f"unexpected token: '{shown}'"
        return error_at(MALFORMED_SEARCH, self.query, lexeme.offset, detail)

    def any_of(self) -> SearchExpression:
        operands = [self.all_of()]
        while self.peek().kind == "OR":
            self.take()
            operands.append(self.all_of())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def all_of(self) -> SearchExpression:
        operands = [self.primary()]
        while self.peek().kind in ("AND", "term", "("):
            if self.peek().kind == "AND":
                self.take()
            if self.peek().kind == "NOT":
                self.take()
                operands.append(NoneOf(self.primary()))
            else:
                operands.append(self.primary())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def primary(self) -> SearchExpression:
        lexeme = self.peek()
        if lexeme.kind == "term" and lexeme.term is not None:
            self.take()
            return lexeme.term
        if lexeme.kind == "(":
            self.take()
            inner = self.any_of()
            self.expect(")")
            return inner
        raise self.unexpected()


def text_matches(term: Term, value: str) -> bool:
    """Tell whether the term's tokens appear consecutively in ``value``."""
    patterns = [_token_pattern(token) for token in term_tokens(term)]
    if not patterns:
        return False
    tokens = field_tokens(value)
    for start in range(len(tokens) - len(patterns) + 1):
        window = tokens[start:start + len(patterns)]
        if all(p.fullmatch(token) for p, token in zip(patterns, window, strict=True)):
            return True
    return False


def term_tokens(term: Term) -> list[str]:
    """Return a term's tokens, case-folded, wildcards (``*``, ``?``) kept."""
    return [token.casefold() for token in _TERM_TOKEN.findall(term.text)]


def field_tokens(value: str) -> list[str]:
    """Return the case-folded tokens a text field's value is searched by."""
    return _FIELD_TOKEN.findall(value.casefold())


def has_wildcard(token: str) -> bool:
    """Tell whether a term token holds ``*`` or ``?``; without, it matches itself only."""
    return "*" in token or "?" in token


@functools.lru_cache(maxsize=1024)
def _token_pattern(token: str) -> re.Pattern[str]:
    parts = (
        ".*" if char == "*" else "." if char == "?" else re.escape(char)
        for char in token
    )
    return re.compile("".join(parts))


@dataclass(frozen=True)
class PhoneTerm:
    """A term as a phone field reads it: national digits, maybe a prefix."""

    digits: str
    prefix: bool


def phone_term(term: Term) -> PhoneTerm | None:
    """Read a term as a phone number, or return None when it is not one.

    The term must be digits with optional phone punctuation (spaces,
    ``( ) . + -``) and an optional trailing ``*`` (then it is a prefix).
    """
    return _phone_term(term.text)


# A search reads each term once per phone field of each object it returns.
@functools.lru_cache(maxsize=4096)
def _phone_term(text: str) -> PhoneTerm | None:
    text = text.strip()
    if not _PHONE_TERM.fullmatch(text):
        return None
    return PhoneTerm(_national(_digits(text)), text.endswith("*"))


def phone_number(value: str) -> str:
    """Return a phone field's national digits, its extension dropped ('' if none)."""
    return _national(_digits(_EXTENSION.split(value, maxsplit=1)[0]))


def phone_matches(term: Term, value: str) -> bool:
    """Match a phone field by digits, whatever either side's punctuation.

    Both sides keep only their digits (the field's extension, from its
    first letter or ``#`` on, is dropped) and lose a leading ``1`` when 11
    digits long. They match when equal; when the term has 7 or more digits
    and ends the field's number; or, for a trailing ``*``, when the term
    starts it.
    """
    wanted = phone_term(term)
    if wanted is None:
        return False
    return number_matches(wanted, phone_number(value))


def number_matches(wanted: PhoneTerm, have: str) -> bool:
    """Apply :func:`phone_matches` to a term and a field already reduced to digits."""
    if not have:
        return False
    if wanted.prefix:
        return have.startswith(wanted.digits)
    if wanted.digits == have:
        return True

    return len(wanted.digits) >= LOCAL_NUMBER_DIGITS and have.endswith(wanted.digits)


def _digits(text: str) -> str:
    return "".join(filter(str.isdigit, text))


def _national(digits: str) -> str:
    if len(digits) == _NANP_LENGTH and digits.startswith("1"):
        return digits[1:]
    return digits
