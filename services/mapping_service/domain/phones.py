"""Send phone numbers to Regal in E.164 when they can be read as numbers.

Salesforce stores phones as typed (``(856) 559-7961``, ``856.559.7961``,
``+44 20 7946 0958``); Regal identifies profiles by phone, so one number
should always look the same. A value that parses as a possible number in
the tenant's default region (``US`` unless configured) goes out as E.164
(``+18565597961``); anything else (extensions alone, words, too few
digits) goes out exactly as stored, so nothing is lost (docs/mapping.md).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import phonenumbers

from mapping_service.domain.model import AttributeMapping
from mapping_service.domain.values import JsonValue

_PHONE_TRAITS = ("traits.phone",)


def is_phone(attribute: AttributeMapping, field_types: Mapping[str, str]) -> bool:
    """Tell whether a mapping carries a phone number.

    The describe type decides when known; without it the Regal name
    ``traits.phone`` or a Salesforce name ending in ``Phone`` does.
    """
    known = field_types.get(attribute.salesforce)
    if known is not None:
        return known == "phone"
    return attribute.regal in _PHONE_TRAITS or attribute.salesforce.endswith("Phone")


def e164(value: JsonValue, region: str) -> JsonValue:
    """Return the E.164 form of a phone value, or the value unchanged."""
    if not isinstance(value, str) or not value.strip():
        return value
    return _e164_text(value, region)


# Parsing costs tens of microseconds and the same records change again and
# again; a bounded cache of recent numbers keeps the work off the hot path.
@functools.lru_cache(maxsize=8192)
def _e164_text(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
