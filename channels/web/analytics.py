"""The managers' analytics (page, JSON and CSV) and the public transparency figures."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response

from assistant.analytics import REASONS, AnalyticsOut, Bucket, Figures, TransparencyOut
from assistant.forecast import Forecaster, ForecastOut
from assistant.models import utcnow
from channels.web.deps import ManagerDep, container_of
from channels.web.pages import STATIC_DIR
from channels.web.schemas import SIGNED_IN_ERRORS, errors

router = APIRouter()

#: The transparency page's window and its smallest count (the issue's: no figure from fewer
#: than 10 conversations).
PUBLIC_DAYS = 30
PUBLIC_MINIMUM = 10

Table = Literal["periods", "by_channel", "by_language", "top_services"]

_QUERY_ERRORS = errors({**SIGNED_IN_ERRORS, 422: "A parameter is out of range."})


@router.get("/analytics", response_class=HTMLResponse, tags=["pages"])
@router.head("/analytics", include_in_schema=False)
async def analytics_page() -> FileResponse:
    """The managers' analytics (it signs in with /api/staff/login)."""
    return FileResponse(STATIC_DIR / "analytics" / "index.html", media_type="text/html")


async def _report(
    request: Request, days: int, bucket: Bucket, channel: str | None, language: str | None
) -> AnalyticsOut:
    until = utcnow()
    # Whole days: a period on the chart is a calendar day (or week) in UTC.
    since = datetime.combine(
        (until - timedelta(days=days - 1)).date(), datetime.min.time(), until.tzinfo
    )
    analytics = container_of(request).analytics
    return await run_in_threadpool(
        lambda: analytics.report(
            since=since, until=until, bucket=bucket, channel=channel, language=language
        )
    )


Days = Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")]
BucketQuery = Annotated[Bucket, Query(description="Group by calendar day or week (UTC).")]
ChannelQuery = Annotated[
    str | None, Query(max_length=32, description="Only this channel (web, sms, whatsapp).")
]
LanguageQuery = Annotated[
    str | None, Query(max_length=8, description="Only conversations in this language (en, es).")
]


@router.get(
    "/api/staff/analytics", response_model=AnalyticsOut, tags=["staff"], responses=_QUERY_ERRORS
)
async def analytics(
    session: ManagerDep,
    request: Request,
    days: Days = 30,
    bucket: BucketQuery = "day",
    channel: ChannelQuery = None,
    language: LanguageQuery = None,
) -> AnalyticsOut:
    """Conversations, answers, handoffs, waits and satisfaction per period, channel and
    language, and the services asked about most (managers and admins)."""
    return await _report(request, days, bucket, channel, language)


@router.get(
    "/api/staff/analytics.csv",
    response_class=Response,
    tags=["staff"],
    responses={
        **_QUERY_ERRORS,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The table as CSV: a header row, then one row per period or group.",
        },
    },
)
async def analytics_csv(
    session: ManagerDep,
    request: Request,
    table: Annotated[Table, Query(description="Which of the report's tables.")] = "periods",
    days: Days = 30,
    bucket: BucketQuery = "day",
    channel: ChannelQuery = None,
    language: LanguageQuery = None,
) -> Response:
    """One table of the analytics as CSV, with the figures the page shows (managers, admins)."""
    report = await _report(request, days, bucket, channel, language)
    body = analytics_csv_text(report, table)
    name = f"analytics-{table}-{report.until[:10]}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _fixed(value: float | None, places: int = 1) -> str:
    """``value`` rounded as the page's JavaScript ``toFixed`` does (from its exact binary
    value, halves up), so the CSV and the page's tables never differ in the last digit."""
    if value is None:
        return ""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _percent(value: float | None) -> str:
    return "" if value is None else _fixed(value * 100)


def _minutes(value: float | None) -> str:
    return "" if value is None else _fixed(value / 60)


def _hours(value: float | None) -> str:
    return "" if value is None else _fixed(value / 3600)


