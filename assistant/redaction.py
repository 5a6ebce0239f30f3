"""Remove personal data from text before it is stored or logged.

Each kind is replaced by a typed placeholder such as ``[SSN]`` so a caseworker can
still read what sort of thing the citizen wrote. Checksums and numbering rules come
from maintained libraries, so ordinary numbers (a fee total, a case reference, a form
number) are left alone:

- phone numbers: Google's libphonenumber (``phonenumbers``), US numbers in any common
  layout and international ones written with ``+``;
- card numbers: the Luhn check, SSNs/ITINs: the area-group-serial rules, and routing
  numbers: the ABA check digit, all from ``python-stdnum``.

Emails, dates of birth, street addresses and account numbers have no library that finds
them in free text offline; they are patterns, and dates of birth and account numbers
are only taken next to words that say what they are ("born", "DOB", "account"…).

A nine-digit number is the one ambiguous case. Written 3-2-4 (``123-45-6789``) it is
an SSN. Bare (``123456789``) it is an SSN after SSN words, a routing number after
routing words, and otherwise a routing number only when its check digit and Federal
Reserve prefix are valid (a typed routing number always is; a random number rarely, so
ordinary nine-digit references usually survive). An account or card number typed with
a mistake is still redacted when the citizen says what it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from stdnum import luhn
from stdnum.us import itin, rtn, ssn

# ---- numbers ------------------------------------------------------------------------
_SSN_FORMATTED = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_SSN_WORDS = (
    r"(?:ssn|ss\s?#|ssan|social(?:\s+security)?(?:\s+(?:number|no\.?|num|#))?|"
    r"seguro\s+social|n[uú]mero\s+de\s+seguro(?:\s+social)?|itin|tax\s*id|taxpayer\s+id\w*)"
)
_SSN_IN_CONTEXT = re.compile(
    rf"\b{_SSN_WORDS}(?:\s+(?:is|es|was|:))?[\s:#=-]{{0,4}}"
    r"(\d{3}[- .]?\d{2}[- .]?\d{4})(?!\d)",
    re.IGNORECASE,
)
_ROUTING_WORDS = r"(?:routing|aba|rtn|transit|ruta|enrutamiento|c[oó]digo\s+bancario)"
_ROUTING_IN_CONTEXT = re.compile(
    rf"\b{_ROUTING_WORDS}(?:\s+(?:number|no\.?|num|#|n[uú]mero))?(?:\s+(?:is|es|was|:))?"
    r"[\s:#=-]{0,4}(\d{9})(?!\d)",
    re.IGNORECASE,
)
_NINE_DIGITS = re.compile(r"(?<![\w$.,/-])\d{9}(?![\w/-]|[.,]\d)")
_ACCOUNT_IN_CONTEXT = re.compile(
    r"\b(?:(?:bank|checking|savings|utility|water|ebt|medicaid|member|customer|billing|"
    r"client)\s+)?"
    r"(?:account|acct|a/c|cuenta|n[uú]mero\s+de\s+cuenta)"
    r"(?:\s+(?:number|no\.?|num|#|n[uú]mero))?(?:\s+(?:is|es|was|:))?[\s:#=-]{0,4}"
    r"(\d(?:[ -]?\d){4,16})(?!\d)",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")

# ---- words --------------------------------------------------------------------------
_EMAIL = re.compile(r"\b[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|"
    r"abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|"
    rf"{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?{_MONTHS}\.?,?\s+(?:of\s+|de\s+|del\s+)?\d{{4}})"
)
_DOB = re.compile(
    r"\b(?:born(?:\s+on)?|birth\s*(?:day|date)|birthday|dob|d\.o\.b\.?|date\s+of\s+birth|"
    r"fecha\s+de\s+nacimiento|nac[ií](?:do|da)?(?:\s+el)?|cumplea[nñ]os)\b"
    r"(?:\s+(?:is|was|es|fue|:))?[^0-9a-z]{0,6}(?:el\s+|on\s+|the\s+)?"
    rf"({_DATE})",
    re.IGNORECASE,
)

_SUFFIX = (
    r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|"
    r"place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|trail|trl|square|sq|plaza|"
    r"alley|loop|crescent|row)"
)
_PLAIN_SUFFIX = (  # the ones that are not also everyday words, for all-lowercase text
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|terrace|ter|"
    r"parkway|pkwy|circle|cir)"
)
_NOT_A_NAME = (
    r"(?:the|a|an|of|in|on|at|to|for|and|or|my|your|our|their|his|her|this|that|is|are|"
    r"was|be|by|from|with|per|each|every|more|less|about|before|after|over|under|into|"
    r"than|if|when|business|working|calendar|days?|weeks?|months?|years?|hours?|minutes?|"
    r"seconds?|times?|feet|foot|miles?|kids?|children|people|questions?|older|younger|"
    r"dollars?|cents?|percent|cars?|vehicles?|trips?|rides?|blocks?|lanes?|stops?|am|pm)"
)
_UNIT = r"(?i:,?\s+(?:apt|apartment|unit|suite|ste|#|no\.?|fl|floor)\.?\s*#?\s*[\w-]{1,6})?"
_DIRECTION = r"(?:(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\.?\s+)?"
_ADDRESS = re.compile(
    # 12 Harbor Street, 1600 Pennsylvania Ave NW, 42B W 3rd St. Apt 4 (capitalised names)
    rf"\b\d{{1,6}}[A-Za-z]?\s+{_DIRECTION}(?:(?:[A-Z][a-z'’-]+|\d+(?:st|nd|rd|th)|[A-Z])\s+){{1,3}}"
    rf"(?i:{_SUFFIX})\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?{_UNIT}"
    # 12 elm st apt 4 (lower case: only unambiguous suffixes, no everyday words as names)
    rf"|(?i:\b\d{{1,6}}[a-z]?\s+{_DIRECTION}(?:(?!{_NOT_A_NAME}\b)[a-z][a-z'’-]+\s+){{1,2}}"
    rf"{_PLAIN_SUFFIX}\b\.?{_UNIT})"
    # Spanish: 12 Calle Mayor, Calle Mayor 12, Avenida Central #45
    rf"|(?i:\b\d{{1,6}}\s+(?:calle|avenida|avda\.?|camino|paseo)\s+(?:[\w'’-]+\s?){{1,3}}\b)"
    rf"|(?i:\b(?:calle|avenida|avda\.?|camino|paseo)\s+(?:(?!\d)[\w'’-]+\s+){{1,3}}#?\s?\d{{1,5}}\b)"
    # P.O. Box 1234, apartado postal 12
    r"|(?i:\b(?:p\.?\s?o\.?\s+box|post\s+office\s+box|apartado(?:\s+postal)?)\s+#?\s?\d{1,8}\b)"
)
_PHONE_SHAPE = re.compile(
    r"^(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}|\d{3}[ .-]\d{4})"
    r"(?:\s*(?:ext\.?|x|extension)\s*\d{1,6})?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _valid_ssn(number: str) -> bool:
    return bool(ssn.is_valid(number) or itin.is_valid(number))


def _valid_routing(number: str) -> bool:
    """ABA check digit and a Federal Reserve routing symbol (00-12, 21-32, 61-72, 80)."""
    prefix = int(number[:2])
    in_range = prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80
    return in_range and bool(rtn.is_valid(number))


def _replace_group(pattern: re.Pattern[str], placeholder: str) -> Callable[[str], str]:
    """Replace only the number (group 1) of a match, keeping the words that name it."""

    def apply(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            start, end = match.span(1)
            whole = match.group(0)
            offset = match.start(0)
            return whole[: start - offset] + placeholder + whole[end - offset :]

        return pattern.sub(one, text)

    return apply


def _formatted_ssns(text: str) -> str:
    return _SSN_FORMATTED.sub(
        lambda m: "[SSN]" if _valid_ssn(m.group(0)) else m.group(0),
        text,
    )


def _cards(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        digits = _digits(match.group(0))
        card = 13 <= len(digits) <= 19 and luhn.is_valid(digits)
        return "[CARD NUMBER]" if card else match.group(0)

    return _CARD.sub(one, text)


def _bare_routing_numbers(text: str) -> str:
    return _NINE_DIGITS.sub(
        lambda m: "[ROUTING NUMBER]" if _valid_routing(m.group(0)) else m.group(0), text
    )


def _phones(text: str) -> str:
    found = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
    spans = [
        (m.start, m.end)
        for m in found
        if m.raw_string.startswith("+") or _PHONE_SHAPE.match(m.raw_string)
    ]
    for start, end in reversed(spans):
        text = text[:start] + "[PHONE]" + text[end:]
    return text


#: In order: each rule sees the text the rules before it left (placeholders hold no digits).
_RULES: list[tuple[str, Callable[[str], str]]] = [
    ("email", lambda t: _EMAIL.sub("[EMAIL]", t)),
    ("ssn", _formatted_ssns),
    ("ssn", _replace_group(_SSN_IN_CONTEXT, "[SSN]")),
    ("routing_number", _replace_group(_ROUTING_IN_CONTEXT, "[ROUTING NUMBER]")),
    ("card_number", _cards),
    ("account_number", _replace_group(_ACCOUNT_IN_CONTEXT, "[ACCOUNT NUMBER]")),
    ("date_of_birth", _replace_group(_DOB, "[DATE OF BIRTH]")),
    ("phone", _phones),
    ("routing_number", _bare_routing_numbers),
    ("street_address", lambda t: _ADDRESS.sub("[ADDRESS]", t)),
]


def redact(text: str) -> Redaction:
    """The text with personal data replaced, and the kinds that were found."""
    kinds: list[str] = []
    for kind, apply in _RULES:
        new = apply(text)
        if new != text:
            if kind not in kinds:
                kinds.append(kind)
            text = new
    return Redaction(text=text, kinds=tuple(kinds))


_PLACEHOLDER = re.compile(
    r"\[(?:SSN|CARD NUMBER|ROUTING NUMBER|ACCOUNT NUMBER|DATE OF BIRTH|PHONE|"
    r"EMAIL|ADDRESS)\]"
)
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;,])\s+|\s+(?:and|but|so|also)\s+", re.I)
# Words that only say what the personal data is ("my SSN is [SSN]").
_ABOUT_THE_DATA = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "my me i im i'm is was it its it's here this the a an number no num # phone cell "
        "mobile email e-mail address ssn social security card account routing bank date of "
        "birth dob born on at mine our your contact reach call text you can and or"
    ).split()
)


def question_part(redacted: str) -> str:
    """A redacted message without the clauses that only hand over personal data.

    "my SSN is [SSN] and I need help with SNAP" asks about SNAP: the first clause would
    only pull answers about Social Security numbers. A clause that says anything else
    stays, placeholder and all; a message that is nothing but personal data stays whole.
    """
    if not _PLACEHOLDER.search(redacted):
        return redacted
    kept = []
    for clause in _CLAUSE_BREAK.split(redacted):
        if not _PLACEHOLDER.search(clause):
            kept.append(clause)
            continue
        words = re.findall(r"[\w'#-]+", _PLACEHOLDER.sub(" ", clause).lower())
        if len([w for w in words if w not in _ABOUT_THE_DATA]) >= 2:
            kept.append(clause)
    question = " ".join(c.strip() for c in kept if c.strip()).strip(" ,;")
    return question or redacted
