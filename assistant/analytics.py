"""What the agency can see of how the assistant serves people: the managers' analytics and
the public transparency figures, counted by the database from what each turn stored.

Each day is counted once, in SQL that runs on SQLite and PostgreSQL alike (only the date,
JSON and rounding functions differ, chosen per dialect below), into ``analytics_days``:
per channel and language, the conversations started, the replies by status, the answers
citing each document, the handoffs by reason, their ratings, and their waits and times to
resolution as histograms; each finished week's rows are summed again into
``analytics_weeks``. A report sums the whole weeks' rows and the days' around them in the
database, twice (by period; by channel and language, split here into channels, languages
and the whole) and reads the raw tables only for the last few days, so a year of traffic
costs about what a month does (`make bench`: 62 ms for a year by week, 1M turns).
Medians and 90th percentiles are nearest-rank over the summed histograms. Nothing here
reads message text: only statuses, times, channels, ratings and cited document ids, so no
figure can carry personal data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from assistant.editorial.reports import GAP_STATUSES
from assistant.escalation import Reason
from assistant.models import utcnow
from assistant.turns import Status

Bucket = Literal["day", "week"]

#: Replies that are not a turn of the assistant's own: it stays quiet while a person has the
#: conversation, and says only that one is coming.
_NOT_TURNS = (Status.HANDOFF_WAITING.value, Status.HANDOFF_ACTIVE.value)
#: Questions the assistant said it could not answer from the knowledge base.
_UNKNOWN = tuple(s.value for s in Status if s.value.startswith("unanswerable_"))
_GAPS = tuple(sorted(s.value for s in GAP_STATUSES))
REASONS = tuple(r.value for r in Reason)
#: Days are counted into ``analytics_days`` this many days after they end: a handoff opened
#: late in the day is claimed, resolved and rated in the days after, and its figures
#: belong to the day it was opened. The last days are counted from the raw tables.
SETTLE_DAYS = 3
#: A rating of 4 or 5 (of 5) counts as satisfied: the usual CSAT definition.
SATISFIED_RATING = 4


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Figures(_View):
    # One group's figures (a period, a channel, a language, or the whole range). Shares are
    # 0..1, times are seconds; None where there was nothing to measure.
    group: str
    conversations: int
    turns: int
    answered_share: float | None
    unknown_share: float | None
    handoffs: int
    handoff_share: float | None
    handoff_reasons: dict[str, int]
    wait_median_seconds: float | None
    wait_p90_seconds: float | None
    waits_measured: int
    resolution_median_seconds: float | None
    resolutions_measured: int
    csat_average: float | None
    csat_satisfied_share: float | None
    csat_responses: int
    helpful_share: float | None
    helpful_responses: int
    content_gaps: int
    # "Did you mean ...?": replies that offered a page, and the shares the citizen took
    # (a yes) and declined (a no: the page offered was not what they meant).
    offers: int
    offers_taken_share: float | None
    offers_declined_share: float | None


class ServiceCount(_View):
    doc_id: str
    title: str
    citations: int


class AnalyticsOut(_View):
    since: str
    until: str
    bucket: Bucket
    channel: str | None
    language: str | None
    total: Figures
    periods: list[Figures]
    by_channel: list[Figures]
    by_language: list[Figures]
    top_services: list[ServiceCount]


class TransparencyOut(_View):
    # The public figures for the last ``days`` days; each None when it would rest on fewer
    # than ``minimum_count`` conversations (``suppressed`` names them).
    since: str
    until: str
    days: int
    minimum_count: int
    conversations: int | None
    answered_share: float | None
    unknown_share: float | None
    handoff_share: float | None
    handoff_reasons: dict[str, float | None]
    wait_median_minutes: float | None
    resolution_median_hours: float | None
    csat_satisfied_share: float | None
    helpful_share: float | None
    suppressed: list[str]


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    name: str

    def period(self, column: str, bucket: Bucket) -> str:
        if self.name == "postgresql":
            unit = "day" if bucket == "day" else "week"
            return f"to_char(date_trunc('{unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        # SQLite keeps a timestamp as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
        if bucket == "day":
            return f"substr({column}, 1, 10)"
        return f"date({column}, 'weekday 0', '-6 days')"  # the Monday of its week

    def seconds(self, start: str, end: str) -> str:
        if self.name == "postgresql":
            return f"EXTRACT(EPOCH FROM ({end} - {start}))"
        return f"((julianday({end}) - julianday({start})) * 86400.0)"

    def week_of(self, day: str) -> str:
        """The Monday of the week of a 'YYYY-MM-DD' text."""
        if self.name == "postgresql":
            return f"to_char(date_trunc('week', CAST({day} AS date)), 'YYYY-MM-DD')"
        return f"date({day}, 'weekday 0', '-6 days')"

    def bin(self, seconds: str) -> str:
        """A duration's histogram bin, in whole seconds: 30 s wide under 10 minutes, 5
        minutes under an hour, an hour under a day, then a day. A median wait of 4
        minutes is kept to 30 seconds, a 3-hour resolution to the hour: about 50 bins,
        where 10-second ones made 220 and a year's report read 139,000 stored rows."""
        # Rounded first: SQLite's julianday() gives 119.99999 seconds for two minutes.
        seconds = f"ROUND({seconds})"
        floor = "FLOOR" if self.name == "postgresql" else "CAST"
        suffix = "" if self.name == "postgresql" else " AS INTEGER"

        def step(width: int) -> str:
            return f"{floor}({seconds} / {width}{suffix}) * {width}"

        return (
            f"CASE WHEN {seconds} < 600 THEN {step(30)} "
            f"WHEN {seconds} < 3600 THEN {step(300)} "
            f"WHEN {seconds} < 86400 THEN {step(3600)} ELSE {step(86400)} END"
        )

    def json_key(self, column: str, key: str) -> str:
        """One key of a JSON object column, or NULL."""
        if self.name == "postgresql":
            return f"({column}->>'{key}')"
        return f"json_extract({column}, '$.{key}')"

    def cited(self, column: str) -> tuple[str, str, str]:
        """(FROM item expanding a JSON array of citations, its doc_id, its title)."""
        if self.name == "postgresql":
            return f"json_array_elements({column}) AS cite", "cite->>'doc_id'", "cite->>'title'"
        return (
            f"json_each({column}) AS cite",
            "json_extract(cite.value, '$.doc_id')",
            "json_extract(cite.value, '$.title')",
        )


