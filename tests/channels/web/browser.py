"""What the browser tests share: Debian's Chromium driven by Playwright, axe-core, and
pages that fail the test on a script error, a CSP violation or a request to another
server. Without the dev extra (playwright) the browser test modules are skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    sync_playwright,
)

TIMEOUT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def launch() -> Iterator[Browser]:
    """Headless Chromium (the tests fail, rather than skip, when it is not installed)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is needed for the browser tests but {CHROMIUM} does not exist: "
            "install it with `apt-get install -y chromium` (or set CHROMIUM_PATH).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageProblems:
    """What went wrong in the page that the citizen might not see: script errors, CSP
    violations, and any attempt to reach a server other than our own."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.external_requests: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx/5xx response; the tests provoke those on purpose.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def check(self) -> None:
        assert not self.errors, f"errors in the page: {self.errors}"
        assert not self.external_requests, f"the page reached out to: {self.external_requests}"


class Pages:
    """Browser contexts (each its own cookies and storage) that are checked and closed at the
    end: no script errors, no CSP violations, nothing fetched from another server."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.opened: list[tuple[Page, PageProblems]] = []

    def new(self, viewport: ViewportSize = DESKTOP) -> Page:
        page, problems = watched_page(self.browser, self.base_url, viewport)
        self.opened.append((page, problems))
        return page

    def close(self) -> None:
        for page, _ in self.opened:
            page.context.close()
        for _, problems in self.opened:
            problems.check()


def watched_page(
    browser: Browser, base_url: str, viewport: ViewportSize = DESKTOP
) -> tuple[Page, PageProblems]:
    """A page in a context of its own, whose script errors, CSP violations and requests to
    any server but ``base_url``'s are recorded (and the requests refused)."""
    context = browser.new_context(viewport=viewport, base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    problems = PageProblems()
    own = urlsplit(base_url).netloc

    def only_our_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            problems.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_our_server)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.errors.append(f"pageerror: {error}"))
    page.on("console", problems.console)
    return page, problems


def serious_violations(page: Page) -> list[str]:
    return axe_violations(page, impacts=("serious", "critical"))


def axe_violations(
    page: Page, impacts: tuple[str, ...] = ("minor", "moderate", "serious", "critical")
) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]
