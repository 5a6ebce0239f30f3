"""A generated history of citizen traffic, written straight into the conversation tables:
for the analytics benchmark (a year, a million turns), the analytics page's browser test
and the staffing forecast's backtest.

The shape is what a city's service line sees: busy weekday mornings and early afternoons,
quiet nights and weekends, a slow rise over the year; web chat most of it, then SMS and
WhatsApp; most questions answered, some not known, a few handed to a person for a reason,
with waits that grow when many ask at once. Deterministic for a seed. No text is stored
but placeholders: the figures read statuses, times and cited documents only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from assistant.models import AnswerFeedback, Conversation, Handoff, Message

#: Replies and how often they end a turn (a handoff status ends the conversation).
STATUS_WEIGHTS = {
    "answered": 0.74,
    "unanswerable_no_content": 0.07,
    "unanswerable_low_confidence": 0.05,
    "unanswerable_out_of_scope": 0.02,
    "smalltalk_thanks": 0.05,
    "handoff_requested": 0.035,
    "handoff_own_case": 0.015,
    "handoff_unanswered_twice": 0.008,
    "handoff_frustration": 0.005,
    "handoff_crisis": 0.002,
}
CHANNEL_WEIGHTS = {"web": 0.62, "sms": 0.28, "whatsapp": 0.10}
#: Relative traffic by hour of the day (UTC, the agency's own hours) and day of the week.
HOURLY = np.array(
    [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.3, 1.7, 1.9, 1.8,
     1.6, 1.7, 1.6, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.55, 0.4, 0.25]
)  # fmt: skip
WEEKLY = np.array([1.15, 1.1, 1.05, 1.0, 0.9, 0.45, 0.35])  # Monday first
DOC_IDS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[1] / "knowledge_base" / "sample").glob("*.md")
)


@dataclass(frozen=True, slots=True)
class Generated:
    conversations: int
    turns: int
    handoffs: int
    seconds: float


def generate(
    engine: Engine,
    *,
    turns: int,
    end: datetime,
    days: int = 365,
    seed: int = 7,
    batch: int = 20_000,
) -> Generated:
    """Write about ``turns`` turns of traffic spread over ``days`` days up to ``end``."""
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    # "Did you mean ...?" offers draw from their own stream, so every other figure of a
    # seed stays what it was before offers were generated.
    offers = np.random.default_rng(seed + 1)
    start = end - timedelta(days=days)
    hours = days * 24
    hour_starts = np.array([start + timedelta(hours=h) for h in range(hours)])
    weights = np.array(
        [
            HOURLY[t.hour] * WEEKLY[t.weekday()] * (0.85 + 0.3 * h / hours)
            for h, t in enumerate(hour_starts)
        ]
    )
    turns_per_conversation = 2.8
    # A handoff ends a conversation early: 2.5 turns each on average (89,198 turns in
    # 35,714 conversations at seed 11), so that many conversations make ``turns``.
    conversations = int(turns / 2.5)
    per_hour = rng.multinomial(conversations, weights / weights.sum())
    statuses = list(STATUS_WEIGHTS)
    status_p = np.array(list(STATUS_WEIGHTS.values()))
    status_p /= status_p.sum()
    channels = list(CHANNEL_WEIGHTS)
    channel_p = np.array(list(CHANNEL_WEIGHTS.values()))
    doc_p = 1 / np.arange(1, len(DOC_IDS) + 1) ** 1.1  # a few services draw most questions
    doc_p /= doc_p.sum()
    docs = [str(d) for d in rng.permutation(DOC_IDS)]

    conv_rows: list[dict[str, Any]] = []
    msg_rows: list[dict[str, Any]] = []
    handoff_rows: list[dict[str, Any]] = []
    feedback: list[tuple[int, bool, datetime]] = []  # (index into answers, helpful, at)
    written_turns = 0
    handoffs = 0
    n = 0
    message_id = _next_id(engine, Message)
    handoff_id = 0

    def flush(final: bool = False) -> None:
        if not final and len(msg_rows) < batch:
            return
        with engine.begin() as connection:
            if conv_rows:
                connection.execute(insert(Conversation), conv_rows)
            if msg_rows:
                connection.execute(insert(Message), msg_rows)
            if handoff_rows:
                connection.execute(insert(Handoff), handoff_rows)
            if feedback:
                connection.execute(
                    insert(AnswerFeedback),
                    [
                        {"message_id": mid, "helpful": ok, "created_at": at, "doc_ids": []}
                        for mid, ok, at in feedback
                    ],
                )
        conv_rows.clear()
        msg_rows.clear()
        handoff_rows.clear()
        feedback.clear()

    for hour, count in enumerate(per_hour):
        if not count:
            continue
        base = hour_starts[hour]
        # Many at once wait longer: the mean wait grows with the hour's load.
        mean_wait = 60 + 240 * weights[hour] / weights.max()
        for _ in range(count):
            n += 1
            cid = f"gen-{seed}-{n:08d}"
            at = base + timedelta(seconds=float(rng.uniform(0, 3600)))
            channel = channels[rng.choice(len(channels), p=channel_p)]
            length = 1 + min(int(rng.geometric(1 / turns_per_conversation)) - 1, 11)
            conv_rows.append(
                {
                    "id": cid,
                    "channel": channel,
                    "created_at": at,
                    "updated_at": at,
                    "last_seq": 2 * length,
                }
            )
            moment = at
            offered: str | None = None  # the page the last reply offered, if it did
            for t in range(length):
                status = statuses[rng.choice(len(statuses), p=status_p)]
                moment += timedelta(seconds=float(rng.uniform(20, 120)))
                message_id += 2
                answered = status == "answered"
                cited = docs[rng.choice(len(docs), p=doc_p)] if answered else None
                # Every row has every key: one executemany takes rows of one shape.
                msg_rows.append(
                    {
                        "id": message_id - 1,
                        "conversation_id": cid,
                        "role": "citizen",
                        "text": "[generated]",
                        "channel": channel,
                        "status": None,
                        "confidence": None,
                        "citations": None,
                        "seq": 2 * t + 1,
                        "created_at": moment,
                        "offer": None,
                        "signals": None,
                    }
                )
                # An unsure reply offers a page about half the time; the citizen's next
                # message is a yes (answered from it) or a no (still not known).
                signals = None
                if offered is not None and status == "answered" and offers.random() < 0.7:
                    signals = {"offer_taken": 1.0}
                elif offered is not None and status == "unanswerable_low_confidence":
                    signals = {"offer_declined": 1.0}
                offered = None
                offer = None
                unsure = status == "unanswerable_low_confidence" and signals is None
                if unsure and offers.random() < 0.5:
                    offered = docs[offers.choice(len(docs), p=doc_p)]
                    offer = {"doc_id": offered, "title": offered, "url": None}
                msg_rows.append(
                    {
                        "id": message_id,
                        "conversation_id": cid,
                        "role": "assistant",
                        "text": "[generated]",
                        "channel": None,
                        "status": status,
                        "seq": 2 * t + 2,
                        "confidence": 0.8 if answered else 0.2,
                        "citations": [
                            {"n": 1, "doc_id": cited, "title": cited.replace("-", " ").capitalize()}
                        ]
                        if cited
                        else [],
                        "created_at": moment,
                        "offer": offer,
                        "signals": signals,
                    }
                )
                written_turns += 1
                if answered and rng.random() < 0.08:
                    feedback.append((message_id, bool(rng.random() < 0.78), moment))
                if status.startswith("handoff_"):
                    handoffs += 1
                    handoff_id += 1
                    wait = float(rng.exponential(mean_wait))
                    claimed = moment + timedelta(seconds=wait)
                    resolved = claimed + timedelta(seconds=float(rng.lognormal(math.log(900), 0.8)))
                    rated = rng.random() < 0.3
                    handoff_rows.append(
                        {
                            "id": f"g{seed}{handoff_id:09d}",
                            "conversation_id": cid,
                            "state": "resolved",
                            "reason": status.removeprefix("handoff_"),
                            "reasons": [status.removeprefix("handoff_")],
                            "priority": 0,
                            "channel": channel,
                            "summary": "",
                            "created_at": moment,
                            "updated_at": resolved,
                            "claimed_at": claimed,
                            "resolved_at": resolved,
                            "rating": int(
                                rng.choice([1, 2, 3, 4, 5], p=[0.06, 0.06, 0.13, 0.3, 0.45])
                            )
                            if rated
                            else None,
                        }
                    )
                    break
        flush()
    flush(final=True)
    if engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        from sqlalchemy import text

        with engine.begin() as connection:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('messages', 'id'), :n)"),
                {"n": message_id},
            )
    return Generated(
        conversations=n,
        turns=written_turns,
        handoffs=handoffs,
        seconds=round(time.perf_counter() - started, 1),
    )


def _next_id(engine: Engine, model: Any) -> int:
    from sqlalchemy import func, select

    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one())
