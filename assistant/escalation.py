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

_OWN_CASE = re.compile(
    r"\b(status of my|where is my|what happened to my|why (was|were|is|are) (my|i|we) "
    r"(denied|rejected|cut|stopped|late|refused)|my (application|claim|case|appeal|payment|"
    r"check|refund|benefits?|snap|medicaid|permit|license|registration|account|card|ebt)"
    r"\s*(number\s*)?(is |was |has |have |got |been |are )?(still )?(not |n't )?(pending|"
    r"denied|rejected|stopped|late|missing|delayed|suspended|cancel+ed|closed|approved|"
    r"been (approved|denied|processed)|processed|arrived|come|showing|working|status)|"
    r"(haven't|have not|didn't|did not|never) (received|got|gotten) my|"
    r"(check|update) (on |the status of )?my (application|claim|case|appeal)|"
    r"my (benefits|payments?|checks?) (stopped|ended|are late|were cut)|"
    r"estado de mi (solicitud|caso))\b",
    re.IGNORECASE,
)
_ANGRY = re.compile(
    r"\b(useless|ridiculous|pointless|terrible|awful|waste of (my )?time|not helpful|"
    r"unhelpful|fed up|frustrat(ed|ing)|annoy(ed|ing)|this is (not|n't) working|"
    r"you (don't|do not|never) (understand|listen|help)|stupid|worst|i give up|"
    r"i already (asked|told you|said)|answer (my|the) question)\b"
    r"|!{3,}",
    re.IGNORECASE,
)


def is_own_case(text: str) -> bool:
    """A question about the citizen's own application, claim or payment."""
    return bool(_OWN_CASE.search(text))


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
