"""The analytics and transparency figures, counted by SQLite and by PostgreSQL alike from
stored conversations whose figures are known by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.analytics import Analytics
from assistant.models import AnswerFeedback, Conversation, Handoff, Message
from assistant.store import migrate
from tests.assistant.db import postgres_engine, sqlite_engine

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
DAY2 = DAY1 + timedelta(days=1)
NEXT_WEEK = DAY1 + timedelta(days=7)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engines = iter([sqlite_engine(tmp_path)]) if request.param == "sqlite" else postgres_engine()
    for engine in engines:  # PostgreSQL's private schema is dropped when the loop ends
        migrate(engine)
        yield engine


class History:
    """Writes conversations as the assistant stores them, at chosen times."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.n = 0

    def conversation(
        self,
        at: datetime,
        *,
        channel: str = "web",
        statuses: tuple[str, ...] = ("answered",),
        cited: tuple[str, ...] = ("pay-water-bill",),
        helpful: bool | None = None,
        handoff: str | None = None,
        wait: timedelta | None = None,
        resolved_after: timedelta | None = None,
        rating: int | None = None,
    ) -> str:
        self.n += 1
        cid = f"c{self.n:04d}"
        with Session(self.engine) as session, session.begin():
            session.add(Conversation(id=cid, channel=channel, created_at=at, updated_at=at))
            session.flush()
            seq = 0
            last_answer = None
            for i, status in enumerate(statuses):
                moment = at + timedelta(minutes=i)
                seq += 2
                session.add(
                    Message(
                        conversation_id=cid,
                        role="citizen",
                        text="[redacted question]",
                        seq=seq - 1,
                        channel=channel,
                        created_at=moment,
                    )
                )
                answer = Message(
                    conversation_id=cid,
                    role="assistant",
                    text="reply",
                    status=status,
                    seq=seq,
                    citations=[
                        {"n": k + 1, "doc_id": d, "title": d.replace("-", " ").title()}
                        for k, d in enumerate(cited)
                    ]
                    if status == "answered"
                    else [],
                    created_at=moment,
                )
                session.add(answer)
                if status == "answered":
                    last_answer = answer
            session.flush()
            if helpful is not None and last_answer is not None:
                session.add(
                    AnswerFeedback(message_id=last_answer.id, helpful=helpful, created_at=at)
                )
            if handoff is not None:
                session.add(
                    Handoff(
                        id=f"h{self.n:04d}",
                        conversation_id=cid,
                        state="resolved" if resolved_after else "waiting",
                        reason=handoff,
                        reasons=[handoff],
                        channel=channel,
                        created_at=at,
                        updated_at=at,
                        claimed_at=None if wait is None else at + wait,
                        resolved_at=None if resolved_after is None else at + resolved_after,
                        rating=rating,
                    )
                )
        return cid


def test_the_figures_per_period_channel_and_overall(engine: Engine) -> None:
    h = History(engine)
    # Day 1: four web conversations, one SMS.
    h.conversation(DAY1, helpful=True)
    h.conversation(DAY1, statuses=("answered", "unanswerable_no_content"), helpful=False)
    h.conversation(
        DAY1,
        statuses=("unanswerable_low_confidence", "handoff_unanswered_twice", "handoff_waiting"),
        handoff="unanswered_twice",
        wait=timedelta(minutes=2),
        resolved_after=timedelta(hours=1),
        rating=5,
    )
    h.conversation(
        DAY1,
        statuses=("handoff_requested",),
        handoff="requested",
        wait=timedelta(minutes=10),
        resolved_after=timedelta(hours=3),
        rating=2,
    )
    h.conversation(DAY1, channel="sms", cited=("renew-drivers-license", "pay-water-bill"))
    # Day 2: one web conversation handed over for a crisis, not yet claimed.
    h.conversation(DAY2, statuses=("handoff_crisis",), handoff="crisis")
    # Outside the range asked for.
    h.conversation(NEXT_WEEK + timedelta(days=1))

    report = Analytics(engine).report(since=DAY1 - timedelta(hours=9), until=NEXT_WEEK)

    total = report.total
    assert total.conversations == 6
    # Turns are the assistant's own replies (not "a person is coming" while one holds it).
    assert total.turns == 8
    assert total.answered_share == round(3 / 8, 4)
    assert total.unknown_share == round(2 / 8, 4)
    assert total.handoffs == 3 and total.handoff_share == 0.5
    assert total.handoff_reasons == {
        "crisis": 1,
        "requested": 1,
        "own_case": 0,
        "frustration": 0,
        "unanswered_twice": 1,
    }
    # Two waits measured (the crisis one is still waiting): nearest-rank median is the first.
    assert (total.wait_median_seconds, total.wait_p90_seconds, total.waits_measured) == (
        120.0,
        600.0,
        2,
    )
    assert total.resolution_median_seconds == 3600.0 and total.resolutions_measured == 2
    assert (total.csat_average, total.csat_satisfied_share, total.csat_responses) == (3.5, 0.5, 2)
    assert (total.helpful_share, total.helpful_responses) == (0.5, 2)
    # Unanswered questions and the handoffs they led to (the editors' content-gap list).
    assert total.content_gaps == 4  # asking for a person is not a gap in the content

    days = {p.group: p for p in report.periods}
    assert next(iter(days)) == "2026-11-02" and len(days) == 8  # quiet days are there, as zeros
    assert days["2026-11-02"].conversations == 5 and days["2026-11-03"].conversations == 1
    assert days["2026-11-04"].conversations == 0 and days["2026-11-04"].answered_share is None
    assert days["2026-11-03"].handoff_reasons["crisis"] == 1

    channels = {f.group: f for f in report.by_channel}
    assert channels["sms"].conversations == 1 and channels["sms"].answered_share == 1.0
    assert channels["web"].conversations == 5

    services = [(s.doc_id, s.citations) for s in report.top_services]
    assert services == [("pay-water-bill", 3), ("renew-drivers-license", 1)]
    assert report.top_services[0].title == "Pay Water Bill"

    weeks = Analytics(engine).report(
        since=DAY1 - timedelta(days=3), until=NEXT_WEEK + timedelta(days=2), bucket="week"
    )
    assert [(p.group, p.conversations) for p in weeks.periods] == [
        ("2026-10-26", 0),
        ("2026-11-02", 6),
        ("2026-11-09", 1),
    ]


