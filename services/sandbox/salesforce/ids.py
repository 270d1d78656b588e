"""Salesforce record ids: key prefix, pod, counter and case-safe suffix.

A 15-character id is case-sensitive; the 18-character form appends three
characters that encode, five characters at a time, which ones are upper
case, so tools that ignore case can still tell ids apart.
"""

from __future__ import annotations

import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_ID_CHARS = frozenset(_BASE62)
# The two characters after the key prefix name the server pod in real orgs.
POD = "8d"


def checksum(id15: str) -> str:
    """Return the three-character case-safe suffix of a 15-character id."""
    suffix = []
    for start in range(0, 15, 5):
        chunk = id15[start:start + 5]
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to18(id15: str) -> str:
    """Extend a 15-character id with its case-safe suffix."""
    return id15 + checksum(id15)


def make_id(key_prefix: str, counter: int) -> str:
    """Build the 18-character id of the ``counter``-th record of a type."""
    body = _base62(counter).rjust(15 - len(key_prefix) - len(POD), "0")
    return to18(key_prefix + POD + body)


def normalize(raw: str) -> str | None:
    """Return the 15-character form of a 15- or 18-character id, or None.

    An 18-character id whose suffix does not match its first fifteen
    characters is rejected, as Salesforce rejects it.
    """
    if len(raw) not in (15, 18) or not set(raw) <= _ID_CHARS:
        return None
    id15 = raw[:15]
    if len(raw) == 18 and raw[15:].upper() != checksum(id15):
        return None
    return id15


def key_prefix(record_id: str) -> str:
    """Return the object key prefix an id starts with."""
    return record_id[:3]


def _base62(number: int) -> str:
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))
