"""When to hand a conversation to a person, and why. Settings decide the numbers.

Each reason is recorded on the handoff and shown in the console. Crisis comes first
(priority), then a plain request, then the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from assistant import intents
from assistant.turns import PastTurn, Route, Status


class Reason(StrEnum):
    CRISIS = "crisis"
    REQUESTED = "requested"
    OWN_CASE = "own_case"
    FRUSTRATION = "frustration"
    UNANSWERED_TWICE = "unanswered_twice"


#: Higher first in the queue.
PRIORITY = {
    Reason.CRISIS: 100,
    Reason.FRUSTRATION: 20,
    Reason.OWN_CASE: 10,
    Reason.UNANSWERED_TWICE: 10,
    Reason.REQUESTED: 10,
}

#: What a citizen's own case is made of.
_THINGS = (
    r"(?:application|claim|case|appeal|payments?|checks?|cheque|refund|benefits?|snap|"
    r"food stamps|medicaid|ebt(?: card)?|permit|licen[cs]e|registration|account|card|"
    r"renewal|exemption|deposit|documents?|paperwork|forms?|request|assistance|allotment|"
    r"unemployment|stipend|voucher|hearing|certificate|bill|ticket)"
)
_MY_THING = rf"\bmy\s+(?:[\w'-]+\s+){{0,2}}?{_THINGS}\b"
#: What happened to it.
_OUTCOME = (
    r"(?:pending|denied|rejected|refused|stopped|ended|cut|reduced|late|missing|delayed|"
    r"suspended|terminated|cancel+ed|closed|approved|processed|incomplete|on hold|"
    r"under review|stuck|lost|unpaid|overdue|arrived|came|come|reloaded|deposited|"
    r"gone down|went down|go down|changed|showing|shows|says|status)"
)
_OWN_CASE = re.compile(
    # the status of my application; check on my case; where is my refund
    rf"\b(?:status|estado) (?:of|on|de) (?:my|mi)\b"
    rf"|(?<!how do i )(?<!how can i )(?<!how to )\bcheck\s+(?:up\s+)?(?:on\s+)?"
    rf"(?:the\s+status\s+of\s+)?{_MY_THING}"
    rf"|\b(?:update|news|word)\s+(?:on|about)\s+{_MY_THING}|\blook\s+into\s+{_MY_THING}"
    rf"|\b(?:where|what)(?:'s| is| are|'re) my\s+(?:[\w'-]+\s+){{0,2}}?{_THINGS}\b"
    rf"|\bwhat happened (?:to|with) my\b"
    # my claim was denied; my benefits stopped; my check hasn't arrived
    rf"|{_MY_THING}\s+"
    r"(?:number\s+)?(?:(?:is|was|were|are|has|have|got|had|been|did|does|keeps?|"
    r"still|not|never|n't|hasn't|haven't|isn't|wasn't|didn't|doesn't|just|already|"
    r"suddenly|being|as)\s+){0,3}"
    rf"{_OUTCOME}\b"
    # why was my application denied; why did my benefits go down; has my permit been approved
    rf"|\bwhy\s+(?:was|were|is|are|did|has|have|hasn't|haven't|isn't|didn't|wasn't)\s+"
    rf"(?:my|i|we)\b[^.?!]{{0,40}}?\b(?:{_OUTCOME}|stop|end|drop|lose|get (?:cut|denied|"
    r"rejected|dropped|a (?:denial|letter)))\b"
    rf"|\b(?:has|have|is|are|was|did)(?:n't)?\s+{_MY_THING}\s+(?:been\s+|got\s+)?"
    rf"(?:approved|processed|accepted|received|reviewed|sent|mailed|issued|ready|done|"
    r"finished|renewed|paid|deposited)"
    r"|\bdid (?:you|they|the city|the office) (?:get|receive|process) my\b"
    r"|\bam i (?:registered|approved|enrolled|eligible now|still (?:eligible|enrolled))\b"
    # I never got my check; I haven't heard back
    r"|\b(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|never|still (?:haven'?t|have not))"
    r"\s+(?:yet\s+)?(?:received|got|gotten|seen|heard)\s+(?:back|anything|my|a (?:letter|"
    r"decision|response|reply|answer)|from)\b"
    r"|\bwhen will i (?:get|receive|see) my\b"
    rf"|\bwhen will my\s+(?:[\w'-]+\s+){{0,2}}?{_THINGS}\s+(?:arrive|come|be (?:approved|"
    r"processed|ready|sent|mailed))\b"
    r"|\bnothing (?:is |has been )?(?:on|in) my (?:card|account)\b"
    # I paid / applied / mailed ... but
    r"|\bi (?:already |just )?(?:paid|mailed|sent|submitted|filed|applied|uploaded|"
    r"renewed|registered)\b[^.?!]{0,60}\b(?:but|and (?:still|never|haven'?t|have not|"
    r"nothing|it'?s not|it is not))\b"
    # Spanish
    r"|\bno (?:he|hemos) recibido\b|\bmi (?:solicitud|caso|pago|cheque|reclamo|"
    r"beneficios|tarjeta)\s+(?:fue|est[aá]|ha sido|no ha)\b"
    r"|\bd[oó]nde est[aá]n? mis?\s+(?:\w+\s+){0,2}?(?:solicitud|caso|pago|cheque|reembolso|"
    r"reclamo|beneficios|tarjeta|permiso|licencia)\b"
    r"|\b(?:aprobaron|negaron|rechazaron|recibieron|procesaron|cancelaron|cortaron)\s+mis?\b",
    re.IGNORECASE,
)
_ANGRY = re.compile(
    r"\b(useless|ridiculous|pointless|terrible|awful|horrible|pathetic|waste of (my )?time|"
    r"not helpful|unhelpful|(not|no|never|isn't|aren't|doesn't|don't) help(ing|ful)?( at all| me)?|"
    r"fed up|sick (and tired )?of|tired of|frustrat(ed|ing)|annoy(ed|ing)|"
    r"this is (not|n't) working|this is a joke|joke of a|are you (even )?listening|"
    r"you (don't|do not|never|can't|cannot) (understand|listen|help)|stupid|dumb|worst|"
    r"i give up|(?<!\bi )forget it(?=\s*(?:$|[.!,]))|never ?mind|"
    r"i already (asked|told you|said)|i (just )?asked you|"
    r"(that's|that is|this is) not what i (asked|said|meant)|answer (my|the) question|"
    r"same (useless |stupid )?(answer|thing|reply)|you keep (giving|saying|telling|repeating)|"
    r"nobody (ever )?(helps|answers|listens)|no one (ever )?(helps|answers|listens)|"
    r"no sirve|in[uú]til|p[eé]rdida de tiempo|estoy hart[oa]|ya te (dije|lo dije)|"
    r"no me (ayudas|ayuda|entiendes)|ugh+|argh+|omg)\b"
    r"|[!?]{3,}",
    re.IGNORECASE,
)


#: "What happens if my application is denied?" asks about the rules, not a case.
_HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|unless|what happens|suppose|supposing)\b[^.?!,;]{0,50}$",
    re.IGNORECASE,
)


def is_own_case(text: str) -> bool:
    """A question about the citizen's own application, claim or payment."""
    return any(
        not _HYPOTHETICAL.search(text[: match.start()]) for match in _OWN_CASE.finditer(text)
    )