def test_a_channel_filter_and_languages(engine: Engine) -> None:
    h = History(engine)
    h.conversation(DAY1, channel="sms")
    h.conversation(DAY1, channel="whatsapp", statuses=("unanswerable_no_content",))
    analytics = Analytics(engine)
    only = analytics.report(since=DAY1, until=DAY2, channel="whatsapp")
    assert only.total.conversations == 1 and only.total.unknown_share == 1.0
    # Before the conversation's language is stored, every conversation counts as English.
    assert [(f.group, f.conversations) for f in only.by_language] == [("en", 1)]


def test_offers_made_and_the_share_taken(engine: Engine) -> None:
    # Three "Did you mean ...?" offers: one taken (the yes is answered from the page,
    # stored with offer_taken among its signals), one declined (the no, offer_declined),
    # one left unanswered.
    h = History(engine)
    taken = h.conversation(DAY1, statuses=("unanswerable_low_confidence", "answered"))
    refused = h.conversation(DAY1, statuses=("unanswerable_low_confidence", "handoff_offered"))
    ignored = h.conversation(DAY1, statuses=("unanswerable_low_confidence",))
    plain = h.conversation(DAY1, statuses=("unanswerable_low_confidence",))  # no offer
    offer = {"doc_id": "pay-water-bill", "title": "Pay your water bill", "url": None}
    with Session(engine) as session, session.begin():
        for cid in (taken, refused, ignored):
            first = session.query(Message).filter_by(conversation_id=cid, seq=2).one()
            first.offer = offer
        session.query(Message).filter_by(conversation_id=taken, seq=4).one().signals = {
            "offer_taken": 1.0
        }
        session.query(Message).filter_by(conversation_id=refused, seq=4).one().signals = {
            "offer_declined": 1.0
        }
        assert session.query(Message).filter_by(conversation_id=plain, seq=2).one().offer is None
    total = Analytics(engine).report(since=DAY1, until=DAY2).total
    assert total.offers == 3
    assert total.offers_taken_share == pytest.approx(1 / 3, abs=1e-3)
    assert total.offers_declined_share == pytest.approx(1 / 3, abs=1e-3)


def test_languages_once_conversations_record_one(engine: Engine) -> None:
    h = History(engine)
    h.conversation(DAY1)
    spanish = h.conversation(DAY1, statuses=("unanswerable_no_content",))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE conversations SET language = 'es' WHERE id = :c"), {"c": spanish}
        )
    analytics = Analytics(engine)
    report = analytics.report(since=DAY1, until=DAY2)
    assert [(f.group, f.conversations, f.unknown_share) for f in report.by_language] == [
        ("en", 1, 0.0),
        ("es", 1, 1.0),
    ]
    assert analytics.report(since=DAY1, until=DAY2, language="es").total.conversations == 1


def test_transparency_hides_every_figure_under_ten_conversations(engine: Engine) -> None:
    h = History(engine)
    now = datetime.now(UTC)
    for _ in range(9):
        h.conversation(now - timedelta(days=1), helpful=True)
    shown = Analytics(engine).transparency()
    assert shown.conversations is None and shown.answered_share is None
    assert shown.helpful_share is None and "conversations" in shown.suppressed
    assert all(v is None for v in shown.handoff_reasons.values())


