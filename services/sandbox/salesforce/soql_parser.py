"""Parse SOQL text into :mod:`soql_ast` nodes.

The grammar follows Salesforce's, including one rule SQL lacks: AND and OR
may not be mixed at one level without parentheses
(``a AND b OR c`` is malformed). The SOSL parser reuses the field list,
condition, ORDER BY and LIMIT pieces through :class:`Parser`.
"""

from __future__ import annotations

from sandbox.salesforce.soql_ast import (
    Comparison,
    Condition,
    FieldPath,
    Junction,
    Literal,
    LiteralKind,
    Not,
    OrderKey,
    Query,
    RelativeDate,
)
from sandbox.salesforce.soql_errors import MALFORMED_QUERY, SoqlError, error_at
from sandbox.salesforce.soql_lexer import Kind, Token, tokenize

# Relative date literals; the value says whether ":n" must follow.
RELATIVE_DATES = {
    "YESTERDAY": False, "TODAY": False, "TOMORROW": False,
    "LAST_WEEK": False, "THIS_WEEK": False, "NEXT_WEEK": False,
    "LAST_MONTH": False, "THIS_MONTH": False, "NEXT_MONTH": False,
    "LAST_YEAR": False, "THIS_YEAR": False, "NEXT_YEAR": False,
    "LAST_90_DAYS": False, "NEXT_90_DAYS": False,
    "LAST_N_DAYS": True, "NEXT_N_DAYS": True, "N_DAYS_AGO": True,
    "LAST_N_WEEKS": True, "NEXT_N_WEEKS": True,
    "LAST_N_MONTHS": True, "NEXT_N_MONTHS": True,
    "LAST_N_YEARS": True, "NEXT_N_YEARS": True,
}
RESERVED = frozenset({
    "SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND",
    "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE", "ASC", "DESC",
    "NULLS", "INCLUDES", "EXCLUDES", "GROUP", "HAVING", "WITH", "USING",
    "FIND", "RETURNING",
})
_LIST_OPERATORS = ("IN", "INCLUDES", "EXCLUDES")


def parse(query: str) -> Query:
    """Parse a SOQL SELECT statement or raise MALFORMED_QUERY."""
    parser = Parser(query, tokenize(query), MALFORMED_QUERY)
    parsed = parser.select()
    parser.expect_end()

    return parsed


