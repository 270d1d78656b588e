"""Quote untrusted values for SOQL, so they can never change a query's shape."""

from __future__ import annotations

# Salesforce's escape sequences inside a single-quoted SOQL literal.
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def quote(value: str) -> str:
    """Return ``value`` as a SOQL string literal, quotes included."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def quote_like(value: str) -> str:
    """Return ``value`` as a LIKE literal matching it exactly (no wildcards)."""
    escaped = "".join(_ESCAPES.get(ch, ch) for ch in value)
    escaped = escaped.replace("%", "\\%").replace("_", "\\_")
    return "'" + escaped + "'"


def in_list(values: list[str]) -> str:
    """Return ``('a', 'b')`` for a SOQL ``IN`` clause; never empty."""
    if not values:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join(quote(v) for v in values) + ")"
