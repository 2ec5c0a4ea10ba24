"""The one home of the formats the platform accepts for contact details, as regular expressions
that mean the same in Python and in JSON Schema (the OpenAPI document shows them)."""

from __future__ import annotations

import re

# A number SMS can reach: E.164, a plus and 7 to 15 digits, the first not 0.
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164 = re.compile(E164_PATTERN)


# A currency: an ISO 4217 code such as GBP.
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def in_words(items: list[str] | tuple[str, ...]) -> str:
    """`a, b or c`: a list as a sentence says it."""
    *others, last = items
    return f"{', '.join(others)} or {last}" if others else last


def email_pattern(blanks: str = r"\s") -> str:
    """An address with one @ and a dot after it, without blanks (`blanks` is a character-class body:
    the API spells the blanks out, since `\\s` differs between regex engines)."""
    part = f"[^@{blanks}]+"
    return rf"^{part}@{part}\.{part}$"


EMAIL = re.compile(email_pattern())