def is_angry(text: str) -> bool:
    shouting = sum(1 for w in re.findall(r"[A-Za-z]{3,}", text) if w.isupper()) >= 3
    return shouting or bool(_ANGRY.search(text)) or intents.is_abusive(text)


def repeats_itself(
    question: np.ndarray, earlier: Sequence[np.ndarray], *, threshold: float
) -> bool:
    """The same question again (close in meaning to one of the citizen's recent ones)."""
    return any(float(question @ vector) >= threshold for vector in earlier)


def decide(
    *,
    status: Status,
    route: Route | None,
    text: str,
    history: Sequence[PastTurn],
    repeated: bool,
) -> list[Reason]:
    """Every reason that applies to this turn, most urgent first (empty: no handoff)."""
    reasons: list[Reason] = []
    if status is Status.GUARDRAIL_CRISIS:
        reasons.append(Reason.CRISIS)
    if route is Route.HUMAN:
        reasons.append(Reason.REQUESTED)
    if status not in (Status.GUARDRAIL_CRISIS,) and is_own_case(text):
        reasons.append(Reason.OWN_CASE)
    if is_angry(text) or (repeated and not status.answered):
        reasons.append(Reason.FRUSTRATION)
    previous = [t for t in history if t.role == "assistant"][-1:]
    before = Status.parse(previous[0].status) if previous else None
    if status.unanswered and before is not None and before.unanswered:
        reasons.append(Reason.UNANSWERED_TWICE)
    return reasons