#: The columns of a table of figures, as the page's tables show them (same units, same
#: rounding: the page's test compares the two).
FIGURE_COLUMNS: list[tuple[str, str]] = [
    ("conversations", "Conversations"),
    ("turns", "Questions"),
    ("answered", "Answered %"),
    ("unknown", "Did not know %"),
    ("handoffs", "Handed to a person"),
    ("handoff_share", "Handed to a person %"),
    *((f"reason_{r}", f"Reason: {r.replace('_', ' ')}") for r in REASONS),
    ("wait_median", "Median wait (min)"),
    ("wait_p90", "90th percentile wait (min)"),
    ("resolution_median", "Median time to resolution (h)"),
    ("csat_average", "Satisfaction (1-5)"),
    ("csat_satisfied", "Satisfied %"),
    ("helpful", "Helpful %"),
    ("content_gaps", "Content gaps"),
    ("offers", "Offered a page"),
    ("offers_taken", "Offers taken %"),
    ("offers_declined", "Offers declined %"),
]


def figure_cells(f: Figures) -> list[str]:
    return [
        str(f.conversations),
        str(f.turns),
        _percent(f.answered_share),
        _percent(f.unknown_share),
        str(f.handoffs),
        _percent(f.handoff_share),
        *(str(f.handoff_reasons.get(r, 0)) for r in REASONS),
        _minutes(f.wait_median_seconds),
        _minutes(f.wait_p90_seconds),
        _hours(f.resolution_median_seconds),
        _fixed(f.csat_average, 2),
        _percent(f.csat_satisfied_share),
        _percent(f.helpful_share),
        str(f.content_gaps),
        str(f.offers),
        _percent(f.offers_taken_share),
        _percent(f.offers_declined_share),
    ]


