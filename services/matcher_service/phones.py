"""Compare phone numbers however they were typed.

Salesforce stores phones exactly as entered, so ``(856) 559-7961``,
``856.559.7961`` and ``+1 856 559 7961`` are different strings for the same
line. Comparison uses a key: the digits, without the North American
country code ``1`` when eleven digits start with it.
"""

from __future__ import annotations

_MIN_DIGITS = 7


def phone_key(value: str | None) -> str | None:
    """Return the comparison key of a phone number, or None if it has too few digits."""
    if not value:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= _MIN_DIGITS else None


def typed_variants(keys: list[str]) -> list[str]:
    """Return the usual ways people type each key's number, for exact SOQL equality.

    Only a fallback for records SOSL has not indexed yet: a number typed in
    a format not listed here is found once the search index catches up.
    """
    variants: list[str] = []
    for key in keys:
        variants.extend([key, f"1{key}", f"+1{key}", f"+{key}"])
        if len(key) == 10:
            area, exchange, line = key[:3], key[3:6], key[6:]
            variants.extend([
                f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}", f"{area} {exchange} {line}",
                f"+1 {area} {exchange} {line}", f"+1 ({area}) {exchange}-{line}",
                f"1-{area}-{exchange}-{line}", f"+1-{area}-{exchange}-{line}",
                f"1 ({area}) {exchange}-{line}", f"+1.{area}.{exchange}.{line}",
            ])
    return list(dict.fromkeys(variants))
