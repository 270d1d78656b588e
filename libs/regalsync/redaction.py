"""Mask personal data and secrets in log events.

Rules, applied recursively to dicts, lists and tuples:

* a value under a *name* key (``name``, ``first_name``, ``LastName``,
  ``agent_fullname``...) becomes ``[name]``;
* a value under a *secret* key (anything with token, secret, password,
  authorization, assertion, credential or cookie in it, ``key``,
  ``api_key``, ``private_key``...) becomes ``[secret]``;
* in every other string, e-mail addresses become ``[email]``, phone-like
  runs (7 to 15 digits with ``+``, spaces, dots, dashes or parentheses)
  become ``[phone]``, the password of a URL and a bearer token become
  ``[secret]``.

Ids stay readable: a digit run that is part of a longer word (Salesforce
ids, 32-hex event ids, UUIDs) or that is an ISO date is not a phone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["redact", "redact_event", "redact_text"]

NAME_MASK = "[name]"
SECRET_MASK = "[secret]"  # noqa: S105  # a mask, not a password
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

# Keys are compared lower-cased with "_" and "-" removed, so Salesforce's
# FirstName and Regal's first_name are the same key.
_NAME_KEYS = frozenset(
    {
        "name", "firstname", "lastname", "middlename", "fullname",
        "nickname", "displayname", "username", "agentname",
        "agentfullname", "agentfirstname", "agentlastname", "contactname",
        "callername", "calleename", "leadname", "ownername", "salutation",
    }
)
_SECRET_PARTS = (
    "token", "secret", "password", "passwd", "authorization",
    "assertion", "credential", "cookie",
)
_SECRET_KEY_ENDINGS = ("apikey", "privatekey", "secretkey", "accesskey")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][\w+.-]*://[^:/@\s]*:)[^@\s]+@")
# Salesforce session ids contain "!", so a token runs to the next space
# or quote rather than to the next non-word character.
_BEARER = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[^\s\"',;]+", re.I)
# A phone-like run must not touch a word character or a separator that
# continues a longer token (an id, a UUID segment, a time of day).
_PHONE = re.compile(
    r"(?<![\w./+-])(?<!\d:)\+?\(?\d[\d(). -]{5,}\d\)?(?!\w|[.:/-]\w)"
)
# Digit runs shaped like these are data, not phones.
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}")


def redact_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> dict[str, Any]:
    """Mask personal data and secrets in a structlog event dict."""
    return {key: _redact_item(key, value) for key, value in event_dict.items()}


def redact(value: Any) -> Any:
    """Return ``value`` with personal data and secrets masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            _redact_key(key): _redact_item(key, item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]

    return value


def redact_text(text: str) -> str:
    """Mask e-mails, phone numbers and credentials inside free text."""
    text = _URL_PASSWORD.sub(rf"\g<head>{SECRET_MASK}@", text)
    text = _BEARER.sub(rf"\g<scheme> {SECRET_MASK}", text)
    text = _EMAIL.sub(EMAIL_MASK, text)

    return _PHONE.sub(_mask_phone, text)


def _redact_item(key: Any, value: Any) -> Any:
    if value is None or not isinstance(key, str):
        return redact(value)
    normalized = key.lower().replace("_", "").replace("-", "")
    if _is_secret_key(normalized):
        return SECRET_MASK
    if normalized in _NAME_KEYS and isinstance(value, str):
        return NAME_MASK

    return redact(value)


def _redact_key(key: Any) -> Any:
    return redact_text(key) if isinstance(key, str) else key


def _is_secret_key(normalized: str) -> bool:
    if normalized == "key" or normalized.endswith(_SECRET_KEY_ENDINGS):
        return True

    return any(part in normalized for part in _SECRET_PARTS)


def _mask_phone(match: re.Match[str]) -> str:
    candidate = match.group(0)
    digits = sum(char.isdigit() for char in candidate)
    if not 7 <= digits <= 15 or _NOT_PHONE.fullmatch(candidate):
        return candidate

    return PHONE_MASK