def analytics_csv_text(report: AnalyticsOut, table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if table == "top_services":
        writer.writerow(["Document", "Title", "Answers citing it"])
        for s in report.top_services:
            writer.writerow([s.doc_id, s.title, s.citations])
        return out.getvalue()
    first = {"periods": "Period", "by_channel": "Channel", "by_language": "Language"}[table]
    writer.writerow([first, *(label for _, label in FIGURE_COLUMNS)])
    rows: list[Figures] = getattr(report, table)
    for f in rows:
        writer.writerow([f.group, *figure_cells(f)])
    return out.getvalue()


# ---------------------------------------------------------------- staffing forecast


@router.get(
    "/api/staff/forecast", response_model=ForecastOut, tags=["staff"], responses=_QUERY_ERRORS
)
async def forecast(
    session: ManagerDep,
    request: Request,
    target_wait_minutes: Annotated[
        float, Query(gt=0, le=240, description="Keep the median wait for a person under this.")
    ] = 2.0,
) -> ForecastOut:
    """Conversations and handoffs expected per hour for the next 7 days, and the
    caseworkers each hour needs (Erlang C); with too little history, says so and gives
    no figures (managers and admins)."""
    forecaster = Forecaster(container_of(request).engine)
    return await run_in_threadpool(
        lambda: forecaster.forecast(target_wait_minutes=target_wait_minutes)
    )


@router.get(
    "/api/staff/forecast.csv",
    response_class=Response,
    tags=["staff"],
    responses={
        **_QUERY_ERRORS,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "One row per hour (UTC): conversations, handoffs, caseworkers; "
            "only the header row when there is too little history.",
        },
    },
)
async def forecast_csv(
    session: ManagerDep,
    request: Request,
    target_wait_minutes: Annotated[
        float, Query(gt=0, le=240, description="Keep the median wait for a person under this.")
    ] = 2.0,
) -> Response:
    """The staffing forecast as CSV, with the figures the page's table shows."""
    result = await forecast(session, request, target_wait_minutes)
    return Response(
        forecast_csv_text(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="forecast.csv"'},
    )


def forecast_csv_text(result: ForecastOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Hour (UTC)", "Conversations expected", "Handoffs expected", "Caseworkers needed"]
    )
    for h in result.hours:
        hour = h.hour[:16].replace("T", " ")  # as the page's table shows it
        writer.writerow([hour, _fixed(h.conversations), _fixed(h.handoffs), h.caseworkers])
    return out.getvalue()


# ---------------------------------------------------------------- public figures


async def _public(request: Request) -> TransparencyOut:
    analytics = container_of(request).analytics
    return await run_in_threadpool(
        lambda: analytics.transparency(days=PUBLIC_DAYS, minimum=PUBLIC_MINIMUM)
    )


@router.get("/api/transparency", response_model=TransparencyOut, tags=["transparency"])
async def transparency(request: Request) -> TransparencyOut:
    """The last 30 days' public figures, no sign-in; a figure resting on fewer than 10
    conversations is null (and named in ``suppressed``)."""
    return await _public(request)


_REASON_WORDS = {
    "requested": "the person asked for one",
    "crisis": "the person seemed to be in crisis",
    "own_case": "the question was about the person's own case",
    "unanswered_twice": "the assistant could not answer twice in a row",
    "frustration": "the person was frustrated",
}


def _share_words(value: float | None) -> str:
    return "Not shown (too few conversations)" if value is None else f"{value * 100:.0f}%"


@router.get("/transparency", response_class=HTMLResponse, tags=["pages"])
@router.head("/transparency", include_in_schema=False)
async def transparency_page(request: Request) -> HTMLResponse:
    """The public figures as a plain page (no script, no sign-in)."""
    figures = await _public(request)
    return HTMLResponse(render_transparency(figures))


def render_transparency(f: TransparencyOut) -> str:
    hidden = "Not shown (too few conversations)"

    def row(label: str, value: str) -> str:
        return f"<tr><th scope='row'>{escape(label)}</th><td>{escape(value)}</td></tr>"

    rows = [
        row("Conversations", hidden if f.conversations is None else f"{f.conversations:,}"),
        row("Questions the assistant answered", _share_words(f.answered_share)),
        row("Questions it said it could not answer", _share_words(f.unknown_share)),
        row("Conversations passed to a person", _share_words(f.handoff_share)),
        *(
            row(f"Passed to a person because {_REASON_WORDS.get(r, r)}", _share_words(v))
            for r, v in f.handoff_reasons.items()
        ),
        row(
            "Typical (median) wait for a person",
            hidden if f.wait_median_minutes is None else f"{f.wait_median_minutes:g} minutes",
        ),
        row(
            "Typical (median) time until a person resolved it",
            hidden if f.resolution_median_hours is None else f"{f.resolution_median_hours:g} hours",
        ),
        row("People satisfied with the help of a person", _share_words(f.csat_satisfied_share)),
        row("Answers people marked as helpful", _share_words(f.helpful_share)),
    ]
    return _TRANSPARENCY_PAGE.format(
        days=f.days,
        since=escape(f.since[:10]),
        until=escape(f.until[:10]),
        minimum=f.minimum_count,
        rows="\n        ".join(rows),
    )


_TRANSPARENCY_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>How the assistant is doing – Fairhaven services</title>
  <link rel="icon" href="static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="static/app.css">
  <link rel="stylesheet" href="static/analytics/transparency.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to main content</a>
  <main id="main" class="transparency">
    <h1>How the assistant is doing</h1>
    <p>These are the figures for the last {days} days ({since} to {until}), for everyone
    who used the City of Fairhaven's online assistant, counted together. They say nothing
    about any one person. A figure based on fewer than {minimum} conversations is not
    shown, so that nobody can be picked out from it.</p>
    <table>
      <caption>The last {days} days in figures</caption>
      <thead><tr><th scope="col">What</th><th scope="col">Figure</th></tr></thead>
      <tbody>
        {rows}
      </tbody>
    </table>
    <p>The same figures as data: <a href="api/transparency">api/transparency</a> (JSON).</p>
    <p><a href="./">Ask the assistant a question</a></p>
  </main>
</body>
</html>
"""
