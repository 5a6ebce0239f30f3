"""``python -m eval.bench.analytics [--turns 1000000] [--postgres URL]``: the analytics
page's queries over a generated year of traffic (``eval.traffic``).

Writes the year once into a SQLite database under the report folder (kept for the next
run with ``--reuse``), then times what the page asks for: the last 30 days by day (the
page's default), the last 90 days, and the whole year by week, plus the public figures.
Each is run ``--repeat`` times; the median and the worst are reported in milliseconds.
With ``--postgres`` the same year goes into a private schema there and is timed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from assistant.analytics import Analytics
from assistant.store import make_engine, migrate
from eval.bench.runner import ROOT
from eval.traffic import generate

#: The end of the generated year: fixed, so a kept database is the same year next run.
END = datetime(2026, 12, 1, tzinfo=UTC)
TARGET_MS = 200


def _time(run: Callable[[], Any], repeat: int) -> dict[str, float]:
    run()  # the first run warms the page cache, as a live server's would be
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def measure(engine: Engine, repeat: int) -> dict[str, Any]:
    analytics = Analytics(engine)
    # Once, on the first report after the traffic arrived: every settled day counted.
    started = time.perf_counter()
    days = analytics.refresh()
    results: dict[str, Any] = {
        "first refresh": {"days": days, "seconds": round(time.perf_counter() - started, 1)}
    }
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon after: the planner's figures for the tables just filled
        # (without them the first report timed read 30 days in 204 ms, the rest in 60).
        with engine.begin() as connection:
            connection.execute(text("ANALYZE analytics_days, analytics_weeks"))
    day = timedelta(days=1)
    cases: dict[str, Callable[[], Any]] = {
        "last 30 days by day (the page's default)": lambda: analytics.report(
            since=END - 30 * day, until=END
        ),
        "last 90 days by day": lambda: analytics.report(since=END - 90 * day, until=END),
        "last 365 days by week": lambda: analytics.report(
            since=END - 365 * day, until=END, bucket="week"
        ),
        "last 30 days, SMS only": lambda: analytics.report(
            since=END - 30 * day, until=END, channel="sms"
        ),
    }
    results.update({name: _time(run, repeat) for name, run in cases.items()})
    # The public page's figures end now; the year ends at END, so move "now" with a window
    # that covers the same 30 days.
    results["public figures (30 days)"] = _time(
        lambda: analytics.report(since=END - 30 * day, until=END).total, repeat
    )
    return results


def _filled(engine: Engine, turns: int, reuse: bool) -> dict[str, Any]:
    with engine.connect() as connection:
        have = connection.execute(text("SELECT COUNT(*) FROM messages")).scalar_one()
    if reuse and have:
        return {"turns": have // 2, "reused": True}
    made = generate(engine, turns=turns, end=END, days=365, seed=11)
    return {
        "turns": made.turns,
        "conversations": made.conversations,
        "handoffs": made.handoffs,
        "generate_seconds": made.seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.analytics", description=__doc__)
    parser.add_argument("--turns", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument("--postgres", help="also on this PostgreSQL (a private schema)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"target_ms": TARGET_MS}

    path = args.out / f"analytics-{args.turns}.db"
    if not args.reuse and path.exists():
        path.unlink()
    sqlite = make_engine(f"sqlite:///{path}")
    migrate(sqlite)
    result["sqlite"] = {"data": _filled(sqlite, args.turns, args.reuse)}
    result["sqlite"]["queries"] = measure(sqlite, args.repeat)
    sqlite.dispose()

    if args.postgres:
        schema = f"ca_bench_analytics_{args.turns}"
        admin = create_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        postgres = create_engine(args.postgres, connect_args={"options": f"-csearch_path={schema}"})
        try:
            migrate(postgres)
            result["postgresql"] = {"data": _filled(postgres, args.turns, False)}
            with postgres.begin() as connection:
                connection.execute(text("ANALYZE"))
            result["postgresql"]["queries"] = measure(postgres, args.repeat)
        finally:
            postgres.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    result["forecast"] = forecast_figures(make_engine(f"sqlite:///{path}"))
    (args.out / "analytics.json").write_text(json.dumps(result, indent=2) + "\n")
    for database in ("sqlite", "postgresql"):
        if database not in result:
            continue
        print(f"analytics on {database}: {result[database]['data']}")
        for name, figures in result[database]["queries"].items():
            if "median_ms" not in figures:
                print(f"  {name}: {figures}")
                continue
            print(f"  {name}: median {figures['median_ms']} ms, worst {figures['max_ms']} ms")
    forecast = result["forecast"]
    print(f"forecast backtest (last week of the year): {forecast['backtest']}")
    print(f"  handling time {forecast['handling_minutes']} min, target median wait 2 min")
    print("  the first Monday ahead, hour (UTC): conversations, handoffs, caseworkers")
    for row in forecast["monday"]:
        print(
            f"    {row['hour'][11:16]}  {row['conversations']:7.1f} {row['handoffs']:6.1f} "
            f"{row['caseworkers']:3d}"
        )
    return 0


def forecast_figures(engine: Engine) -> dict[str, Any]:
    """The staffing forecast from the year's last eight weeks: its backtest error and the
    first Monday's table (the README's)."""
    from assistant.forecast import Forecaster

    started = time.perf_counter()
    forecast = Forecaster(engine).forecast(target_wait_minutes=2, now=END)
    seconds = round(time.perf_counter() - started, 1)
    monday = [
        h.model_dump() for h in forecast.hours if datetime.fromisoformat(h.hour).weekday() == 0
    ]
    return {
        "seconds": seconds,
        "backtest": forecast.backtest.model_dump() if forecast.backtest else None,
        "handling_minutes": forecast.handling_minutes,
        "monday": monday,
    }


if __name__ == "__main__":
    raise SystemExit(main())
