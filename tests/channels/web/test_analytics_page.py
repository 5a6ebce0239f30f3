"""The managers' analytics and the public transparency figures over a real server with a
generated history: who may see them, the CSV against the JSON, and the page in real
Chromium (charts, their tables matching the CSV, the keyboard alone, axe-core)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, expect

from assistant.cli import app as cli
from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from eval.traffic import generate
from tests.channels.web.browser import Pages, axe_violations, serious_violations
from tests.conftest import LiveServer

PASSWORD = "a long enough password"
FORECAST_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # No knowledge base is needed to count conversations: an empty data dir, with the
    # bundled sample left out so the server starts at once.
    data_dir = tmp_path_factory.mktemp("analytics")
    settings = Settings(data_dir=data_dir, environment="test")
    container = Container(settings)
    container.__dict__["ensure_knowledge_base"] = lambda: None
    container.__dict__["warm_up"] = lambda: None
    # Sixty days of traffic up to now, about 30 conversations a day.
    container.conversation_store  # noqa: B018 - the schema first
    generate(container.engine, turns=5000, end=datetime.now(UTC), days=60, seed=3)
    for name, role in [
        ("maya", Role.MANAGER),
        ("ada", Role.ADMIN),
        ("sam", Role.CASEWORKER),
        ("eve", Role.EDITOR),
    ]:
        container.staff.create(username=name, password=PASSWORD, role=role)
    with LiveServer(settings, container, ready_path="/healthz") as live:
        yield live


def sign_in(server: LiveServer, username: str) -> httpx.Client:
    return server.sign_in(username, PASSWORD)


def test_only_managers_and_admins_see_the_analytics(server: LiveServer) -> None:
    for path in ("/api/staff/analytics", "/api/staff/analytics.csv", "/api/staff/forecast"):
        assert httpx.get(server.url + path).status_code == 401
        for name in ("sam", "eve"):
            assert sign_in(server, name).get(path).status_code == 403, (name, path)
        for name in ("maya", "ada"):
            assert sign_in(server, name).get(path).status_code == 200, (name, path)


def test_the_csv_has_the_figures_of_the_json(server: LiveServer) -> None:
    maya = sign_in(server, "maya")
    report = maya.get("/api/staff/analytics", params={"days": 30}).json()
    assert len(report["periods"]) == 30
    assert report["total"]["conversations"] > 500
    assert 0.5 < report["total"]["answered_share"] < 0.95
    assert report["total"]["wait_median_seconds"] > 0
    assert {c["group"] for c in report["by_channel"]} == {"web", "sms", "whatsapp"}
    assert report["top_services"][0]["citations"] > report["top_services"][-1]["citations"]

    response = maya.get("/api/staff/analytics.csv", params={"days": 30, "table": "periods"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["Period"] for r in rows] == [p["group"] for p in report["periods"]]
    for row, period in zip(rows, report["periods"], strict=True):
        assert int(row["Conversations"]) == period["conversations"]
        assert int(row["Reason: requested"]) == period["handoff_reasons"]["requested"]
        if period["answered_share"] is not None:
            assert float(row["Answered %"]) == pytest.approx(
                period["answered_share"] * 100, abs=0.05
            )
        if period["wait_median_seconds"] is not None:
            assert float(row["Median wait (min)"]) == pytest.approx(
                period["wait_median_seconds"] / 60, abs=0.05
            )
    weeks = maya.get("/api/staff/analytics", params={"days": 60, "bucket": "week"}).json()
    assert sum(p["conversations"] for p in weeks["periods"]) >= report["total"]["conversations"]
    assert maya.get("/api/staff/analytics", params={"days": 0}).status_code == 422


def test_the_public_figures_need_no_sign_in_and_name_no_one(server: LiveServer) -> None:
    figures = httpx.get(server.url + "/api/transparency").json()
    assert figures["conversations"] > 500 and figures["answered_share"] is not None
    # A crisis is rare: about 2 in 1,000 turns, too few in 30 days to be shown.
    assert figures["handoff_reasons"]["crisis"] is None
    assert "handoff_reasons.crisis" in figures["suppressed"]
    page = httpx.get(server.url + "/transparency")
    assert page.status_code == 200
    assert f"{figures['conversations']:,}" in page.text
    assert "Not shown (too few conversations)" in page.text
    assert "gen-" not in page.text and "gen-" not in str(figures)  # no conversation ids


def test_a_manager_account_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CA_NEW_PASSWORD", PASSWORD)
    result = CliRunner().invoke(cli, ["users", "add", "morgan", "--role", "manager"])
    assert result.exit_code == 0, result.output
    assert "Created manager morgan" in result.output
    listed = CliRunner().invoke(cli, ["users", "list"])
    assert "morgan\tmanager" in listed.output


# ---------------------------------------------------------------------------- the page


@pytest.fixture
def pages(browser: Browser, server: LiveServer) -> Iterator[Pages]:
    opened = Pages(browser, server.url)
    yield opened
    opened.close()


def test_a_manager_sees_the_charts_with_tables_that_match_the_csv(
    pages: Pages, server: LiveServer
) -> None:
    page = pages.new()
    page.goto("/analytics")
    expect(page.get_by_role("heading", name="Sign in to see the analytics")).to_be_visible()
    # By keyboard alone: type, Tab to the next field, Enter to send.
    page.get_by_label("Username").focus()
    page.keyboard.type("maya")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="How the assistant is serving people")).to_be_focused()
    expect(page.locator("#analytics-status")).to_contain_text("Showing the last 30 days")
    # Seven charts, each drawn (a canvas), each with its table and a CSV link.
    figures = page.locator("#charts figure.chart")
    expect(figures).to_have_count(7)
    expect(page.locator("#charts figure.chart canvas")).to_have_count(7)
    assert page.locator("#charts figure.chart a[download]").count() == 7
    assert serious_violations(page) == []

    # The table under the first chart, opened by keyboard, against the CSV it links to.
    summary = page.get_by_text("Conversations and handoffs: show as a table")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("#chart-volume table.table")
    expect(table).to_be_visible()
    assert serious_violations(page) == []
    link = page.locator("#chart-volume a[download]")
    csv_text = page.evaluate(
        "async (href) => (await fetch(href)).text()", link.get_attribute("href")
    )
    by_period = {r["Period"]: r for r in csv.DictReader(io.StringIO(csv_text))}
    rows = table.locator("tbody tr")
    assert rows.count() == 30 == len(by_period)
    for i in range(rows.count()):
        cells = rows.nth(i).locator("th, td").all_text_contents()
        expected = by_period[cells[0]]
        assert cells[1:] == [expected["Conversations"], expected["Handed to a person"]]

    # The figures per channel match their CSV too, every column.
    channel_table = page.get_by_role("region", name="By channel").locator("table")
    headers = channel_table.locator("thead th").all_text_contents()
    channel_csv = page.evaluate(
        "async (href) => (await fetch(href)).text()",
        page.locator("a[download]", has_text="by channel").get_attribute("href"),
    )
    csv_rows = list(csv.reader(io.StringIO(channel_csv)))
    assert headers == csv_rows[0]
    shown = [
        r.locator("th, td").all_text_contents() for r in channel_table.locator("tbody tr").all()
    ]
    assert shown == csv_rows[1:]

    # Weeks instead of days, chosen with the form.
    page.get_by_label("Group by").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#chart-volume table.table tbody tr")).not_to_have_count(30)
    assert serious_violations(page) == []


def test_a_caseworker_is_told_plainly_they_cannot_see_it(pages: Pages, server: LiveServer) -> None:
    page = pages.new()
    page.goto("/analytics")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Your account cannot see the analytics")
    ).to_be_visible()
    expect(page.locator("figure.chart")).to_have_count(0)


def test_the_transparency_page_is_accessible(pages: Pages, server: LiveServer) -> None:
    page = pages.new()
    page.goto("/transparency")
    assert page.get_by_role("table").count() == 1
    assert axe_violations(page) == []


def test_the_forecast_over_http(server: LiveServer) -> None:
    result = sign_in(server, "maya").get("/api/staff/forecast", params={"target_wait_minutes": 3})
    assert result.status_code == 200
    body = result.json()
    assert body["enough_history"] and len(body["hours"]) == 168
    assert body["target_wait_minutes"] == 3
    assert {"hour", "conversations", "handoffs", "caseworkers"} == set(body["hours"][0])
    assert body["backtest"]["hours"] == 168


def test_the_forecast_is_drawn_with_a_table_matching_its_csv(
    pages: Pages, server: LiveServer
) -> None:
    page = pages.new()
    page.goto("/analytics")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    status = page.locator("#forecast-status")
    # The forecast fits a model to the history: it can take a while on a busy machine.
    expect(status).to_contain_text("Forecast for the next 168 hours", timeout=FORECAST_MS)
    expect(page.locator("#chart-forecast canvas")).to_have_count(1)
    expect(page.locator("#forecast")).to_contain_text("How good it is")
    summary = page.get_by_text("Staffing forecast: show as a table")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.get_by_role("region", name="Staffing forecast per hour").locator("table")
    expect(table).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path="/tmp/analytics-forecast.png", full_page=True)

    def shown_and_csv() -> tuple[list[list[str]], list[list[str]]]:
        href = page.locator("#forecast a[download]").get_attribute("href")
        text = page.evaluate("async (href) => (await fetch(href)).text()", href)
        rows = [r.locator("th, td").all_text_contents() for r in table.locator("tbody tr").all()]
        return rows, list(csv.reader(io.StringIO(text)))[1:]

    shown, from_csv = shown_and_csv()
    assert len(shown) == 168 and shown == from_csv
    # A longer target needs no more caseworkers in any hour (this small history needs one
    # or two whatever the target), and the table follows the choice.
    page.get_by_label("Median wait target").select_option("15")
    page.get_by_role("button", name="Update forecast").click()
    expect(page.locator("#forecast a[download]")).to_have_attribute(
        "href", "api/staff/forecast.csv?target_wait_minutes=15", timeout=FORECAST_MS
    )
    page.get_by_text("Staffing forecast: show as a table").click()
    relaxed, relaxed_csv = shown_and_csv()
    assert relaxed == relaxed_csv
    assert all(int(a[3]) <= int(b[3]) for a, b in zip(relaxed, shown, strict=True))
    expect(page.locator("#chart-forecast")).to_contain_text("target median wait 15 minutes")


@pytest.fixture
def young_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Three days of history: too little to forecast from."""
    settings = Settings(data_dir=tmp_path / "data", environment="test")
    container = Container(settings)
    container.__dict__["ensure_knowledge_base"] = lambda: None
    container.__dict__["warm_up"] = lambda: None
    container.conversation_store  # noqa: B018 - the schema first
    generate(container.engine, turns=300, end=datetime.now(UTC), days=3, seed=5)
    container.staff.create(username="maya", password=PASSWORD, role=Role.MANAGER)
    with LiveServer(settings, container, ready_path="/healthz") as live:
        yield live


def test_with_too_little_history_the_page_says_so(
    browser: Browser, young_server: LiveServer
) -> None:
    pages = Pages(browser, young_server.url)
    try:
        page = pages.new()
        page.goto("/analytics")
        page.get_by_label("Username").fill("maya")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        notice = page.locator("#forecast .forecast__notice")
        expect(notice).to_contain_text("too little history", timeout=FORECAST_MS)
        expect(page.locator("#chart-forecast")).to_have_count(0)
        assert page.locator("#forecast table").count() == 0
        assert serious_violations(page) == []
        csv_text = page.evaluate("async () => (await fetch('api/staff/forecast.csv')).text()")
        assert (
            csv_text.strip()
            == "Hour (UTC),Conversations expected,Handoffs expected,Caseworkers needed"
        )
    finally:
        pages.close()