class Parser:
    """A cursor over tokens with the grammar rules SOQL and SOSL share."""

    def __init__(self, query: str, tokens: list[Token], error_code: str) -> None:
        self.query = query
        self.tokens = tokens
        self.error_code = error_code
        self.position = 0

    # Cursor helpers.

    def peek(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind is not Kind.EOF:
            self.position += 1
        return token

    def unexpected(self, token: Token | None = None) -> SoqlError:
        """Build the 'unexpected token' error for ``token`` (default: next)."""
        token = token or self.peek()
        detail = f"unexpected token: '{token.shown()}'"
        return error_at(self.error_code, self.query, token.offset, detail)

    def expect_word(self, word: str) -> Token:
        if not self.peek().is_word(word):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        token = self.peek()
        if token.kind is not Kind.PUNCT or token.text != char:
            raise self.unexpected()
        return self.advance()

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token.kind is Kind.PUNCT and token.text == char

    def expect_end(self) -> None:
        if self.peek().kind is not Kind.EOF:
            raise self.unexpected()

    # Statement.

    def select(self) -> Query:
        """Parse ``SELECT ... FROM ... [WHERE] [ORDER BY] [LIMIT] [OFFSET]``."""
        self.expect_word("SELECT")
        count = self.count_call()
        fields = () if count else self.field_list()
        self.expect_word("FROM")
        target = self.advance()
        if target.kind is not Kind.NAME or target.text.upper() in RESERVED:
            raise self.unexpected(target)
        where = self.where()
        order_by = self.order_by()
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")

        return Query(
            fields, count, target.text, target.offset, where, order_by, limit, offset
        )

    def count_call(self) -> bool:
        """Consume ``COUNT()`` when the select list is exactly that."""
        following = self.tokens[min(self.position + 1, len(self.tokens) - 1)]
        if not self.peek().is_word("COUNT") or following.text != "(":
            return False
        self.advance()
        self.advance()
        if not self.at_punct(")"):
            raise error_at(
                self.error_code, self.query, self.peek().offset,
                "aggregate functions other than COUNT() are not supported",
            )
        self.advance()

        return True

    def field_list(self) -> tuple[FieldPath, ...]:
        """Parse ``path (, path)*``."""
        fields = [self.field_path()]
        while self.at_punct(","):
            self.advance()
            fields.append(self.field_path())
        return tuple(fields)

    def field_path(self) -> FieldPath:
        token = self.peek()
        parts = tuple(token.text.split("."))
        bad_name = token.kind is not Kind.NAME or token.text.upper() in RESERVED
        if bad_name or "" in parts:
            raise self.unexpected()
        self.advance()

        return FieldPath(parts, token.offset)

    def where(self) -> Condition | None:
        if not self.peek().is_word("WHERE"):
            return None
        self.advance()
        return self.condition()

    def order_by(self) -> tuple[OrderKey, ...]:
        if not self.peek().is_word("ORDER"):
            return ()
        self.advance()
        self.expect_word("BY")
        keys = [self.order_key()]
        while self.at_punct(","):
            self.advance()
            keys.append(self.order_key())
        return tuple(keys)

    def order_key(self) -> OrderKey:
        field = self.field_path()
        descending = False
        if self.peek().is_word("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        # Salesforce sorts nulls first unless told otherwise, either direction.
        nulls_first = True
        if self.peek().is_word("NULLS"):
            self.advance()
            if not self.peek().is_word("FIRST", "LAST"):
                raise self.unexpected()
            nulls_first = self.advance().text.upper() == "FIRST"

        return OrderKey(field, descending, nulls_first)

    def integer_clause(self, word: str) -> int | None:
        if not self.peek().is_word(word):
            return None
        self.advance()
        return self.integer()

    def integer(self) -> int:
        token = self.peek()
        if token.kind is not Kind.NUMBER or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    # Conditions.

    def condition(self) -> Condition:
        """Parse operands joined by AND or by OR, never both unbracketed."""
        operands = [self.unary()]
        joiner: str | None = None
        while self.peek().is_word("AND", "OR"):
            word = self.peek().text.upper()
            if joiner is not None and word != joiner:
                raise self.unexpected()
            joiner = word
            self.advance()
            operands.append(self.unary())
        if joiner is None:
            return operands[0]

        return Junction(joiner, tuple(operands))

    def unary(self) -> Condition:
        if self.peek().is_word("NOT"):
            self.advance()
            return Not(self.unary())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.field_path()
        token = self.peek()
        if token.kind is Kind.OPERATOR:
            self.advance()
            operator = "!=" if token.text == "<>" else token.text
            return Comparison(field, operator, self.value(), token.offset)
        if token.is_word("LIKE"):
            self.advance()
            return Comparison(field, "LIKE", self.value(), token.offset)
        if token.is_word("NOT"):
            self.advance()
            self.expect_word("IN")
            return Comparison(field, "NOT IN", self.value_list(), token.offset)
        if token.is_word(*_LIST_OPERATORS):
            self.advance()
            operator = token.text.upper()
            return Comparison(field, operator, self.value_list(), token.offset)

        raise self.unexpected()

    def value_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")

        return tuple(values)

    def value(self) -> Literal:
        """Parse one literal: string, number, date, boolean, null or relative date."""
        token = self.peek()
        if token.kind in _LITERAL_KINDS and token.value is not None:
            self.advance()
            return Literal(_LITERAL_KINDS[token.kind], token.value, token.offset, token.like)
        if token.kind is Kind.NAME:
            return self.named_value(token)

        raise self.unexpected()

    def named_value(self, token: Token) -> Literal:
        word = token.text.upper()
        if word in ("TRUE", "FALSE"):
            self.advance()
            return Literal(LiteralKind.BOOLEAN, word == "TRUE", token.offset)
        if word == "NULL":
            self.advance()
            return Literal(LiteralKind.NULL, None, token.offset)
        if word not in RELATIVE_DATES:
            raise self.unexpected()
        self.advance()
        amount = 0
        if RELATIVE_DATES[word]:
            self.expect_punct(":")
            amount = self.integer()

        return Literal(LiteralKind.RELATIVE_DATE, RelativeDate(word, amount), token.offset)


_LITERAL_KINDS = {
    Kind.STRING: LiteralKind.STRING,
    Kind.NUMBER: LiteralKind.NUMBER,
    Kind.DATE: LiteralKind.DATE,
    Kind.DATETIME: LiteralKind.DATETIME,
}
