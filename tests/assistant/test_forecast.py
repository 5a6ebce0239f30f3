"""The staffing forecast: Erlang C against textbook values, and forecasts from a generated
history on SQLite and PostgreSQL (and none from too little)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from assistant.forecast import (
    Forecaster,
    caseworkers_needed,
    erlang_c,
    median_wait_minutes,
)
from assistant.store import migrate
from eval.traffic import generate
from tests.assistant.db import postgres_engine, sqlite_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engines = iter([sqlite_engine(tmp_path)]) if request.param == "sqlite" else postgres_engine()
    for engine in engines:
        migrate(engine)
        yield engine


def test_erlang_c_matches_the_textbook() -> None:
    # Two erlangs on three servers: 4/9 wait (the classic worked example); M/M/1: rho.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 2.0) == 1.0  # as much work as people: the line only grows
    # M/M/1 at 75% load, 1 minute each: the median wait is ln(1.5) / (1 - 0.75) minutes.
    assert median_wait_minutes(1, 45, 1.0) == pytest.approx(4 * math.log(1.5))
    assert median_wait_minutes(1, 30, 1.0) == 0.0  # half wait at all: the median is none
    assert math.isinf(median_wait_minutes(1, 60, 1.0))


def test_caseworkers_needed_is_the_fewest_that_meet_the_target() -> None:
    for arrivals, handling, target in [(30, 10, 2), (30, 10, 0.5), (4, 15, 1), (120, 8, 3)]:
        needed = caseworkers_needed(arrivals, handling, target)
        assert median_wait_minutes(needed, arrivals, handling) <= target
        assert median_wait_minutes(needed - 1, arrivals, handling) > target
    assert caseworkers_needed(0, 10, 2) == 0
    assert caseworkers_needed(30, 10, 0.5) >= caseworkers_needed(30, 10, 2)


def test_too_little_history_says_so_instead_of_guessing(engine: Engine) -> None:
    generate(engine, turns=2000, end=datetime.now(UTC), days=9, seed=5)
    result = Forecaster(engine).forecast()
    assert not result.enough_history
    assert result.hours == [] and result.backtest is None
    assert result.message is not None and "too little history" in result.message
    assert result.history_hours < 14 * 24


def test_a_forecast_from_six_weeks(engine: Engine) -> None:
    now = datetime.now(UTC)
    generate(engine, turns=40_000, end=now, days=42, seed=9)
    result = Forecaster(engine).forecast(target_wait_minutes=2)
    assert result.enough_history and result.message is None
    assert len(result.hours) == 168
    first = datetime.fromisoformat(result.hours[0].hour)
    assert first == now.replace(minute=0, second=0, microsecond=0)
    by_hour = {datetime.fromisoformat(h.hour): h for h in result.hours}
    # The week's shape: a weekday morning is busier than the night before a Sunday.
    monday_10 = next(t for t in by_hour if t.weekday() == 0 and t.hour == 10)
    sunday_03 = next(t for t in by_hour if t.weekday() == 6 and t.hour == 3)
    assert by_hour[monday_10].conversations > 4 * by_hour[sunday_03].conversations
    assert by_hour[monday_10].caseworkers >= by_hour[sunday_03].caseworkers
    assert result.handling_minutes is not None and 5 < result.handling_minutes < 60
    # Learned from six weeks, the last week is predicted better than by copying the one
    # before it.
    backtest = result.backtest
    assert backtest is not None
    assert backtest.conversations_wape < backtest.conversations_naive_wape
    assert 0 < backtest.conversations_wape < 0.5
    busiest = max(result.hours, key=lambda h: h.handoffs)
    assert busiest.caseworkers == caseworkers_needed(busiest.handoffs, result.handling_minutes, 2)
    assert all(h.caseworkers >= 0 for h in result.hours)
    assert timedelta(hours=167) == datetime.fromisoformat(result.hours[-1].hour) - first
