"""Bringing in a person: who can take over a conversation, and the turn's last stage
that opens the handoff (or, when nobody is on duty, offers a call back).

It runs after ``Escalate`` has decided that a person should step in (``ctx.handoff_reasons``)
and before the privacy note, on conversations that are stored: the editors' preview and
``citizen-assistant ask`` run the same turn without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from assistant import canned
from assistant.escalation import PRIORITY, Reason
from assistant.handoffs import HandoffQueue
from assistant.hours import OpeningHours
from assistant.intents import route
from assistant.models import utcnow
from assistant.staff import Staff
from assistant.stages import Replies
from assistant.turns import CitizenHandoff, PastTurn, Route, Status, TurnContext

__all__ = ["BringInAPerson", "People", "summarise"]

_HANDOFF_STATUS = {
    Reason.REQUESTED: Status.HANDOFF_REQUESTED,
    Reason.OWN_CASE: Status.HANDOFF_OWN_CASE,
    Reason.FRUSTRATION: Status.HANDOFF_FRUSTRATION,
    Reason.UNANSWERED_TWICE: Status.HANDOFF_UNANSWERED_TWICE,
    Reason.CRISIS: Status.GUARDRAIL_CRISIS,
}


@dataclass(frozen=True, slots=True)
class People:
    """Everything the service needs to bring in a caseworker."""

    queue: HandoffQueue
    staff: Staff
    hours: OpeningHours
    online_window: timedelta
    replies: Replies
    default_team: str
    team_routes: dict[str, str]
    topic_of: Any  # Callable[[str], tuple[str | None, str | None]]: doc_id -> (topic, agency)
    # Callable[[str], str | None]: a live document's title by its id (None: gone since).
    title_of: Any = None

    def available(self) -> bool:
        return self.hours.is_open(utcnow()) and (
            self.staff.caseworkers_online(within=self.online_window) > 0
        )

    def team_for(self, history: list[PastTurn]) -> str:
        for turn in reversed(history):
            for doc_id in turn.cited_docs:
                topic, agency = self.topic_of(doc_id)
                for key in (topic, agency):
                    if key and key in self.team_routes:
                        return self.team_routes[key]
        return self.default_team

    def summary(self, history: list[PastTurn], text: str, reasons: list[str]) -> str:
        """The handoff's summary, naming the pages discussed by their titles."""
        return summarise(history, text, reasons, title_of=self.title_of)


class BringInAPerson:
    """Opens a handoff for a turn that escalation flagged, and tells the citizen where they
    are in the queue; out of hours (or with nobody online) offers a call back instead."""

    name = "bring_in_a_person"

    def __init__(self, people: People) -> None:
        self.people = people

    def __call__(self, ctx: TurnContext) -> None:
        if not ctx.handoff_reasons or ctx.conversation_id is None:
            return
        assert ctx.status is not None
        session_id = ctx.conversation_id
        reasons = ctx.handoff_reasons
        first = Reason(reasons[0])
        crisis = first is Reason.CRISIS
        replies = self.people.replies
        lang = ctx.language
        if not crisis and not self.people.available():
            ctx.status = Status.HANDOFF_CALLBACK_OFFERED
            ctx.citations = []
            hours = self.people.hours
            when = (
                ""
                if hours.always
                else canned.render(
                    canned.CALLBACK_HOURS,
                    language=lang,
                    hours=hours.describe(partial(canned.translate, language=lang)),
                )
            )
            ctx.reply_text = replies(canned.CALLBACK_OFFER, language=lang, hours=when)
            return
        if not crisis and not ctx.message.may_open_handoff:
            # One address asking again and again (a script filling the queue): no new place
            # in line, but the way to a person is still given. Crisis is never refused.
            ctx.status = Status.HANDOFF_LIMITED
            ctx.citations = []
            ctx.reply_text = replies(canned.HANDOFF_LIMITED, language=lang)
            return
        handoff = self.people.queue.open(
            conversation_id=session_id,
            channel=ctx.message.channel,
            reasons=reasons,
            priority=max(PRIORITY[Reason(r)] for r in reasons),
            summary=self.people.summary(ctx.history, ctx.said or ctx.text, reasons),
            team=self.people.team_for(ctx.history),
            language=ctx.language,
        )
        minutes = self.people.queue.minutes_per_case
        if crisis:
            ctx.reply_text += canned.translate(canned.HANDOFF_CRISIS_OPENED, lang)
        else:
            ctx.status = _HANDOFF_STATUS[first]
            ctx.citations = []
            ctx.reply_text = canned.translate(
                canned.HANDOFF_LEAD_IN[str(first)], lang
            ) + canned.render(
                canned.HANDOFF_OPENED,
                language=lang,
                position=handoff.position or 1,
                wait=max(1, round((handoff.position or 1) * minutes)),
            )
        ctx.handoff = CitizenHandoff.from_json(handoff.citizen_json(minutes_per_case=minutes))


_REASON_WORDS = {
    "crisis": "may be in crisis",
    "requested": "asked for a person",
    "own_case": "asked about their own case",
    "frustration": "seemed frustrated",
    "unanswered_twice": "the assistant could not answer twice",
}


def summarise(
    history: list[PastTurn],
    text: str,
    reasons: list[str],
    *,
    title_of: Callable[[str], str | None] | None = None,
) -> str:
    """A short, redacted account of what the citizen needs, for the caseworker's list.

    Each message is quoted once (the message that brought the person in may already be
    in the history, as a left call-back is), bare requests for a person are left to the
    reason that says so, and pages are named by title, as the caseworker knows them.
    """
    said = [t.text for t in history if t.role == "citizen"] + [text]
    quoted: dict[str, str] = {}
    for message in said:
        message = message.strip()
        if message:
            quoted.pop(_same(message), None)  # a repeat counts where it was last said
            quoted[_same(message)] = message
    asked = [q for q in quoted.values() if route(q) is not Route.HUMAN] or list(quoted.values())
    doc_ids = list(dict.fromkeys(d for t in history for d in t.cited_docs))[-2:]
    titles = list(dict.fromkeys((title_of(d) if title_of else None) or d for d in doc_ids))
    parts = [f"The citizen {', and '.join(_REASON_WORDS[r] for r in reasons)}."]
    if titles:
        parts.append("Pages discussed: " + "; ".join(titles) + ".")
    if asked:
        parts.append("They wrote: " + " / ".join(f"“{q[:140]}”" for q in asked[-3:]))
    return " ".join(parts)[:600]


def _same(message: str) -> str:
    """A message as compared for repeats: case, spacing and end punctuation aside."""
    return " ".join(message.casefold().split()).rstrip(" .!?")
