"""The staffing forecast: conversations and handoffs expected per hour for the next week,
from the stored history, and the caseworkers each hour needs to keep the median wait for
a person under a target.

The counts are modelled as Poisson with one rate per hour of the week (Monday 09:00 is
not Sunday 03:00) times a trend over the history: a generalised linear model fitted with
statsmodels. The staffing is Erlang C (an M/M/c queue): with ``a`` erlangs of work
offered and ``c`` caseworkers, a share ``C(c, a)`` of people wait at all, and the wait of
those who do is exponential with mean ``AHT / (c - a)``; the median wait is the ``t``
where ``C * exp(-(c - a) t / AHT) = 1/2``.

With less than ``MIN_WEEKS`` whole weeks of history there is no forecast, and it says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Engine

from assistant.models import utcnow

#: Two weeks: one to learn each hour of the week from, one to check it against.
MIN_WEEKS = 2
#: How much history the model reads: enough for the weekly shape and a trend, recent
#: enough that last spring's pattern does not outweigh last month's.
HISTORY_WEEKS = 8
HOURS_PER_WEEK = 168
TOO_LITTLE_HISTORY = (
    "There is too little history to forecast from: it needs {weeks} whole weeks of "
    "conversations, and there are {have} hours. No forecast is shown rather than a guess."
)


class ForecastHourOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    hour: str  # the hour's start, UTC
    conversations: float
    handoffs: float
    caseworkers: int  # to keep the median wait under the target


class BacktestOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    # The last week of history predicted from the weeks before it. WAPE: the sum of the
    # hourly errors over the sum of the counts; "naive": the same hour a week earlier.
    hours: int
    conversations_wape: float
    conversations_naive_wape: float
    handoffs_wape: float
    handoffs_naive_wape: float


class ForecastOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    enough_history: bool
    message: str | None
    history_hours: int
    target_wait_minutes: float
    handling_minutes: float | None  # mean time a caseworker holds a conversation
    hours: list[ForecastHourOut]
    backtest: BacktestOut | None


# ---------------------------------------------------------------------- Erlang C


def erlang_c(agents: int, erlangs: float) -> float:
    """The chance that a person has to wait at all (1.0 when the load is too much)."""
    if erlangs <= 0:
        return 0.0
    if agents <= erlangs:
        return 1.0
    blocking = 1.0  # Erlang B, by the stable recurrence B(k) = aB / (k + aB)
    for k in range(1, agents + 1):
        blocking = erlangs * blocking / (k + erlangs * blocking)
    return agents * blocking / (agents - erlangs * (1 - blocking))


def median_wait_minutes(agents: int, arrivals_per_hour: float, handling_minutes: float) -> float:
    """The median wait for a person, in minutes (infinite when the queue only grows)."""
    erlangs = arrivals_per_hour * handling_minutes / 60
    waits = erlang_c(agents, erlangs)
    if waits >= 1.0 and agents <= erlangs:
        return math.inf
    if waits <= 0.5:
        return 0.0
    return handling_minutes / (agents - erlangs) * math.log(2 * waits)


def caseworkers_needed(
    arrivals_per_hour: float, handling_minutes: float, target_minutes: float
) -> int:
    """The fewest caseworkers that keep the median wait at or under the target."""
    if arrivals_per_hour <= 0:
        return 0
    agents = max(1, math.floor(arrivals_per_hour * handling_minutes / 60) + 1)
    while median_wait_minutes(agents, arrivals_per_hour, handling_minutes) > target_minutes:
        agents += 1
    return agents


# ---------------------------------------------------------------------- the model


def _design(start: datetime, hours: int, trend_origin: datetime) -> np.ndarray:
    """One column per hour of the week, and a trend in weeks since ``trend_origin``."""
    columns = np.zeros((hours, HOURS_PER_WEEK + 1))
    for i in range(hours):
        moment = start + timedelta(hours=i)
        columns[i, moment.weekday() * 24 + moment.hour] = 1.0
        columns[i, HOURS_PER_WEEK] = (moment - trend_origin).total_seconds() / (7 * 86400)
    return columns


def fit_and_predict(counts: np.ndarray, start: datetime, ahead: int) -> np.ndarray:
    """Expected counts for the ``ahead`` hours after ``counts`` (hourly, from ``start``)."""
    import statsmodels.api as sm  # a second to import: only when a forecast is asked for
    from threadpoolctl import threadpool_limits

    history = _design(start, len(counts), start)
    future = _design(start + timedelta(hours=len(counts)), ahead, start)
    if counts.sum() == 0:
        return np.zeros(ahead)
    model = sm.GLM(counts, history, family=sm.families.Poisson())
    # A touch of ridge: an hour of the week that never saw anyone would otherwise push
    # its rate towards minus infinity and fail to converge.
    # One BLAS thread: on a busy 2-core machine the default threads fought over the cores
    # and one fit took 17 s instead of 1.3 s (8 weeks of hours).
    with threadpool_limits(limits=1):
        fitted = model.fit_regularized(alpha=1e-4, L1_wt=0.0, maxiter=300)
    return np.asarray(np.exp(future @ fitted.params))


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    total = float(actual.sum())
    return round(float(np.abs(actual - predicted).sum()) / total, 4) if total else 0.0


@dataclass(frozen=True, slots=True)
class History:
    start: datetime
    conversations: np.ndarray
    handoffs: np.ndarray
    handling_minutes: float | None


class Forecaster:
    """Forecasts from one conversation database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def history(self, *, now: datetime | None = None) -> History:
        """Hourly counts of the last ``HISTORY_WEEKS`` weeks of whole hours before now."""
        now = now or utcnow()
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(weeks=HISTORY_WEEKS)
        hour = (
            "to_char(date_trunc('hour', {c} AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24')"
            if self.engine.dialect.name == "postgresql"
            else "substr({c}, 1, 13)"
        )
        seconds = (
            "EXTRACT(EPOCH FROM (resolved_at - claimed_at))"
            if self.engine.dialect.name == "postgresql"
            else "(julianday(resolved_at) - julianday(claimed_at)) * 86400.0"
        )
        times = (
            bindparam("start", type_=DateTime(timezone=True)),
            bindparam("end", type_=DateTime(timezone=True)),
        )
        params = {"start": start, "end": end}
        with self.engine.connect() as connection:
            first = connection.execute(text("SELECT MIN(created_at) FROM conversations")).scalar()
            conversations = connection.execute(
                text(
                    f"SELECT {hour.format(c='created_at')} AS h, COUNT(*) AS n "
                    "FROM conversations WHERE created_at >= :start AND created_at < :end "
                    "GROUP BY 1"
                ).bindparams(*times),
                params,
            ).all()
            handoffs = connection.execute(
                text(
                    f"SELECT {hour.format(c='created_at')} AS h, COUNT(*) AS n "
                    "FROM handoffs WHERE created_at >= :start AND created_at < :end GROUP BY 1"
                ).bindparams(*times),
                params,
            ).all()
            handling = connection.execute(
                text(
                    f"SELECT AVG({seconds}) FROM handoffs WHERE resolved_at IS NOT NULL "
                    "AND claimed_at IS NOT NULL AND created_at >= :start AND created_at < :end"
                ).bindparams(*times),
                params,
            ).scalar()
        if first is not None:  # the history starts with the first whole hour stored
            first_moment = first if isinstance(first, datetime) else _parse(str(first))
            first_hour = first_moment.replace(minute=0, second=0, microsecond=0)
            if first_hour.tzinfo is None:
                first_hour = first_hour.replace(tzinfo=UTC)
            start = max(start, first_hour + timedelta(hours=1))
        else:
            start = end
        hours = max(0, int((end - start).total_seconds() // 3600))
        return History(
            start=start,
            conversations=_hourly(conversations, start, hours),
            handoffs=_hourly(handoffs, start, hours),
            handling_minutes=None if handling is None else round(float(handling) / 60, 1),
        )

    def forecast(
        self,
        *,
        target_wait_minutes: float = 2.0,
        default_handling_minutes: float = 15.0,
        now: datetime | None = None,
    ) -> ForecastOut:
        history = self.history(now=now)
        hours = len(history.conversations)
        handling = history.handling_minutes or default_handling_minutes
        if hours < MIN_WEEKS * HOURS_PER_WEEK:
            return ForecastOut(
                enough_history=False,
                message=TOO_LITTLE_HISTORY.format(weeks=MIN_WEEKS, have=hours),
                history_hours=hours,
                target_wait_minutes=target_wait_minutes,
                handling_minutes=history.handling_minutes,
                hours=[],
                backtest=None,
            )
        ahead = HOURS_PER_WEEK
        next_start = history.start + timedelta(hours=hours)
        conversations = fit_and_predict(history.conversations, history.start, ahead)
        handoffs = fit_and_predict(history.handoffs, history.start, ahead)
        rows = [
            ForecastHourOut(
                hour=(next_start + timedelta(hours=i)).isoformat(),
                conversations=round(float(conversations[i]), 2),
                handoffs=round(float(handoffs[i]), 2),
                caseworkers=caseworkers_needed(float(handoffs[i]), handling, target_wait_minutes),
            )
            for i in range(ahead)
        ]
        return ForecastOut(
            enough_history=True,
            message=None,
            history_hours=hours,
            target_wait_minutes=target_wait_minutes,
            handling_minutes=handling,
            hours=rows,
            backtest=backtest(history),
        )


def backtest(history: History) -> BacktestOut:
    """The last week of ``history`` predicted from the weeks before it."""
    held = HOURS_PER_WEEK
    figures: dict[str, Any] = {"hours": held}
    for name in ("conversations", "handoffs"):
        series: np.ndarray = getattr(history, name)
        train, actual = series[:-held], series[-held:]
        predicted = fit_and_predict(train, history.start, held)
        figures[f"{name}_wape"] = wape(actual, predicted)
        figures[f"{name}_naive_wape"] = wape(actual, train[-held:].astype(float))
    return BacktestOut(**figures)


def _hourly(rows: Sequence[Any], start: datetime, hours: int) -> np.ndarray:
    counts = np.zeros(hours)
    for row in rows:
        moment = _parse(f"{row.h}:00")
        i = int((moment - start).total_seconds() // 3600)
        if 0 <= i < hours:
            counts[i] = row.n
    return counts


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
