"""What the agency can see of how the assistant serves people: the managers' analytics and
the public transparency figures, counted by the database from what each turn stored.

Every figure is one SQL query per grouping (period, channel, language, or the whole
range) that runs on SQLite and PostgreSQL alike; the only differences are the date and
JSON functions, chosen per dialect below. Medians and 90th percentiles are nearest-rank
over a window (``ROW_NUMBER() OVER``), which both databases have and SQLite has no
``percentile_cont`` for. Nothing here reads message text: only statuses, times, channels,
ratings and cited document ids, so no figure can carry personal data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, bindparam, inspect, text
from sqlalchemy.engine import Connection, Engine

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

    def cited(self, column: str) -> tuple[str, str, str]:
        """(FROM item expanding a JSON array of citations, its doc_id, its title)."""
        if self.name == "postgresql":
            return f"json_array_elements({column}) AS cite", "cite->>'doc_id'", "cite->>'title'"
        return (
            f"json_each({column}) AS cite",
            "json_extract(cite.value, '$.doc_id')",
            "json_extract(cite.value, '$.title')",
        )


def _in(name: str, values: tuple[str, ...]) -> str:
    """An IN list of literal codes (our own enum values, never user input)."""
    assert all(v.replace("_", "").isalnum() for v in values), values
    return f"{name} IN ({', '.join(repr(v) for v in values)})"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Analytics:
    """The analytics and transparency figures over one conversation database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = _Dialect(engine.dialect.name)
        # The conversation's language arrives with the Spanish work (its own migration adds
        # ``conversations.language``); until then every conversation counts as English.
        columns = {c["name"] for c in inspect(engine).get_columns("conversations")}
        self._language = "COALESCE(c.language, 'en')" if "language" in columns else "'en'"

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
        if until <= since:
            raise ValueError("until must be after since")
        d = self._dialect
        with self.engine.connect() as connection:
            scope = _Scope(connection, d, since, until, channel, language, self._language)
            total = scope.figures("'all'")
            periods = scope.figures(d.period("{t}.created_at", bucket))
            by_channel = scope.figures("c.channel")
            by_language = scope.figures(self._language)
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
        until = utcnow()
        since = until - timedelta(days=days)
        with self.engine.connect() as connection:
            scope = _Scope(connection, self._dialect, since, until, None, None, self._language)
            rows = scope.figures("'all'")
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
    """The queries of one report: a time range and the optional channel/language filter."""

    def __init__(
        self,
        connection: Connection,
        dialect: _Dialect,
        since: datetime,
        until: datetime,
        channel: str | None,
        language: str | None,
        language_expr: str,
    ) -> None:
        self.connection = connection
        self.d = dialect
        self.params: dict[str, Any] = {"since": since, "until": until}
        filters = []
        if channel:
            filters.append("c.channel = :channel")
            self.params["channel"] = channel
        if language:
            filters.append(f"{language_expr} = :language")
            self.params["language"] = language
        self.filters = "".join(f" AND {f}" for f in filters)

    def _rows(self, sql: str) -> list[Any]:
        statement = text(sql).bindparams(
            bindparam("since", type_=DateTime(timezone=True)),
            bindparam("until", type_=DateTime(timezone=True)),
        )
        return list(self.connection.execute(statement, self.params))

    def _range(self, table: str) -> str:
        return f"{table}.created_at >= :since AND {table}.created_at < :until{self.filters}"

    def figures(self, group: str) -> list[Figures]:
        """One ``Figures`` per value of ``group`` (an SQL expression; ``{t}`` is the table
        alias whose time is grouped on: each source groups on its own time)."""
        d = self.d
        turns = self._rows(
            f"""
            SELECT {group.format(t="m")} AS g,
                   COUNT(DISTINCT m.conversation_id) AS conversations,
                   COUNT(*) AS turns,
                   SUM(CASE WHEN m.status = 'answered' THEN 1 ELSE 0 END) AS answered,
                   SUM(CASE WHEN {_in("m.status", _UNKNOWN)} THEN 1 ELSE 0 END) AS unknown,
                   SUM(CASE WHEN {_in("m.status", _GAPS)} THEN 1 ELSE 0 END) AS gaps
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.role = 'assistant' AND m.status IS NOT NULL
              AND NOT {_in("m.status", _NOT_TURNS)} AND {self._range("m")}
            GROUP BY 1
            """
        )
        handoffs = self._rows(
            f"""
            SELECT {group.format(t="h")} AS g, h.reason AS reason, COUNT(*) AS n,
                   COUNT(DISTINCT h.conversation_id) AS conversations,
                   SUM(CASE WHEN h.rating IS NOT NULL THEN 1 ELSE 0 END) AS ratings,
                   SUM(COALESCE(h.rating, 0)) AS rating_sum,
                   SUM(CASE WHEN h.rating >= {SATISFIED_RATING} THEN 1 ELSE 0 END) AS satisfied
            FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
            WHERE {self._range("h")}
            GROUP BY 1, 2
            """
        )
        waits = self._percentiles(
            group.format(t="h"), d.seconds("h.created_at", "h.claimed_at"), "h.claimed_at"
        )
        resolutions = self._percentiles(
            group.format(t="h"), d.seconds("h.created_at", "h.resolved_at"), "h.resolved_at"
        )
        helpful = self._rows(
            f"""
            SELECT {group.format(t="f")} AS g, COUNT(*) AS n,
                   SUM(CASE WHEN f.helpful THEN 1 ELSE 0 END) AS yes
            FROM answer_feedback f
            JOIN messages m ON m.id = f.message_id
            JOIN conversations c ON c.id = m.conversation_id
            WHERE {self._range("f")}
            GROUP BY 1
            """
        )
        groups: dict[str, dict[str, Any]] = {}

        def slot(key: Any) -> dict[str, Any]:
            return groups.setdefault(str(key), {"reasons": {}})

        for r in turns:
            slot(r.g).update(
                conversations=r.conversations,
                turns=r.turns,
                answered=r.answered,
                unknown=r.unknown,
                gaps=r.gaps,
            )
        for r in handoffs:
            g = slot(r.g)
            g["reasons"][r.reason] = g["reasons"].get(r.reason, 0) + r.n
            g["handed"] = g.get("handed", 0) + r.conversations
            g["ratings"] = g.get("ratings", 0) + r.ratings
            g["rating_sum"] = g.get("rating_sum", 0) + float(r.rating_sum or 0)
            g["satisfied"] = g.get("satisfied", 0) + r.satisfied
        for key, (median, p90, n) in waits.items():
            slot(key).update(wait=(median, p90, n))
        for key, (median, _, n) in resolutions.items():
            slot(key).update(resolution=(median, n))
        for r in helpful:
            slot(r.g).update(helpful=(r.yes, r.n))
        return [self._figures(key, g) for key, g in sorted(groups.items())]

    def _percentiles(
        self, group: str, seconds: str, present: str
    ) -> dict[str, tuple[float | None, float | None, int]]:
        """Nearest-rank median and 90th percentile of ``seconds`` per group."""
        rows = self._rows(
            f"""
            SELECT g, MIN(CASE WHEN rn >= 0.5 * n THEN s END) AS median,
                      MIN(CASE WHEN rn >= 0.9 * n THEN s END) AS p90, MAX(n) AS n
            FROM (
                SELECT g, s, ROW_NUMBER() OVER (PARTITION BY g ORDER BY s) AS rn,
                       COUNT(*) OVER (PARTITION BY g) AS n
                FROM (
                    SELECT {group} AS g, {seconds} AS s
                    FROM handoffs h JOIN conversations c ON c.id = h.conversation_id
                    WHERE {present} IS NOT NULL AND {self._range("h")}
                ) AS timed
            ) AS ranked
            GROUP BY g
            """
        )
        return {str(r.g): (_seconds(r.median), _seconds(r.p90), int(r.n)) for r in rows}

    def _figures(self, key: str, g: dict[str, Any]) -> Figures:
        conversations = int(g.get("conversations", 0))
        turns = int(g.get("turns", 0))
        handed = int(g.get("handed", 0))
        ratings = int(g.get("ratings", 0))
        wait_median, wait_p90, waits = g.get("wait", (None, None, 0))
        resolution, resolutions = g.get("resolution", (None, 0))
        yes, answers = g.get("helpful", (0, 0))
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
        )

    def empty(self, key: str) -> Figures:
        return self._figures(key, {"reasons": {}})

    def top_services(self, top: int) -> list[ServiceCount]:
        """The documents answers cited most: the services people asked about."""
        source, doc_id, title = self.d.cited("m.citations")
        rows = self._rows(
            f"""
            SELECT {doc_id} AS doc_id, MAX({title}) AS title,
                   COUNT(DISTINCT m.id) AS citations
            FROM messages m JOIN conversations c ON c.id = m.conversation_id, {source}
            WHERE m.role = 'assistant' AND m.status = 'answered'
              AND m.citations IS NOT NULL AND {self._range("m")}
            GROUP BY 1
            ORDER BY citations DESC, doc_id
            LIMIT {int(top)}
            """
        )
        return [
            ServiceCount(doc_id=r.doc_id, title=r.title or r.doc_id, citations=r.citations)
            for r in rows
            if r.doc_id
        ]


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
