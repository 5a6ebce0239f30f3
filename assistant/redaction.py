"""Remove personal data from text before it is stored or logged.

Each kind is replaced by a typed placeholder such as ``[SSN]`` so a caseworker can
still read what sort of thing the citizen wrote. Card numbers are Luhn-checked so
that ordinary long numbers (a case reference, a fee total) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}[- ]?(?!00)\d{2}[- ]?(?!0000)\d{4}\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}\b")
_DOB = re.compile(
    r"\b(?:born|birth(?:day| date)?|dob|date of birth)\b[^0-9a-z]{0,12}"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl)\b\.?"
)
_ACCOUNT = re.compile(
    r"\b(?:account|acct|routing|aba)(?:\s+(?:number|no\.?|#))?[:\s#]*\d{6,17}\b", re.IGNORECASE
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD NUMBER]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]


_RULES: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str] | str]] = [
    ("email", _EMAIL, "[EMAIL]"),
    ("account_number", _ACCOUNT, "[ACCOUNT NUMBER]"),
    ("card_number", _CARD, _card),
    ("ssn", _SSN, "[SSN]"),
    ("phone", _PHONE, "[PHONE]"),
    ("date_of_birth", _DOB, "[DATE OF BIRTH]"),
    ("street_address", _ADDRESS, "[ADDRESS]"),
]


def redact(text: str) -> Redaction:
    """The text with personal data replaced, and the kinds that were found."""
    kinds: list[str] = []
    for kind, pattern, replacement in _RULES:
        new = pattern.sub(replacement, text)
        if new != text:
            kinds.append(kind)
            text = new
    return Redaction(text=text, kinds=tuple(kinds))