@dataclass(frozen=True, slots=True)
class DayRow:
    """A day's count for one channel and language: conversations started (kind
    ``started``), replies with one status (``status``, key: the status), or answers citing
    one document (``cited``, key: its doc_id). Stored in ``analytics_days`` once the day is
    over, counted from the raw tables for today."""

    day: str
    channel: str
    language: str
    kind: str
    key: str
    title: str | None
    n: int


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Analytics:
    """The analytics and transparency figures over one conversation database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = _Dialect(engine.dialect.name)
        # A conversation from before languages were kept (migration 0014) counts as English.
        self._language = "COALESCE(c.language, 'en')"

    # ------------------------------------------------------------------ the day rows

    def refresh(self, *, today: date | None = None) -> int:
        """Count every settled day not yet counted into ``analytics_days``: the number of
        days added. A day is counted once, ``SETTLE_DAYS`` after it ends (UTC); the
        report reads those rows, and the raw tables only for the days since, so it costs
        about the same after a year of traffic as after a month (see `make bench`).
        Several replicas may call this at once: the day's primary key lets one win and
        the others find the work done."""
        today = today or utcnow().date()
        with self.engine.connect() as connection:
            through = connection.execute(
                text("SELECT through_day FROM analytics_rollup WHERE id = 1")
            ).scalar()
            if through is None:
                first = connection.execute(
                    text("SELECT MIN(created_at) FROM conversations")
                ).scalar()
                if first is None:
                    return 0
                start = _as_date(first)
            else:
                start = date.fromisoformat(through) + timedelta(days=1)
        added = 0
        settled = today - timedelta(days=SETTLE_DAYS)
        while start < settled:
            # A month at a time: a year of traffic is counted in bounded steps.
            end = min(start + timedelta(days=31), settled)
            try:
                with self.engine.begin() as connection:
                    rows = self._count_days(connection, _midnight(start), _midnight(end), "")
                    if rows:
                        connection.execute(
                            text(
                                "INSERT INTO analytics_days "
                                "(day, channel, language, kind, key, title, n) VALUES "
                                "(:day, :channel, :language, :kind, :key, :title, :n)"
                            ),
                            [_row_dict(r) for r in rows],
                        )
                    last = (end - timedelta(days=1)).isoformat()
                    updated = connection.execute(
                        text("UPDATE analytics_rollup SET through_day = :d WHERE id = 1"),
                        {"d": last},
                    )
                    if updated.rowcount == 0:
                        connection.execute(
                            text("INSERT INTO analytics_rollup (id, through_day) VALUES (1, :d)"),
                            {"d": last},
                        )
            except IntegrityError:
                return added  # another process counted these days first
            added += (end - start).days
            start = end
        self._roll_weeks()
        return added

    def _roll_weeks(self) -> int:
        """Sum each week whose seven days are all counted into ``analytics_weeks`` (a
        quarter at a time); the number of weeks added. Like the days, a week is summed
        once, and a replica that finds another's rows stops."""
        with self.engine.connect() as connection:
            stored = connection.execute(
                text("SELECT through_day, through_week FROM analytics_rollup WHERE id = 1")
            ).first()
            if stored is None:
                return 0
            if stored.through_week:
                start = date.fromisoformat(stored.through_week) + timedelta(days=7)
            else:
                first = connection.execute(text("SELECT MIN(day) FROM analytics_days")).scalar()
                if first is None:
                    return 0
                start = _monday(date.fromisoformat(str(first)))
        through = date.fromisoformat(stored.through_day)
        last = _monday(through - timedelta(days=(through.weekday() + 1) % 7))  # whole weeks
        added = 0
        while start <= last:
            end = min(start + timedelta(weeks=13), last + timedelta(weeks=1))
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        text(
                            "INSERT INTO analytics_weeks "
                            "(week, channel, language, kind, key, title, n) "
                            f"SELECT {self._dialect.week_of('day')}, channel, language, kind, "
                            "key, MAX(title), SUM(n) FROM analytics_days "
                            "WHERE day >= :start AND day < :end GROUP BY 1, 2, 3, 4, 5"
                        ),
                        {"start": start.isoformat(), "end": end.isoformat()},
                    )
                    connection.execute(
                        text("UPDATE analytics_rollup SET through_week = :w WHERE id = 1"),
                        {"w": (end - timedelta(weeks=1)).isoformat()},
                    )
            except IntegrityError:
                return added  # another process summed these weeks first
            added += (end - start).days // 7
            start = end
        return added

    def _count_days(
        self,
        connection: Connection,
        since: datetime,
        until: datetime,
        filters: str,
        params: dict[str, Any] | None = None,
    ) -> list[DayRow]:
        """Day rows counted from the raw tables for ``since <= time < until``."""
        d = self._dialect
        lang = self._language
        values = {"since": since, "until": until, **(params or {})}
        source, doc_id, title = d.cited("m.citations")
        queries = [
            f"""SELECT {d.period("m.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'status' AS kind, m.status AS key,
                       NULL AS title, COUNT(*) AS n
                FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.role = 'assistant' AND m.status IS NOT NULL
                  AND m.created_at >= :since AND m.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
            f"""SELECT {d.period("c.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'started' AS kind, '' AS key,
                       NULL AS title, COUNT(*) AS n
                FROM conversations c
                WHERE c.created_at >= :since AND c.created_at < :until{filters}
                GROUP BY 1, 2, 3""",
            f"""SELECT {d.period("m.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'cited' AS kind, {doc_id} AS key,
                       MAX({title}) AS title, COUNT(DISTINCT m.id) AS n
                FROM messages m JOIN conversations c ON c.id = m.conversation_id, {source}
                WHERE m.role = 'assistant' AND m.status = 'answered'
                  AND m.created_at >= :since AND m.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
            # Handoffs by the day they were opened: reasons, conversations handed over,
            # ratings, and the waits and times to resolution as histograms (see _bin).
            f"""SELECT {d.period("h.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'reason' AS kind, h.reason AS key,
                       NULL AS title, COUNT(*) AS n
                FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
                WHERE h.created_at >= :since AND h.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
            f"""SELECT {d.period("h.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'handed' AS kind, '' AS key,
                       NULL AS title, COUNT(DISTINCT h.conversation_id) AS n
                FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
                WHERE h.created_at >= :since AND h.created_at < :until{filters}
                GROUP BY 1, 2, 3""",
            f"""SELECT {d.period("h.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'rating' AS kind,
                       CAST(h.rating AS VARCHAR(2)) AS key, NULL AS title, COUNT(*) AS n
                FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
                WHERE h.rating IS NOT NULL
                  AND h.created_at >= :since AND h.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
            *(
                f"""SELECT {d.period("h.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, '{kind}' AS kind,
                       CAST({d.bin(d.seconds("h.created_at", end))} AS VARCHAR(16)) AS key,
                       NULL AS title, COUNT(*) AS n
                FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
                WHERE {end} IS NOT NULL
                  AND h.created_at >= :since AND h.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5"""
                for kind, end in (("wait", "h.claimed_at"), ("resolve", "h.resolved_at"))
            ),
            # "Did you mean ...?": offers made, and the replies to a yes or a no to one. An
            # offer is one naming a page: replies stored before the twelfth sitting's fix
            # hold "no offer" as the JSON value null, which IS NOT NULL would count.
            f"""SELECT {d.period("m.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'offer' AS kind,
                       CASE WHEN {d.json_key("m.offer", "doc_id")} IS NOT NULL THEN 'made'
                            WHEN {d.json_key("m.signals", "offer_taken")} IS NOT NULL
                            THEN 'taken'
                            ELSE 'declined' END AS key,
                       NULL AS title, COUNT(*) AS n
                FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.role = 'assistant'
                  AND ({d.json_key("m.offer", "doc_id")} IS NOT NULL
                       OR {d.json_key("m.signals", "offer_taken")} IS NOT NULL
                       OR {d.json_key("m.signals", "offer_declined")} IS NOT NULL)
                  AND m.created_at >= :since AND m.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
            f"""SELECT {d.period("f.created_at", "day")} AS day, c.channel AS channel,
                       {lang} AS language, 'helpful' AS kind,
                       CASE WHEN f.helpful THEN 'yes' ELSE 'no' END AS key,
                       NULL AS title, COUNT(*) AS n
                FROM answer_feedback f JOIN messages m ON m.id = f.message_id
                JOIN conversations c ON c.id = m.conversation_id
                WHERE f.created_at >= :since AND f.created_at < :until{filters}
                GROUP BY 1, 2, 3, 5""",
        ]
        rows: list[DayRow] = []
        for sql in queries:
            statement = text(sql).bindparams(
                bindparam("since", type_=DateTime(timezone=True)),
                bindparam("until", type_=DateTime(timezone=True)),
            )
            for r in connection.execute(statement, values):
                if r.key is None:
                    continue
                rows.append(
                    DayRow(
                        day=str(r.day),
                        channel=str(r.channel),
                        language=str(r.language),
                        kind=str(r.kind),
                        key=str(r.key),
                        title=None if r.title is None else str(r.title)[:255],
                        n=int(r.n),
                    )
                )
        return rows

    def _day_rows(
        self,
        connection: Connection,
        since: datetime,
        until: datetime,
        channel: str | None,
        language: str | None,
        *,
        bucket: Bucket = "day",
        groupings: tuple[str, ...] = ("day", "channel", "language", "total", "cited"),
    ) -> dict[str, list[DayRow]]:
        """The day rows of the days in ``[since, until)`` for each grouping (``day``,
        ``channel``, ``language``, ``total``, and ``cited`` for the documents): the
        settled days' summed, the days since counted from the raw tables."""
        stored = connection.execute(
            text("SELECT through_day, through_week FROM analytics_rollup WHERE id = 1")
        ).first()
        through = stored.through_day if stored else None
        live_from = _midnight(date.fromisoformat(through) + timedelta(days=1)) if through else since
        first = since.date()
        last = min((until - timedelta(microseconds=1)).date(), live_from.date() - timedelta(days=1))
        filters, params = "", {}
        stored_filters = ""
        if channel:
            filters += " AND c.channel = :channel"
            stored_filters += " AND channel = :channel"
            params["channel"] = channel
        if language:
            filters += f" AND {self._language} = :language"
            stored_filters += " AND language = :language"
            params["language"] = language
        values: dict[str, Any] = {"first": first.isoformat(), "last": last.isoformat(), **params}
        weeks = _whole_weeks(first, last, stored.through_week if stored else None)
        if weeks:
            values.update(
                wfrom=weeks[0].isoformat(),
                wto=weeks[1].isoformat(),
                wend=(weeks[1] + timedelta(days=6)).isoformat(),
            )

        def settled(*, by_week: bool, whole_weeks: bool) -> str:
            """The stored rows of the settled days in range, as (period, channel, language,
            kind, key, title, n): the whole weeks from ``analytics_weeks`` (a seventh of
            the rows) and the days around them from ``analytics_days``."""
            period = self._dialect.week_of("day") if by_week else "day"
            columns = "channel, language, kind, key, title, n"
            if not (weeks and whole_weeks):
                return (
                    f"SELECT {period} AS period, {columns} FROM analytics_days "
                    f"WHERE day >= :first AND day <= :last{stored_filters}"
                )
            return (
                f"SELECT week AS period, {columns} FROM analytics_weeks "
                f"WHERE week >= :wfrom AND week <= :wto{stored_filters} "
                f"UNION ALL SELECT {period} AS period, {columns} FROM analytics_days "
                "WHERE (day >= :first AND day < :wfrom OR day > :wend AND day <= :last)"
                f"{stored_filters}"
            )

        by: dict[str, list[DayRow]] = {}
        if "day" in groupings:
            # The periods summed by the database: by day from the days (90 days: about
            # 6,000 rows), by week mostly from the weeks (a year: 53 rows per figure).
            source = settled(by_week=bucket == "week", whole_weeks=bucket == "week")
            summed = connection.execute(
                text(
                    f"SELECT period, kind, key, SUM(n) AS n FROM ({source}) s "
                    "WHERE kind <> 'cited' GROUP BY 1, 2, 3"
                ),
                values,
            )
            by["day"] = [
                DayRow(str(r.period), "", "", r.kind, r.key, None, int(r.n)) for r in summed
            ]
        # Channels, languages, the whole and the documents from one sum per channel and
        # language (a few hundred rows), split up here rather than read four times.
        rest: list[str] = [g for g in ("channel", "language", "total", "cited") if g in groupings]
        if rest:
            summed = connection.execute(
                text(
                    "SELECT channel, language, kind, key, MAX(title) AS title, SUM(n) AS n "
                    f"FROM ({settled(by_week=False, whole_weeks=True)}) s GROUP BY 1, 2, 3, 4"
                ),
                values,
            )
            parts: dict[str, dict[tuple[str, str, str], list[Any]]] = {g: {} for g in rest}
            for r in summed:
                cited = r.kind == "cited"
                for grouping in rest:
                    if cited != (grouping == "cited"):
                        continue
                    group = {"channel": r.channel, "language": r.language}.get(grouping, "")
                    slot = parts[grouping].setdefault((group, r.kind, r.key), [r.title, 0])
                    slot[0] = slot[0] or r.title
                    slot[1] += int(r.n)
            for part, counted in parts.items():
                by[part] = [
                    DayRow(
                        "",
                        group if part == "channel" else "",
                        group if part == "language" else "",
                        kind,
                        key,
                        title if part == "cited" else None,
                        n,
                    )
                    for (group, kind, key), (title, n) in counted.items()
                ]
        if until > live_from:
            live = self._count_days(connection, max(since, live_from), until, filters, params)
            for name, rows in by.items():
                rows.extend(r for r in live if (r.kind == "cited") == (name == "cited"))
        return by

    # ------------------------------------------------------------------ the managers' report

    def report(
        self,
        *,
        since: datetime,
        until: datetime,
        bucket: Bucket = "day",
        channel: str | None = None,
        language: str | None = None,
        top: int = 10,
    ) -> AnalyticsOut:
        """The figures of the whole days from ``since``'s to ``until``'s (UTC)."""
        if until <= since:
            raise ValueError("until must be after since")
        since = _midnight(since.date())
        self.refresh()
        with self.engine.connect() as connection:
            scope = _Scope(
                self._day_rows(connection, since, until, channel, language, bucket=bucket)
            )
            figures = scope.figures(
                {
                    "total": ("total", lambda r: "all"),
                    "period": ("day", lambda r: _period_of(r.day, bucket)),
                    "channel": ("channel", lambda r: r.channel),
                    "language": ("language", lambda r: r.language),
                }
            )
            total, periods = figures["total"], figures["period"]
            by_channel, by_language = figures["channel"], figures["language"]
            services = scope.top_services(top)
        return AnalyticsOut(
            since=since.isoformat(),
            until=until.isoformat(),
            bucket=bucket,
            channel=channel,
            language=language,
            total=total[0] if total else scope.empty("all"),
            periods=_fill_periods(periods, since, until, bucket, scope),
            by_channel=by_channel,
            by_language=by_language,
            top_services=services,
        )

    # ------------------------------------------------------------------ the public figures

    def transparency(self, *, days: int = 30, minimum: int = 10) -> TransparencyOut:
        """The last ``days`` days, today included."""
        until = utcnow()
        since = _midnight(until.date() - timedelta(days=days - 1))
        self.refresh()
        with self.engine.connect() as connection:
            scope = _Scope(
                self._day_rows(connection, since, until, None, None, groupings=("total",))
            )
            rows = scope.figures({"total": ("total", lambda r: "all")})["total"]
        f = rows[0] if rows else scope.empty("all")
        suppressed: list[str] = []

        def kept(name: str, value: Any, count: int) -> Any:
            # No figure from fewer than ``minimum`` conversations: a small count (or a
            # median of three waits) could point to someone.
            if count < minimum or f.conversations < minimum:
                suppressed.append(name)
                return None
            return value

        reasons = {
            reason: kept(
                f"handoff_reasons.{reason}",
                _share(f.handoff_reasons.get(reason, 0), f.conversations),
                f.handoff_reasons.get(reason, 0),
            )
            for reason in REASONS
        }
        wait = f.wait_median_seconds
        resolution = f.resolution_median_seconds
        return TransparencyOut(
            since=since.isoformat(),
            until=until.isoformat(),
            days=days,
            minimum_count=minimum,
            conversations=kept("conversations", f.conversations, f.conversations),
            answered_share=kept("answered_share", f.answered_share, f.conversations),
            unknown_share=kept("unknown_share", f.unknown_share, f.conversations),
            handoff_share=kept("handoff_share", f.handoff_share, f.conversations),
            handoff_reasons=reasons,
            wait_median_minutes=kept(
                "wait_median_minutes",
                None if wait is None else round(wait / 60, 1),
                f.waits_measured,
            ),
            resolution_median_hours=kept(
                "resolution_median_hours",
                None if resolution is None else round(resolution / 3600, 1),
                f.resolutions_measured,
            ),
            csat_satisfied_share=kept(
                "csat_satisfied_share", f.csat_satisfied_share, f.csat_responses
            ),
            helpful_share=kept("helpful_share", f.helpful_share, f.helpful_responses),
            suppressed=suppressed,
        )


class _Scope:
    """One report's day rows (by grouping, see ``Analytics._day_rows``) and their sums."""

    def __init__(self, day_rows: dict[str, list[DayRow]]) -> None:
        self.day_rows = day_rows

    def figures(
        self, groupings: dict[str, tuple[str, Callable[[DayRow], str]]]
    ) -> dict[str, list[Figures]]:
        """For each named grouping of the day rows (by period, channel, ...), one
        ``Figures`` per group. Everything is summed from the day rows: counts add up,
        and the medians are read off the summed histograms (nearest rank)."""
        out: dict[str, list[Figures]] = {}
        for name, (source, key_of) in groupings.items():
            groups: dict[str, dict[str, Any]] = {}
            for r in self.day_rows[source]:
                g = groups.setdefault(key_of(r), {"reasons": {}, "wait": {}, "resolve": {}})
                _add(g, r)
            out[name] = [self._figures(key, g) for key, g in sorted(groups.items())]
        return out

    def _figures(self, key: str, g: dict[str, Any]) -> Figures:
        conversations = int(g.get("conversations", 0))
        turns = int(g.get("turns", 0))
        handed = int(g.get("handed", 0))
        ratings = int(g.get("ratings", 0))
        wait_median, wait_p90, waits = _percentiles(g.get("wait", {}))
        resolution, _, resolutions = _percentiles(g.get("resolve", {}))
        yes, answers = g.get("yes", 0), g.get("yes", 0) + g.get("no", 0)
        return Figures(
            group=key,
            conversations=conversations,
            turns=turns,
            answered_share=_share(int(g.get("answered", 0)), turns),
            unknown_share=_share(int(g.get("unknown", 0)), turns),
            handoffs=sum(g["reasons"].values()),
            # A conversation handed over in a period may have started in an earlier one.
            handoff_share=_share(min(handed, conversations), conversations),
            handoff_reasons={r: int(g["reasons"].get(r, 0)) for r in REASONS},
            wait_median_seconds=wait_median,
            wait_p90_seconds=wait_p90,
            waits_measured=waits,
            resolution_median_seconds=resolution,
            resolutions_measured=resolutions,
            csat_average=round(g["rating_sum"] / ratings, 2) if ratings else None,
            csat_satisfied_share=_share(int(g.get("satisfied", 0)), ratings),
            csat_responses=ratings,
            helpful_share=_share(int(yes or 0), int(answers)),
            helpful_responses=int(answers),
            content_gaps=int(g.get("gaps", 0)),
            offers=int(g.get("offer_made", 0)),
            offers_taken_share=_share(int(g.get("offer_taken", 0)), int(g.get("offer_made", 0))),
            offers_declined_share=_share(
                int(g.get("offer_declined", 0)), int(g.get("offer_made", 0))
            ),
        )

    def empty(self, key: str) -> Figures:
        return self._figures(key, {"reasons": {}, "wait": {}, "resolve": {}})

    def top_services(self, top: int) -> list[ServiceCount]:
        """The documents answers cited most: the services people asked about."""
        counts: dict[str, int] = {}
        titles: dict[str, str] = {}
        for r in self.day_rows["cited"]:
            if r.key:
                counts[r.key] = counts.get(r.key, 0) + r.n
                titles[r.key] = r.title or titles.get(r.key) or r.key
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        return [ServiceCount(doc_id=d, title=titles[d], citations=n) for d, n in ranked]


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, 1) if math.isfinite(number) else None


def _fill_periods(
    periods: list[Figures], since: datetime, until: datetime, bucket: Bucket, scope: _Scope
) -> list[Figures]:
    """Every period in the range, the quiet ones with zeros, so a chart's gaps are real."""
    step = timedelta(days=1 if bucket == "day" else 7)
    day = since.date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())  # periods start on Mondays, as the SQL's do
    last = (until - timedelta(microseconds=1)).date()
    have = {p.group: p for p in periods}
    while day <= last:
        have.setdefault(day.isoformat(), scope.empty(day.isoformat()))
        day += step
    return [have[key] for key in sorted(have)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _whole_weeks(first: date, last: date, through_week: str | None) -> tuple[date, date] | None:
    """The Mondays of the first and last whole weeks in ``[first, last]`` that are summed
    into ``analytics_weeks`` (through ``through_week``), or None when there are none."""
    if not through_week:
        return None
    start = first if first.weekday() == 0 else _monday(first) + timedelta(weeks=1)
    end = min(
        _monday(last + timedelta(days=1)) - timedelta(weeks=1), date.fromisoformat(through_week)
    )
    return (start, end) if start <= end else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])  # SQLite gives the stored text


def _period_of(day: str, bucket: Bucket) -> str:
    if bucket == "day":
        return day
    start = date.fromisoformat(day)
    return (start - timedelta(days=start.weekday())).isoformat()


def _row_dict(row: DayRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in DayRow.__slots__}


def _add(g: dict[str, Any], r: DayRow) -> None:
    """Sum one day row into a group's tallies."""
    if r.kind == "started":
        g["conversations"] = g.get("conversations", 0) + r.n
    elif r.kind == "status" and r.key not in _NOT_TURNS:
        g["turns"] = g.get("turns", 0) + r.n
        for field, statuses in (
            ("answered", ("answered",)),
            ("unknown", _UNKNOWN),
            ("gaps", _GAPS),
        ):
            if r.key in statuses:
                g[field] = g.get(field, 0) + r.n
    elif r.kind == "reason":
        g["reasons"][r.key] = g["reasons"].get(r.key, 0) + r.n
    elif r.kind == "handed":
        g["handed"] = g.get("handed", 0) + r.n
    elif r.kind == "rating":
        g["ratings"] = g.get("ratings", 0) + r.n
        g["rating_sum"] = g.get("rating_sum", 0) + int(r.key) * r.n
        if int(r.key) >= SATISFIED_RATING:
            g["satisfied"] = g.get("satisfied", 0) + r.n
    elif r.kind in ("wait", "resolve"):
        bins = g[r.kind]
        bins[float(r.key)] = bins.get(float(r.key), 0) + r.n
    elif r.kind == "helpful":
        g[r.key] = g.get(r.key, 0) + r.n
    elif r.kind == "offer":
        g[f"offer_{r.key}"] = g.get(f"offer_{r.key}", 0) + r.n


def _percentiles(bins: dict[float, int]) -> tuple[float | None, float | None, int]:
    """Nearest-rank median and 90th percentile of a histogram, and how many it holds."""
    total = sum(bins.values())
    if not total:
        return None, None, 0
    found: list[float] = []
    seen = 0
    wanted = [0.5 * total, 0.9 * total]
    for value in sorted(bins):
        seen += bins[value]
        while wanted and seen >= wanted[0]:
            found.append(value)
            wanted.pop(0)
    return _seconds(found[0]), _seconds(found[1]), total
