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
    r"alley|loop|crescent|row|hill|close|grove|gardens|green|rise|mews|heights|ridge|"
    r"hollow|crossing|commons|meadows?|glen|walk|pike|turnpike|run)"
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
# A number and a name after words that say it is where someone lives ("I live at 88 Quarry
# Hill"): an address even without a street suffix (one to three capitalised words).
_ADDRESS_CUE = re.compile(
    r"\b(?i:(?:i|we|she|he|they|mom|dad)\s+(?:live|lives|living|stay|stays|staying|moved)"
    r"(?:\s+(?:at|on|to|in))?|(?:my|our|her|his|their|the|home|mailing|new|old)\s+address"
    r"(?:\s+(?:is|was|:))?|(?:house|home|apartment|property|building|flat)\s+(?:at|on)|"
    r"reside\s+at|residing\s+at|vivo\s+en|mi\s+direcci[oó]n\s+es)"
    r"[\s:,]{1,4}"
    rf"(\d{{1,6}}[A-Za-z]?\s+{_DIRECTION}(?:(?!{_NOT_A_NAME}\b)[A-Z][\w'’-]+\s?){{1,3}}{_UNIT})"
)
_PHONE_SHAPE = re.compile(
    r"^(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}|\d{3}[ .-]\d{4})"
    r"(?:\s*(?:ext\.?|x|extension)\s*\d{1,6})?$",
    re.IGNORECASE,
)


# ---- beside a card number -----------------------------------------------------------
_MONTH_YEAR = r"(?:0?[1-9]|1[0-2])\s?[/-]\s?(?:20\d{2}|\d{2})"
_EXPIRY = re.compile(
    r"\b(?:exp(?:iry|iration|ires|\.)?(?:\s+date)?|valid\s+(?:thru|through|until)|"
    r"vence|vencimiento|caduca)(?:\s+(?:is|es|on|:))?[\s:#=-]{0,4}"
    rf"({_MONTH_YEAR})(?![\d/])",
    re.IGNORECASE,
)
_CARD_CODE = re.compile(
    r"\b(?:cvv2?|cvc2?|cid|csc|security\s+code|card\s+(?:verification|security)\s+"
    r"(?:code|number|value)|c[oó]digo\s+de\s+seguridad|(?:3|4|three|four)[\s-]digit\s+code|"
    r"digits\s+on\s+the\s+back(?:\s+of\s+the\s+card)?(?:\s+(?:are|is))?)"
    r"(?:\s+(?:is|es|:))?[\s:#=-]{0,4}(\d{3,4})(?!\d)",
    re.IGNORECASE,
)
# Straight after a card number, a month/year and a 3-4 digit code need no words: "4111 1111
# 1111 1111 04/27 123" is how people copy a card off its face.
_AFTER_CARD_EXPIRY = re.compile(
    r"(\[CARD NUMBER\][^\[\]\n\d]{0,20})((?:0?[1-9]|1[0-2])\s?[/\s-]\s?(?:20\d{2}|\d{2}))"
    r"(?![\d/])"
)
_AFTER_CARD_CODE = re.compile(
    r"(\[CARD NUMBER\](?:[^\[\]\n\d]|\[CARD EXPIRY\]){0,30}?)(?<!\d)(\d{3,4})(?![\d/$])"
)


def _after_card(pattern: re.Pattern[str], placeholder: str) -> Callable[[str], str]:
    return lambda text: pattern.sub(lambda m: m.group(1) + placeholder, text)


