"""Normalise the phone numbers and email addresses that identify a profile.

Regal does not document its normalisation. The sandbox keeps to what its
own webhooks show: E.164 numbers. Ten-digit numbers are taken as North
American (``+1``), as the Salesforce package sends them raw.
"""

from __future__ import annotations

_MIN_E164_DIGITS = 8
_MAX_E164_DIGITS = 15
_NANP_DIGITS = 10


def normalize_phone(raw: str) -> str | None:
    """Return ``raw`` as an E.164 number, or None when it is not one."""
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        if _MIN_E164_DIGITS <= len(digits) <= _MAX_E164_DIGITS:
            return "+" + digits
        return None
    if len(digits) == _NANP_DIGITS:
        return "+1" + digits
    if len(digits) == _NANP_DIGITS + 1 and digits.startswith("1"):
        return "+" + digits
    return None


def normalize_email(raw: str) -> str | None:
    """Return ``raw`` trimmed and lower-cased, or None when it is no address."""
    address = raw.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or "@" in domain or " " in address:
        return None
    return address
