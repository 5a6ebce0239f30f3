"""What kind of answer a question asks for, and how a sentence or a heading that gives it
looks.

Classic extractive QA types the expected answer before it reads the page: "how much"
wants an amount, "where" a place, "how do I" the steps. Here the type decides the
*shape* of the answer as much as which sentence wins: a fee question gets every fee
line of the section, a "what do I need" question the list under the matching heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "AnswerType",
    "Situation",
    "asks_what_it_is",
    "expected_types",
    "gives",
    "heading_suits",
    "situation",
    "without_street_names",
]


class AnswerType(StrEnum):
    COST = "cost"  # how much, fee, price
    TIME = "time"  # when, how long, deadline, hours
    PLACE = "place"  # where, address, office
    NEEDS = "needs"  # what documents / what do I need / requirements
    STEPS = "steps"  # how do I / how to / ways to / apply
    ELIGIBILITY = "eligibility"  # who can / am I eligible / do I qualify
    PROBLEM = "problem"  # a statement of a problem: what to do about it
    CONTACT = "contact"  # phone, call, talk to, email


_DAYS_MONTHS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april"
    r"|may|june|july|august|september|october|november|december"
)
_QUESTION_WORD = re.compile(
    r"^\s*(how|what|when|where|who|which|why|can|could|do|does|did|is|are|was|will|would|"
    r"should|may|am|i need to know|tell me|explain)\b|\?\s*$"
    # Spanish (a question may also open with ¿, and accents are often left out)
    r"|^\s*¿|^\s*(c[oó]mo|qu[eé]|cu[aá]ndo|d[oó]nde|qui[eé]n|cu[aá]l|cu[aá]nto|puedo|"
    r"necesito|tengo)\b",
    re.I,
)

# What the question says -> what it asks for.
_ASKS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        AnswerType.COST,
        re.compile(
            r"\b(how much|costs?|fees?|price|prices|charges?|pay for|expensive|cheap|"
            r"dollars?|penalty|penalties|fines)\b"
            r"|\b(is|are) (it|this|that|they|there) free\b|\bfor free\b"
            # "Is lunch at the senior center free or do I have to pay something?"
            r"|^\s*(is|are)\s+(\S+\s+){1,6}free\b|\bpay (anything|something)\b"
            r"|\b(cu[aá]nto (cuesta|cuestan|es|pago|hay que pagar)|costos?|precios?|tarifas?|"
            r"cargos?|multas? (de|por)|gratis|gratuit[oa])\b",
            re.I,
        ),
    ),
    (
        AnswerType.TIME,
        re.compile(
            r"\b(how long|when|what time|deadlines?|due|how soon|how early|how late|how far in "
            r"advance|how many (days|weeks|months|years)|hours|close|closes|expire|"
            r"expires|until|by what date|how often|what date|what day)\b"
            # "is it open on Sundays", "how long does it last"; not "open a business" nor
            # "last week", which say when the citizen's story happened
            r"|\bopen\b(?!\s+(a|an|my|our|the|up)\b)"
            r"|\blast\b(?!\s+(week|night|year|month|time|weekend|few|"
            r"\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|fall|"
            r"autumn|winter)\b)"
            r"|\b(cu[aá]ndo|cu[aá]nto tiempo|cu[aá]nto tardan?|plazo|fecha l[ií]mite|horario|"
            r"cada cu[aá]nto|qu[eé] d[ií]a|a qu[eé] hora|vence)\b",
            re.I,
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"\b(where|address|location|which office|go to)\b"
            r"|\b(d[oó]nde|direcci[oó]n|oficina)\b",
            re.I,
        ),
    ),
    (
        AnswerType.NEEDS,
        re.compile(
            r"\b(what (do|does|will|would|should) (i|we|you|they|he|she) (need|bring)|"
            r"what (documents?|papers?|paperwork|id|proof|information)|documents?|paperwork|"
            r"requirements?|required|need to bring|what to bring|proof of)\b"
            r"|\b(qu[eé] (documentos|papeles|necesito|tengo que llevar)|documentos|requisitos|"
            r"prueba de)\b",
            re.I,
        ),
    ),
    (
        AnswerType.STEPS,
        re.compile(
            r"\b(how (do|can|could|should|would|does|did) (i|we|you|one|my|someone|they|he|she)"
            r"|how to|ways? to|steps?|process|where do i (start|begin|go)|what do i do|"
            r"what (should|can) i do|what are my options)\b"
            r"|\b(c[oó]mo (solicito|pido|pago|renuevo|me inscribo|obtengo|consigo|saco|hago|"
            r"me comunico|reporto|puedo)|qu[eé] hago|pasos|formas de)\b",
            re.I,
        ),
    ),
    (
        AnswerType.ELIGIBILITY,
        re.compile(
            r"\b(who can|who is|who qualifies|eligible|eligibility|qualify|qualifies|allowed|"
            # "where can I", "when can I", "how can I" ask for a place, a time, the steps;
            # "what do I need" for the documents
            r"(?<!where )(?<!when )(?<!how )(?<!what )can i|am i|do i have to|"
            r"(?<!what )do i need|must i|"
            r"income limit|limits?|how old|what age|old enough|minimum age|age limit)\b"
            r"|\b(qui[eé]n puede|qui[eé]nes pueden|califico|calificar|l[ií]mites? de ingresos|"
            r"(?<!d[oó]nde )(?<!cu[aá]ndo )(?<!c[oó]mo )puedo|a qu[eé] edad|requisitos)\b",
            re.I,
        ),
    ),
    (
        AnswerType.CONTACT,
        re.compile(
            r"\b(phone|number|call|talk to|speak to|contact|email|reach|someone)\b"
            r"|\b(tel[eé]fono|n[uú]mero|llamar|comunic\w+|correo)\b",
            re.I,
        ),
    ),
)

# What a sentence or list item that gives the answer looks like.
_GIVES: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.COST: re.compile(
        r"\$\s?\d|\b(free|no (charge|fee|cost)|costs? nothing|nothing extra|at no cost|gratis|"
        r"fee|fees)\b"
        r"|\b(gratis|gratuit[oa]s?|cuesta|cuestan|no cuesta nada|cargo|costo)\b",
        re.I,
    ),
    AnswerType.TIME: re.compile(
        rf"\b\d+\s*(business |working |calendar )?(days?|weeks?|months?|years?|hours?|minutes?)\b"
        rf"|\b\d{{1,2}}(:\d{{2}})?\s*(a\.m\.|p\.m\.|am|pm)\b|\b({_DAYS_MONTHS})\b|\b24/7\b"
        r"|\b(same day|deadline|within|by the|before|after|every year|each year|annually)\b"
        r"|\b\d+\s*(d[ií]as?|semanas?|meses|mes|a[nñ]os?|horas?|minutos?)\b"
        r"|\b(lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bados?|domingos?|enero|febrero|marzo|"
        r"abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|mismo d[ií]a|"
        r"fecha l[ií]mite|en un plazo|antes de|despu[eé]s de|cada a[nñ]o)\b",
        re.I,
    ),
    AnswerType.PLACE: re.compile(
        r"\b\d+ [A-Z][a-z]+ (Street|Avenue|Road|Parkway|Boulevard|Way|Plaza|Lane|Square)\b"
        r"|\b(online at|at [a-z0-9.-]+\.[a-z]{2,}|office|branch|city hall|room \d+|center|"
        r"centre|location|visit)\b|\.example\b"
        r"|\b(por internet en|oficina|sucursal|alcald[ií]a|sala \d+|centro|visite)\b",
        re.I,
    ),
    AnswerType.NEEDS: re.compile(
        r"\b(bring|need|proof|documents?|certificate|card|form|copy|identification|id|"
        r"statement|letter|must (show|have|provide))\b"
        r"|\b(traiga|necesita|prueba|documentos?|acta|tarjeta|formulario|copia|"
        r"identificaci[oó]n|carta|debe (mostrar|tener|presentar))\b",
        re.I,
    ),
    AnswerType.STEPS: re.compile(
        r"^(apply|call|visit|go|book|fill|send|mail|submit|bring|pay|sign|choose|use|complete|"
        r"contact|log|create|upload|ask|report|request|schedule|register|text|email|file|"
        r"print|take|wait|check|find|open|enter|select|click|get|make|return)\b"
        r"|\b(you can|online|in person|by mail|by phone|step \d|first|then|next)\b"
        r"|^(solicite|llame|visite|vaya|pida|llene|env[ií]e|presente|traiga|pague|"
        r"inscr[ií]base|elija|use|complete|reporte|haga)\b"
        r"|\b(puede|por internet|en persona|por correo|por tel[eé]fono|primero|despu[eé]s)\b",
        re.I,
    ),
    AnswerType.ELIGIBILITY: re.compile(
        r"\b(if you|you must|you can|you qualify|eligible|aged? \d+|\d+ (or|and) (over|older)|"
        r"under \d+|at least|income|resident|only|must be|all of these)\b"
        r"|\b(si usted|debe|puede calificar|califica|\d+ a[nñ]os|por lo menos|ingresos?|"
        r"residentes?|solo|debe ser)\b",
        re.I,
    ),
    AnswerType.PROBLEM: re.compile(
        r"^(call|report|contact|visit|go|text|use|ask|apply|file|email|request|check)\b"
        r"|\b(you can|report it|call 311|we will|what to do|if you)\b"
        r"|^(llame|reporte|comun[ií]quese|visite|vaya|use|pida|solicite|presente)\b"
        r"|\b(puede|rep[oó]rtelo|llame al 311|si usted)\b",
        re.I,
    ),
    AnswerType.CONTACT: re.compile(
        r"\(\d{3}\) \d{3}-\d{4}|\b311\b|\bcall\b|@|\bemail\b|\b(llame|correo)\b", re.I
    ),
}

# What a section heading that holds the answer tends to say.
_HEADINGS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.COST: re.compile(
        r"\b(fees?|costs?|prices?|charges?|pay|payment|rates?)\b"
        r"|\b(costos?|cu[aá]nto (cuesta|paga|puede recibir)|multas|tarifas|pagar)\b",
        re.I,
    ),
    AnswerType.TIME: re.compile(
        r"\b(when|how long|deadlines?|due|hours|dates?|timeline|processing|after you|wait|"
        r"schedule|days?)\b"
        r"|\b(cu[aá]ndo|fechas?|plazos?|despu[eé]s de|horario|d[ií]as?)\b",
        re.I,
    ),
    AnswerType.PLACE: re.compile(
        r"\b(where|locations?|offices?|in person|visit|address)\b"
        r"|\b(d[oó]nde|oficinas?|en persona|direcci[oó]n)\b",
        re.I,
    ),
    AnswerType.NEEDS: re.compile(
        r"\b(documents?|what you need|what to bring|bring|requirements?|proof|need)\b"
        r"|\b(documentos|qu[eé] necesita|qu[eé] traer|qu[eé] incluir|requisitos)\b",
        re.I,
    ),
    AnswerType.STEPS: re.compile(
        r"\b(how to|how do|apply|applying|ways? to|steps?|online|by mail|in person|renew|"
        r"request|order|report|register|sign up|get|file|start)\b"
        r"|\b(c[oó]mo|solicitar|formas de|por internet|por correo|en persona|renovar|"
        r"pedir|inscribirse|obtener)\b",
        re.I,
    ),
    AnswerType.ELIGIBILITY: re.compile(
        r"\b(who can|who qualifies|eligib\w*|qualify|do you need|can you|limits?|rules)\b"
        r"|\b(qui[eé]n puede|qui[eé]nes pueden|califica\w*|l[ií]mites?|reglas)\b",
        re.I,
    ),
    AnswerType.PROBLEM: re.compile(
        r"\b(report|what to do|if you|problems?|help|leaks?|complaints?|appeal|disput\w*|"
        r"contest|repair|fix)\b"
        r"|\b(si no|problemas?|ayuda|apelar|impugnar|reportar)\b",
        re.I,
    ),
    AnswerType.CONTACT: re.compile(
        r"\b(get help|contact|help|call|questions)\b|\b(obtener ayuda|comunicarse|llame)\b",
        re.I,
    ),
}

# "Can I pay it over the phone?", "can I vote by mail?", "can I buy it at the vet?": whether
# there is such a way and how it goes (the ways), as much as who may use it.
_ASKS_FOR_A_WAY = re.compile(
    r"\b(can|could|may) (i|we)\b.*\b(online|on the web|by (mail|phone|text|email|app)|"
    r"over the phone|through 311|in person|in installments|with a (credit|debit) card|"
    r"at (the |a |an |my |our )?(city hall|vets?|veterinar\w+|library|dmv|post office|bank|"
    r"\w+ (office|center|centre)))\b"
    r"|\b(puedo|podemos)\b.*\b(por internet|en l[ií]nea|por correo|por tel[eé]fono|"
    r"en persona|a plazos)\b",
    re.I,
)
# "Who can get a free card", "Who can renew online": who may, though it names the verb.
_WHO_MAY = re.compile(
    r"^\s*(who (can|may|qualifies|is eligible)|eligib|qui[eé]n(es)? (puede|pueden|califica))",
    re.I,
)
_AFTER_THE_STEPS = re.compile(
    r"^\s*(after|once|what happens|what to expect|despu[eé]s|qu[eé] pasa)\b", re.I
)


# Question words as they are often typed: "wat do i need to aply", "were can i get a
# cheap rabies shot", "wen is trash pickup". The knowledge base's speller mends content
# words only (a page's vocabulary has no "what"), so the kind of answer asked for would be
# lost: "wat do i need" read as a statement of a problem. English only; "were" and "dose"
# are words of their own, mended only where nothing else fits.
_MISTYPED = (
    (re.compile(r"\b(wat|wht|whta|waht|wut)\b", re.I), "what"),
    (re.compile(r"\b(wats|whats|wat['’]s)\b", re.I), "what's"),
    (re.compile(r"\b(wen|whn|wehn|whne)\b", re.I), "when"),
    (re.compile(r"\b(wher|whre|wehre)\b", re.I), "where"),
    (re.compile(r"\b(wheres|were['’]s)\b", re.I), "where's"),
    (
        re.compile(
            r"(^\s*|[.?!,;]\s*|\band\s+)were(?=\s+(can|do|does|is|are|should|could)\b)", re.I
        ),
        r"\1where",
    ),
    (re.compile(r"\b(hw|hwo|howw)\b", re.I), "how"),
    (re.compile(r"\bdose(?=\s+(it|i|they|this|that|he|she|my|the)\b)", re.I), "does"),
)


def mended_question_words(question: str) -> str:
    """``question`` with its mistyped question words spelt out (see ``_MISTYPED``)."""
    for typed, word in _MISTYPED:
        question = typed.sub(word, question)
    return question


@lru_cache(maxsize=4096)
def expected_types(question: str) -> frozenset[AnswerType]:
    """The kinds of answer ``question`` asks for (none for a plain "tell me about X").

    A message that asks nothing ("there's a pothole on Elm Street", "my water bill is
    way too high") states a problem: what to do about it is the answer.
    """
    question = mended_question_words(question)
    found = {kind for kind, asks in _ASKS if asks.search(question)}
    if _ASKS_FOR_A_WAY.search(question):
        found = (found - {AnswerType.CONTACT}) | {AnswerType.STEPS}
    if not _QUESTION_WORD.search(question) and not found - {AnswerType.CONTACT}:
        found.add(AnswerType.PROBLEM)
    if AnswerType.COST in found or AnswerType.NEEDS in found:
        found.discard(AnswerType.STEPS)  # "how much does it cost to renew" wants the fee
    return frozenset(found)


def phrased_as_a_question(message: str) -> bool:
    """Whether ``message`` opens with a question word or ends with a question mark ("my
    registration expired last week can i still drive" is not)."""
    return bool(_QUESTION_WORD.search(mended_question_words(message)))


_WHAT_IS = re.compile(
    r"^\s*(what|who)(\s+is|\s+are|'s|’s)\s+(an?\s+|the\s+)?[\w()'’.-]+(\s+[\w()'’.-]+){0,3}"
    r"\s*\??\s*$",
    re.I,
)


def asks_what_it_is(question: str) -> bool:
    """ "What is 311?", "what's WERA": the thing itself, which a page's opening says."""
    return bool(_WHAT_IS.search(mended_question_words(question))) and not expected_types(question)


def gives(kind: AnswerType, text: str) -> bool:
    """Whether ``text`` looks like it gives an answer of this kind."""
    return bool(_GIVES[kind].search(text))


def heading_suits(kind: AnswerType, heading: str, innermost: str = "") -> bool:
    """Whether a section called ``heading`` (its path below the title, ``innermost`` its
    own heading if that differs) is where answers of this kind usually are. "After you
    apply" or "What happens next" names the apply verb but tells what follows the steps;
    "Who can get a free card" names it but tells who may."""
    if kind is AnswerType.STEPS and (
        _AFTER_THE_STEPS.search(innermost or heading) or _WHO_MAY.search(innermost or heading)
    ):
        return False
    return bool(heading) and bool(_HEADINGS[kind].search(heading))


# ---- the citizen's situation ---------------------------------------------------------

# "Elm Street", "123 North Maple Ave": where the citizen's problem is, not what it is.
_STREET_NAME = re.compile(
    r"\b(\d+\s+)?([A-Z][\w'’-]*\s+){1,3}(Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|"
    r"Boulevard|Blvd|Court|Ct|Place|Pl|Way|Terrace|Parkway)\b\.?(?!\s*[A-Z])"
)


def without_street_names(text: str) -> str:
    """``text`` without the street names in it: a pothole "on Elm Street" is a pothole,
    whichever page happens to mention an Elm."""
    return _STREET_NAME.sub(" ", text)


_AGE = re.compile(
    r"\b(?:i am|i'm|im|i’m|aged?|turns?|turning|turned|who is|who's|he is|she is|my \w+ is)\s*"
    r"(\d{1,3})\b|\b(\d{1,3})\s*(?:years? old|yrs? old|yo\b|-year-old|and over|or older|plus)",
    re.I,
)
_NUMBER = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\b")
_N = r"(\d{1,3}(?:,\d{3})+|\d+)"
_RANGE = re.compile(
    rf"\b(?:aged?\s+)?{_N}\s*(?:to|-|–|through)\s*{_N}\b"
    rf"|\b(?:aged?\s+)?{_N}\s*(?:[a-z]+\s+)?(?:and over|or over|or older|and older|or more|\+)"
    rf"|\b(?:under|younger than|below|less than)\s+(?:age\s+)?{_N}\b"
    rf"|\b{_N}\s*(?:[a-z]+\s+)?(?:or less|or fewer|or under)\b",
    re.I,
)

# A range is an age rule only beside a word about age: "30 to 60 days" is not one.
_AGE_WORDS = re.compile(
    r"\b(?:aged?|ages|older|younger|years?[ -]old|under 1[0-9]|under 2[01])\b", re.I
)


@dataclass(frozen=True, slots=True)
class Situation:
    """What the citizen said about themselves: an age, and the other numbers they gave."""

    age: int | None
    numbers: tuple[float, ...]

    def __bool__(self) -> bool:
        return self.age is not None or bool(self.numbers)

    def fits(self, text: str) -> bool:
        """Whether a fee or rule line is the one for this situation.

        "Drivers aged 65 to 79 pay $21" fits a 70-year-old, "aged 80 and over" does
        not; "weighing 4,001 to 6,000 pounds" fits a 5,000-pound pickup. A line naming
        no range fits when it names one of the citizen's numbers.
        """
        values = ([self.age] if self.age is not None else []) + list(self.numbers)
        for match in _RANGE.finditer(text):
            low, high, over, under, at_most = (
                float(g.replace(",", "")) if g else None for g in match.groups()
            )
            for v in values:
                if low is not None and high is not None and low <= v <= high:
                    return True
                if (over is not None and v >= over) or (under is not None and v < under):
                    return True
                if at_most is not None and v <= at_most:
                    return True
        mentioned = {float(n.replace(",", "")) for n in _NUMBER.findall(text)}
        return any(n in mentioned for n in self.numbers)

    def age_rule(self, text: str) -> int:
        """1 when the line states an age rule the citizen's age is within ("Drivers
        under 18 must ..." for "I'm 17"), -1 when it states only rules for other ages
        ("Drivers aged 18 and over ..."), 0 when it states none or no age was given."""
        if self.age is None or not _AGE_WORDS.search(text) or not _RANGE.search(text):
            return 0
        return 1 if Situation(self.age, ()).fits(text) else -1


@lru_cache(maxsize=2048)
def situation(question: str) -> Situation:
    """The citizen's age and the other numbers the question names."""
    age = None
    match = _AGE.search(question)
    if match:
        value = int(match.group(1) or match.group(2))
        if 0 < value < 120:
            age = value
    numbers = tuple(
        float(n.replace(",", ""))
        for n in _NUMBER.findall(question)
        if age is None or float(n.replace(",", "")) != age
    )
    return Situation(age=age, numbers=numbers)


# "... and can I ..." starts another question; "... and can't drive anymore" does not.
_PART_BREAK = re.compile(
    r"\?\s+(?=\S)|[,;]?\s+(?:and|also|plus)\s+(?=(?:how|what|when|where|who|which|why|can|could|"
    r"do|does|is|are|will|would|should|must|if)\b(?!['’]))",
    re.I,
)


def question_parts(question: str, *, most: int = 3) -> list[str]:
    """The questions inside one message: "How much is a vendor license and when do I
    renew it?" asks two things, and the answer should give both."""
    split = _PART_BREAK.split(mended_question_words(question))
    parts = [p.strip(" ,;") for p in split if p and p.strip(" ,;?")]
    parts = [p for p in parts if len(p.split()) >= 2]
    if len(parts) < 2:
        return [question]
    return parts[:most]