# ---- people's names (only after words that introduce one) ------------------------------
# No offline library finds names in free text well enough to trust here (see README:
# measured on eval/datasets/redaction.jsonl); a name is taken where the citizen says it
# is one: "my name is", "I'm", "this is", a title, a relative's or a caseworker's name.
# Capitalised, accents too (José Hernández), O'Neil, Smith-Jones; never a possessive
# ("Fairhaven's" is a place's).
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_NAME_WORD = (
    rf"[{_UPPER}][{_LOWER}]+(?:['’][{_UPPER}][{_LOWER}]+)?(?:-[{_UPPER}][{_LOWER}]+)?"
    r"(?!['’\w])"
)
_NOT_NAMES = (
    r"(?:Not|So|Very|Just|Really|Still|Trying|Looking|Calling|Writing|Having|Going|Getting|"
    r"Asking|Applying|Wondering|Unable|Able|Disabled|Pregnant|Homeless|Unemployed|Married|"
    r"Single|Retired|New|Confused|Worried|Scared|Sorry|Fine|Ok|Okay|Good|Done|Ready|Here|"
    r"There|Eligible|Over|Under|In|On|At|From|The|A|An|About|My|Your|Our|It|This|That|What|"
    r"Why|How|When|Where|Who|Yes|No|Hello|Hi|Thanks|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday|January|February|March|April|June|July|August|September|"
    r"October|November|December|English|Spanish|American|Mexican|Urgent|Important|"
    r"Interested|Currently|Also|Now|Calling|Texting|Veteran|Senior|Student|Disabled|Blind|"
    r"Deaf|Sick|Ill|Mr|Mrs|Ms|Miss|Dr|Sr|Sra)"
)
_NAME = (
    rf"(?!{_NOT_NAMES}\b){_NAME_WORD}(?:\s+(?:[A-Z]\.\s+)?(?!{_NOT_NAMES}\b){_NAME_WORD}){{0,2}}"
)
_NAME_CUE = re.compile(
    r"(?:(?:^|[.!?]\s+|(?i:hi|hello|hey|hola|good\s+\w+)[,!.]?\s+)(?i:this\s+is)"
    r"|\b(?i:my\s+name\s+is|my\s+name's|name\s*:|i\s+am|i'm|i’m|im|call\s+me|"
    r"me\s+llamo|mi\s+nombre\s+es|soy|signed|regards,?|sincerely,?|thanks,|thank\s+you,|"
    r"gracias,|mr\.?|mrs\.?|ms\.?|miss|dr\.?|sr\.?|sra\.?|se[nñ]ora?|"
    r"(?:my|our|his|her|your)\s+(?:son|daughter|husband|wife|mother|mom|father|dad|partner|"
    r"child|kid|brother|sister|grandson|granddaughter|grandmother|grandma|grandfather|"
    r"grandpa|landlord|neighbou?r|caseworker|case\s+worker|boyfriend|girlfriend|"
    r"fianc[eé]e?|hijo|hija|esposo|esposa|madre|padre)(?:'s\s+name\s+is|\s+is\s+named|"
    r"\s+named|\s+is|,)?))"
    rf"\s+({_NAME})\b"
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
        whole = match.group(0)
        # The longest run of whole digit groups that is a card: "4111 1111 1111 1111 04 27"
        # is a card number followed by its expiry, not one 20-digit number.
        for end in sorted(_group_ends(whole), reverse=True):
            digits = _digits(whole[:end])
            if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
                return "[CARD NUMBER]" + whole[end:]
        return whole

    return _CARD.sub(one, text)


def _group_ends(number: str) -> list[int]:
    """Where each group of digits in ``4111 1111-1111`` ends (the whole, and before each
    separator)."""
    return [i for i, c in enumerate(number) if c in " -"] + [len(number)]


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
    ("card_expiry", _replace_group(_EXPIRY, "[CARD EXPIRY]")),
    ("card_code", _replace_group(_CARD_CODE, "[CARD CODE]")),
    ("card_expiry", _after_card(_AFTER_CARD_EXPIRY, "[CARD EXPIRY]")),
    ("card_code", _after_card(_AFTER_CARD_CODE, "[CARD CODE]")),
    ("account_number", _replace_group(_ACCOUNT_IN_CONTEXT, "[ACCOUNT NUMBER]")),
    ("date_of_birth", _replace_group(_DOB, "[DATE OF BIRTH]")),
    ("phone", _phones),
    ("routing_number", _bare_routing_numbers),
    ("street_address", lambda t: _ADDRESS.sub("[ADDRESS]", t)),
    ("street_address", _replace_group(_ADDRESS_CUE, "[ADDRESS]")),
    ("person_name", _replace_group(_NAME_CUE, "[NAME]")),
]


def redact(text: str, *, names: bool = True) -> Redaction:
    """The text with personal data replaced, and the kinds that were found.

    ``names=False`` keeps people's names: a caseworker's reply ("Hello, this is Sam from
    the city") names the caseworker, not the citizen.
    """
    kinds: list[str] = []
    for kind, apply in _RULES:
        if kind == "person_name" and not names:
            continue
        new = apply(text)
        if new != text:
            if kind not in kinds:
                kinds.append(kind)
            text = new
    return Redaction(text=text, kinds=tuple(kinds))


_PLACEHOLDER = re.compile(
    r"\[(?:SSN|CARD NUMBER|CARD EXPIRY|CARD CODE|ROUTING NUMBER|ACCOUNT NUMBER|"
    r"DATE OF BIRTH|PHONE|EMAIL|ADDRESS|NAME)\]"
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