def test_transparency_shows_large_counts_and_hides_small_ones(engine: Engine) -> None:
    h = History(engine)
    now = datetime.now(UTC)
    for i in range(12):
        h.conversation(
            now - timedelta(days=2),
            statuses=("handoff_requested",),
            handoff="requested",
            wait=timedelta(minutes=4 + i),
            resolved_after=timedelta(hours=2),
        )
    for _ in range(3):
        h.conversation(now - timedelta(days=2), statuses=("handoff_crisis",), handoff="crisis")
    h.conversation(now - timedelta(days=40))  # older than the 30 days
    public = Analytics(engine).transparency()
    assert public.conversations == 15
    assert public.handoff_share == 1.0
    assert public.handoff_reasons["requested"] == 0.8
    # Three crisis handoffs are a count small enough to point to someone.
    assert public.handoff_reasons["crisis"] is None
    assert "handoff_reasons.crisis" in public.suppressed
    assert public.wait_median_minutes == 9.0  # the 6th of 12 waits, 4..15 minutes
    assert public.resolution_median_hours == 2.0
    # No one rated or marked an answer: nothing to show, rather than a figure from nobody.
    assert public.csat_satisfied_share is None and public.helpful_share is None


def test_settled_days_are_counted_once_and_the_last_days_as_they_happen(engine: Engine) -> None:
    h = History(engine)
    now = datetime.now(UTC)
    h.conversation(now - timedelta(days=6), channel="sms")
    analytics = Analytics(engine)
    assert analytics.refresh() >= 2  # from the first day stored to SETTLE_DAYS ago
    assert analytics.refresh() == 0  # nothing new has settled
    # Yesterday's handoff and today's turns are read from the raw tables.
    h.conversation(
        now - timedelta(days=1),
        statuses=("handoff_requested",),
        handoff="requested",
        wait=timedelta(seconds=95),
    )
    h.conversation(now - timedelta(minutes=5), statuses=("answered", "unanswerable_no_content"))
    report = analytics.report(since=now - timedelta(days=6), until=now + timedelta(seconds=1))
    assert report.total.conversations == 3 and report.total.turns == 4
    assert [(f.group, f.conversations) for f in report.by_channel] == [("sms", 1), ("web", 2)]
    assert report.periods[-1].group == now.date().isoformat()
    assert report.periods[-1].unknown_share == 0.5
    # Waits are kept to 30 seconds (a histogram): 95 s reads as 90.
    assert report.total.wait_median_seconds == 90.0 and report.total.handoffs == 1


def test_whole_weeks_are_read_from_the_weekly_sums_and_the_days_around_them(
    engine: Engine,
) -> None:
    h = History(engine)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=45)
    days = [first + timedelta(days=n) for n in range(42)]  # the last settles 3 days ago
    for day in days:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        h.conversation(noon)
        h.conversation(noon + timedelta(minutes=30))
        h.conversation(
            noon,
            channel="sms",
            statuses=("handoff_requested",),
            handoff="requested",
            wait=timedelta(seconds=95),
        )
    analytics = Analytics(engine)
    analytics.refresh()
    with engine.connect() as connection:
        through_day, through_week = connection.execute(
            text("SELECT through_day, through_week FROM analytics_rollup")
        ).one()
    # The last whole week counted: its Sunday is the last day counted or before it.
    last_week = datetime.fromisoformat(through_week).date()
    assert last_week.weekday() == 0
    assert 0 <= (datetime.fromisoformat(through_day).date() - last_week).days - 6 < 7

    # From a Wednesday to the Wednesday three weeks on: days, whole weeks, days again.
    since = first + timedelta(days=(2 - first.weekday()) % 7 + 7)
    until = since + timedelta(days=22)  # exclusive: the Thursday
    counted = 22

    def report(bucket: str = "day") -> Any:
        return analytics.report(
            since=datetime(since.year, since.month, since.day, tzinfo=UTC),
            until=datetime(until.year, until.month, until.day, tzinfo=UTC),
            bucket=bucket,  # type: ignore[arg-type]
        )

    for bucket in ("day", "week"):
        r = report(bucket)
        assert r.total.conversations == 3 * counted, bucket
        assert [(f.group, f.conversations) for f in r.by_channel] == [
            ("sms", counted),
            ("web", 2 * counted),
        ]
        assert [(f.group, f.conversations) for f in r.by_language] == [("en", 3 * counted)]
        assert r.top_services[0].citations == 2 * counted
        assert r.total.handoffs == counted and r.total.wait_median_seconds == 90.0
        assert sum(p.conversations for p in r.periods) == 3 * counted
    weekly = report("week").periods
    assert [p.conversations for p in weekly] == [15, 21, 21, 9]  # Wed-Sun, 2 weeks, Mon-Wed

    # The whole weeks come from the weekly sums: changing those changes the figures (and
    # not the days by day, which are read from the days).
    with engine.begin() as connection:
        connection.execute(text("UPDATE analytics_weeks SET n = n * 2 WHERE kind = 'started'"))
    assert report().total.conversations == 3 * counted + 3 * 14
    assert [p.conversations for p in report("week").periods] == [15, 42, 42, 9]
    assert sum(p.conversations for p in report().periods) == 3 * counted
