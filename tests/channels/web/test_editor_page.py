"""The content editor console (issue 6), driven in real Chromium against a real server.

The main story: an editor signs in, uploads a new document, previews a question against
it (the draft answer cites it, the live one does not) and publishes; a citizen asking a
*second* server process that shares the data folder gets an answer citing it, with no
restart; the editor undoes the publish and the second process stops citing it. Then
editing a live document, retiring one, the reports (a content gap with no personal data
in it), the keyboard alone, axe-core on every tab, a 360 px screen, and people who are
not editors.

One server (and, for the story, one extra process) serves the whole module; after each
test the knowledge base is put back as it was (drafts discarded, first version live).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (dev extra)")
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.channels.web.browser import Pages, serious_violations
from tests.conftest import LiveServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
NARROW: ViewportSize = {"width": 360, "height": 740}
PASSWORD = "correct horse battery staple"
EDITOR = "eddie"
CASEWORKER = "sam"

BEEKEEPING_MD = """---
title: Get a beekeeping permit
agency: Fairhaven Department of Public Health
topic: animals
url: https://www.fairhaven.example/health/beekeeping-permit
last_reviewed: 2026-11-01
---

# Get a beekeeping permit

You need a beekeeping permit from the Fairhaven Department of Public Health to keep honey bees
in the City of Fairhaven.

## Who needs a beekeeping permit

Anyone who keeps one or more beehives within Fairhaven city limits needs a beekeeping permit.
You need a new permit if you move your hives to another address.

## How to apply for a beekeeping permit

Apply online at fairhaven.example/health/bees or at the Public Health office at 200 Harbor
Street. The beekeeping permit costs $25 a year. The permit is usually issued within 10 working
days.

## Rules for keeping bees

Keep every beehive at least 10 feet from your property line. You may keep up to 4 beehives on
a lot smaller than one acre. Give your bees a source of fresh water within 20 feet of the hive.
"""
BEE_QUESTION = "How do I get a beekeeping permit?"

UKULELE_SECTION = """

## Borrow a ukulele

Library card holders can borrow a ukulele from the Central Library for 21 days. Each ukulele
comes with a soft case and a beginner's songbook. You can reserve a ukulele online.
"""
UKULELE_QUESTION = "Can I borrow a ukulele from the library?"

LLAMA_QUESTION = "my email is jane.doe@example.com, how do I register a llama?"

ANSWER_POLL_SECONDS = 15


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def editor_data_dir(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    target = tmp_path_factory.mktemp("editor") / "data"
    shutil.copytree(sample_data_dir, target)
    return target


@pytest.fixture(scope="module")
def editor_container(editor_data_dir: Path, shared_container: Container) -> Container:
    container = Container(
        Settings(data_dir=editor_data_dir, environment="test", staff_hours="always")
    )
    container.__dict__["embedder"] = shared_container.embedder  # one model load per run
    people = [
        (EDITOR, Role.EDITOR, "Eddie Editor"),
        ("ada", Role.ADMIN, "Ada Admin"),
        (CASEWORKER, Role.CASEWORKER, "Sam Rivera"),
    ]
    for username, role, name in people:
        container.staff.create(
            username=username, password=PASSWORD, role=role, display_name=name, teams=["General"]
        )
    return container


@pytest.fixture(scope="module")
def server(editor_container: Container) -> Iterator[LiveServer]:
    with LiveServer(editor_container.settings, editor_container) as live:
        yield live


class CitizenProcess:
    """A second server process over the same data folder, started when first asked for:
    what a citizen on another replica talks to."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        if self.process is not None:
            return self.url
        port = free_port()
        env = {**os.environ, "CA_DATA_DIR": str(self.data_dir), "CA_STAFF_HOURS": "always"}
        script = Path(sys.executable).parent / "citizen-assistant"
        self.process = subprocess.Popen(
            [str(script), "serve", "--port", str(port)],
            env=env,
            cwd=self.data_dir.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the second server died: {error}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the second server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def citizen_process(editor_data_dir: Path, server: LiveServer) -> Iterator[CitizenProcess]:
    process = CitizenProcess(editor_data_dir)
    yield process
    process.stop()


@contextmanager
def editor_api(base_url: str, username: str = EDITOR) -> Iterator[httpx.Client]:
    """A signed-in API client (for setting up and checking, not for what the page does)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        signed = client.post("/api/staff/login", json={"username": username, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


@pytest.fixture(scope="module")
def first_version(server: LiveServer) -> str:
    with editor_api(server.url) as api:
        version = api.get("/api/editor/versions").json()["live"]
    assert version
    return str(version)


@pytest.fixture(autouse=True)
def clean_knowledge_base(server: LiveServer, first_version: str) -> Iterator[None]:
    """Each test starts from the sample knowledge base with no open drafts."""
    yield
    with editor_api(server.url) as api:
        for draft in api.get("/api/editor/drafts").json()["drafts"]:
            api.delete(f"/api/editor/drafts/{draft['id']}")
        if api.get("/api/editor/versions").json()["live"] != first_version:
            restored = api.post("/api/editor/restore", json={"version": first_version})
            assert restored.status_code == 200, restored.text


@pytest.fixture
def pages(browser: Browser, server: LiveServer) -> Iterator[Pages]:
    opened = Pages(browser, server.url)
    yield opened
    opened.close()


# ---------------------------------------------------------------------------- helpers


def sign_in(page: Page, username: str = EDITOR) -> None:
    page.goto("/editor")
    expect(page.get_by_role("heading", name="Sign in to the content editor")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if username == CASEWORKER:
        expect(page.get_by_role("heading", name="Your account cannot edit content")).to_be_visible()
    else:
        expect(page.get_by_role("tab", name="Documents")).to_be_visible()
        expect(document_rows(page).first).to_be_visible()


def document_rows(page: Page) -> Locator:
    return page.locator("#documents-table-wrap tbody tr")


def open_tab(page: Page, name: str) -> None:
    tab = page.get_by_role("tab", name=re.compile(rf"^{name}"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def confirm(page: Page, yes: str) -> None:
    box = page.locator(".confirm")
    expect(box).to_be_visible()
    expect(box.get_by_role("button", name=yes)).to_be_focused()
    box.get_by_role("button", name=yes).click()
    expect(box).to_have_count(0)


def open_document(page: Page, search: str, title: str) -> None:
    open_tab(page, "Documents")
    back = page.get_by_role("button", name="Back to all documents")
    if back.is_visible():
        back.click()
    page.get_by_label("Search titles and ids").fill(search)
    button = page.locator("#documents-table-wrap").get_by_role("button", name=title, exact=True)
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#document-heading")).to_have_text(title)
    expect(page.locator("#document-heading")).to_be_focused()


def preview(page: Page, question: str) -> tuple[Locator, Locator]:
    open_tab(page, "Preview")
    page.get_by_label("Question a citizen might ask").fill(question)
    page.get_by_role("button", name="Preview answer").click()
    expect(page.locator("#preview-status")).to_contain_text("Preview ready")
    return page.locator("#preview-live"), page.locator("#preview-draft")


def cited_doc_ids(side: Locator) -> list[str]:
    return side.locator(".answer__citation").evaluate_all(
        "items => items.map(li => li.dataset.docId)"
    )


def publish_all(page: Page) -> None:
    open_tab(page, "Drafts")
    page.get_by_role("button", name="Publish all drafts").click()
    confirm(page, "Yes, publish")
    expect(page.locator("#publish-result")).to_be_visible(timeout=60_000)
    expect(page.locator("#drafts-status")).to_contain_text("Citizens now get answers from version")


def undo_last_publish(page: Page) -> None:
    open_tab(page, "History")
    # The tab reloads the history when opened; wait until it shows the version that is
    # live now, so the click lands on the page as reloaded.
    live = re.search(r"version (\S+?)\.?$", page.locator("#live-version").inner_text())
    assert live is not None
    expect(page.locator("#versions .row--live")).to_contain_text(live.group(1))
    undo = page.get_by_role("button", name="Undo last publish")
    expect(undo).to_be_enabled()
    undo.click()
    # Twice in CI the click landed and no confirmation opened (the reload had just moved
    # the panel); opening it again is harmless, a second click only reopens it.
    try:
        expect(page.locator(".confirm")).to_be_visible(timeout=3_000)
    except AssertionError:
        undo.click()
    confirm(page, "Yes, undo the last publish")
    expect(page.locator("#history-status")).to_contain_text("Citizens now get answers from version")


def ask(base_url: str, question: str) -> dict[str, Any]:
    response = httpx.post(
        base_url + "/api/chat", json={"message": question, "session_id": None}, timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def citations_of(reply: dict[str, Any]) -> list[str]:
    return [c["doc_id"] for c in reply["reply"]["citations"]]


def eventually(condition: Callable[[], bool], seconds: float = ANSWER_POLL_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        time.sleep(0.25)


def live_version(base_url: str) -> str:
    with editor_api(base_url) as api:
        return str(api.get("/api/editor/versions").json()["live"])


def tab_to(page: Page, target: Locator, *, key: str = "Tab", presses: int = 40) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has focus, as a keyboard user would."""
    for _ in range(presses):
        if target.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press(key)
    expect(target).to_be_focused()


# ---------------------------------------------------------------------------- the story


def test_a_new_document_is_previewed_published_to_every_server_and_undone(
    pages: Pages, server: LiveServer, citizen_process: CitizenProcess, tmp_path: Path
) -> None:
    other = citizen_process.start()  # a second process over the same data folder
    before = ask(other, BEE_QUESTION)
    assert not any("beekeeping" in doc_id for doc_id in citations_of(before)), before

    page = pages.new()
    sign_in(page)
    expect(page.locator("#live-version")).to_contain_text("Citizens get answers from version")

    # Upload a new Markdown file.
    upload = tmp_path / "beekeeping-permit.md"
    upload.write_text(BEEKEEPING_MD, encoding="utf-8")
    page.get_by_role("button", name="New document").click()
    expect(page.get_by_role("heading", name="New document")).to_be_focused()
    page.get_by_label("File", exact=True).set_input_files(upload)
    page.get_by_role("button", name="Upload as a draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Uploaded beekeeping-permit.md")
    expect(page.locator("#document-heading")).to_have_text("Get a beekeeping permit")
    expect(page.locator("#document-badges")).to_contain_text("New, not published")
    expect(page.locator("#document-form").get_by_label("Agency")).to_have_value(
        "Fairhaven Department of Public Health"
    )
    expect(page.get_by_label("Content (Markdown)")).to_have_value(re.compile(r"\$25 a year"))
    doc_id = page.locator("#document-facts dd").first.inner_text()
    assert "beekeeping" in doc_id, doc_id
    expect(page.locator("#drafts-count")).to_contain_text("1")
    page.screenshot(path="/tmp/editor-uploaded.png", full_page=True)

    # Preview: only the answer after publishing cites the draft, and says where it came from.
    live, draft = preview(page, BEE_QUESTION)
    expect(draft.locator(".answer__citation").first).to_be_visible()
    assert doc_id in cited_doc_ids(draft)
    assert doc_id not in cited_doc_ids(live)
    expect(draft.locator(".passage--draft").first).to_contain_text("Draft")
    expect(live.locator(".passage--draft")).to_have_count(0)
    expect(draft).to_contain_text("$25")
    page.screenshot(path="/tmp/editor-preview.png", full_page=True)
    assert doc_id not in citations_of(ask(other, BEE_QUESTION))  # nothing published yet

    # The draft is listed with who saved it; publish it.
    open_tab(page, "Drafts")
    card = page.locator(".draft-card").filter(has_text="Get a beekeeping permit")
    expect(card).to_contain_text("New document")
    expect(card).to_contain_text("saved by eddie")
    publish_all(page)
    expect(page.locator("#publish-result")).to_contain_text(doc_id)
    expect(page.locator("#publish-result")).to_contain_text("Added")
    expect(page.locator(".draft-card")).to_have_count(0)
    expect(page.locator("#drafts-count")).to_be_hidden()
    page.screenshot(path="/tmp/editor-published.png", full_page=True)

    # The other process answers from the new version on its next request: no restart.
    eventually(lambda: doc_id in citations_of(ask(other, BEE_QUESTION)))
    reply = ask(other, BEE_QUESTION)
    assert reply["status"] == "answered", reply
    open_tab(page, "Documents")  # the document is still open, now live
    expect(page.locator("#document-badges")).to_contain_text("Live")
    expect(page.locator("#document-draft-note")).to_be_hidden()
    page.get_by_role("button", name="Back to all documents").click()
    page.get_by_label("Search titles and ids").fill("beekeeping")
    expect(document_rows(page)).to_have_count(1)
    expect(document_rows(page).first).to_contain_text("Live")

    # Undo: the other process stops citing it.
    undo_last_publish(page)
    eventually(lambda: doc_id not in citations_of(ask(other, BEE_QUESTION)))
    expect(page.locator("#publications tbody tr").first).to_contain_text("Restore")
    expect(page.locator("#audit")).to_contain_text("kb.restore")
    expect(page.locator("#audit")).to_contain_text("kb.publish")
    expect(page.locator("#versions .row--live")).to_have_count(1)
    page.screenshot(path="/tmp/editor-history.png", full_page=True)


def test_editing_a_live_document_previews_and_publishes_the_change(
    pages: Pages, server: LiveServer
) -> None:
    assert "ukulele" not in ask(server.url, UKULELE_QUESTION)["reply"]["text"].lower()
    page = pages.new()
    sign_in(page)
    open_document(page, "library", "Get a library card")
    markdown = page.get_by_label("Content (Markdown)")
    original = markdown.input_value()
    assert "library card" in original.lower()
    markdown.fill(original + UKULELE_SECTION)
    page.get_by_label("Review due").fill("2001-01-31")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Draft saved")
    expect(page.locator("#document-draft-note")).to_contain_text("editing the open draft")
    expect(page.locator("#document-badges")).to_contain_text("Draft")
    expect(page.get_by_role("button", name="Discard draft")).to_be_visible()

    # Saving again updates the same draft.
    markdown.fill(original + UKULELE_SECTION + "\nUkuleles must be returned in their case.\n")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Draft updated")

    live, draft = preview(page, UKULELE_QUESTION)
    expect(draft.locator(".answer__text")).to_contain_text("ukulele")
    expect(live.locator(".answer__text")).not_to_contain_text("ukulele")
    expect(draft.locator(".passage--draft").first).to_be_visible()

    open_tab(page, "Drafts")
    cards = page.locator(".draft-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Edit")
    cards.first.get_by_role("button", name="Publish this draft").click()
    confirm(page, "Yes, publish")
    expect(page.locator("#publish-result")).to_contain_text("Updated")
    assert "library" in page.locator("#publish-result").inner_text()

    answer = ask(server.url, UKULELE_QUESTION)
    assert "ukulele" in answer["reply"]["text"].lower(), answer

    # The new review date is in the past: the document is overdue, in the list and the report.
    open_tab(page, "Documents")
    expect(page.locator("#document-draft-note")).to_be_hidden()  # published: no draft now
    expect(page.get_by_label("Review due")).to_have_value("2001-01-31")
    expect(page.locator("#document-badges")).to_contain_text("Overdue for review")
    page.get_by_role("button", name="Back to all documents").click()
    page.get_by_label("Search titles and ids").fill("")
    page.get_by_label("Overdue for review only").check()
    row = document_rows(page).filter(has_text="Get a library card")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Overdue")
    expect(row).to_have_class(re.compile("row--overdue"))
    # Every row left is overdue: one waiting assertion, not a loop over rows taken while
    # the filtered list may still be replacing the whole one.
    expect(document_rows(page).filter(has_not_text="Overdue")).to_have_count(0)
    open_tab(page, "Reports")
    stale = page.locator("#stale tbody tr").filter(has_text="Get a library card")
    days_overdue = (datetime.now(UTC).date() - date(2001, 1, 31)).days  # as the server counts
    expect(stale).to_contain_text(f"{days_overdue} days")

    # A new draft of it, then the publish underneath it is undone: the draft is in conflict.
    open_document(page, "library", "Get a library card")
    page.get_by_label("Content (Markdown)").press("End")
    page.get_by_label("Content (Markdown)").press_sequentially("\nUkuleles are tuned before loan.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Draft saved")
    undo_last_publish(page)
    open_tab(page, "Drafts")
    card = page.locator(".draft-card").filter(has_text="Get a library card")
    expect(card).to_contain_text("Conflict")
    expect(card).to_contain_text("The live document changed after this draft was started")
    card.get_by_role("button", name="Open").click()
    expect(page.locator("#document-draft-note")).to_contain_text("The live document changed")


def test_retiring_a_document_takes_it_out_of_answers(pages: Pages, server: LiveServer) -> None:
    question = "How do I report a noise complaint?"
    assert "report-a-noise-complaint" in citations_of(ask(server.url, question))
    page = pages.new()
    sign_in(page)
    open_document(page, "noise", "Report a noise complaint")

    # Cancel first: nothing happens and focus goes back.
    page.get_by_role("button", name="Retire document").click()
    page.locator(".confirm").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Retire document")).to_be_focused()
    assert page.request.get("/api/editor/drafts").json()["drafts"] == []

    page.get_by_role("button", name="Retire document").click()
    expect(page.locator(".confirm")).to_contain_text("Retire “Report a noise complaint”?")
    confirm(page, "Yes, retire it")
    expect(page.locator("#documents-status")).to_contain_text("Marked to be retired")
    expect(page.locator("#document-badges")).to_contain_text("To be retired")
    expect(page.get_by_role("button", name="Save draft")).to_be_hidden()

    live, draft = preview(page, question)
    assert "report-a-noise-complaint" in cited_doc_ids(live)
    assert "report-a-noise-complaint" not in cited_doc_ids(draft)

    open_tab(page, "Drafts")
    expect(page.locator(".draft-card").first).to_contain_text("Retire")
    publish_all(page)
    expect(page.locator("#publish-result")).to_contain_text("Removed")
    expect(page.locator("#publish-result")).to_contain_text("report-a-noise-complaint")
    assert "report-a-noise-complaint" not in citations_of(ask(server.url, question))

    open_tab(page, "Documents")
    page.get_by_label("Search titles and ids").fill("noise")
    # Other pages still say "noise" in their text (issue #19: search reads it); the retired
    # one is not among them.
    expect(document_rows(page)).to_have_count(1)
    expect(document_rows(page)).to_contain_text("311")
    expect(page.locator("#documents-table-wrap")).not_to_contain_text("Report a noise complaint")


def test_server_errors_and_warnings_are_shown_and_a_draft_is_discarded(
    pages: Pages, server: LiveServer, tmp_path: Path
) -> None:
    page = pages.new()
    sign_in(page)

    # Nothing to publish: the server's reason, in an alert.
    open_tab(page, "Drafts")
    expect(page.locator("#drafts-list")).to_contain_text("There are no open drafts")
    page.get_by_role("button", name="Publish all drafts").click()
    expect(page.get_by_role("alert").filter(has_text="no drafts to publish")).to_be_visible()

    # A file we cannot read is refused with a reason, not a crash.
    open_tab(page, "Documents")
    page.get_by_role("button", name="New document").click()
    page.get_by_role("button", name="Upload as a draft").click()
    expect(page.locator("#documents-error")).to_have_text("Choose a file to upload.")
    expect(page.get_by_label("File", exact=True)).to_be_focused()
    picture = tmp_path / "notes.md"  # the name says Markdown; the content is a PNG
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("File", exact=True).set_input_files(picture)
    with page.expect_response(lambda r: r.url.endswith("/drafts/upload")) as refused:
        page.get_by_role("button", name="Upload as a draft").click()
    assert refused.value.status == 415
    detail = refused.value.json()["detail"]
    expect(page.locator("#documents-error")).to_have_text(detail)
    expect(page.locator("#documents-error")).to_have_attribute("role", "alert")

    # A web page with a script: the script is dropped with a warning, and never runs here.
    page_file = tmp_path / "garden.html"
    page_file.write_text(
        "<html><head><title>Rent a community garden plot</title></head><body>"
        "<h1>Rent a community garden plot</h1><p>Garden plots cost $40 a season.</p>"
        "<script>window.__pwned = 1</script>"
        '<p onclick="window.__pwned = 2">Plots open in <b>March</b>.</p></body></html>',
        encoding="utf-8",
    )
    page.get_by_label("File", exact=True).set_input_files(page_file)
    page.get_by_role("button", name="Upload as a draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Uploaded garden.html")
    expect(page.locator("#documents-status")).to_contain_text("Check:")
    expect(page.locator("#document-heading")).to_have_text("Rent a community garden plot")
    markdown = page.get_by_label("Content (Markdown)").input_value()
    assert "$40 a season" in markdown and "__pwned" not in markdown, markdown
    assert page.evaluate("() => window.__pwned") is None

    # Discard it from the Drafts tab.
    open_tab(page, "Drafts")
    card = page.locator(".draft-card").filter(has_text="Rent a community garden plot")
    expect(card).to_contain_text("from garden.html")
    expect(card).to_contain_text("1 warning")
    expect(card.locator(".draft-card__warnings")).to_contain_text("removed scripts")
    card.get_by_role("button", name="Discard").click()
    confirm(page, "Yes, discard the draft")
    expect(page.locator("#drafts-status")).to_contain_text("Draft discarded")
    expect(page.locator(".draft-card")).to_have_count(0)
    expect(page.locator("#drafts-count")).to_be_hidden()


def test_reports_show_a_content_gap_without_personal_data(pages: Pages, server: LiveServer) -> None:
    reply = ask(server.url, LLAMA_QUESTION)
    assert reply["status"].startswith("unanswerable_"), reply
    answered = ask(server.url, "How do I renew my driver's license?")
    assert answered["status"] == "answered"
    feedback = httpx.post(
        server.url + "/api/chat/feedback",
        json={
            "session_id": answered["session_id"],
            "helpful": False,
            "comment": "Call me on 555-123-4567, the fee was wrong",
        },
        timeout=30,
    )
    assert feedback.status_code == 200, feedback.text

    page = pages.new()
    sign_in(page)
    open_tab(page, "Reports")
    gaps = page.locator("#gaps")
    group = gaps.locator(".gap").filter(has_text="llama")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("Asked")
    expect(group).to_contain_text("This week")
    expect(group).to_contain_text("Not answered")
    assert "jane.doe" not in gaps.inner_text()
    assert "example.com" not in gaps.inner_text()

    cited = page.locator("#cited tbody tr").filter(has_text="Renew")
    expect(cited.first).to_be_visible()
    feedback_row = page.locator("#feedback tbody tr").filter(has_text="the fee was wrong")
    expect(feedback_row).to_have_count(1)
    assert "555-123-4567" not in page.locator("#feedback").inner_text()
    page.screenshot(path="/tmp/editor-reports.png", full_page=True)


# ---------------------------------------------------------------------------- keyboard, axe, phone


def test_keyboard_alone_adds_previews_publishes_and_undoes(
    pages: Pages, server: LiveServer
) -> None:
    page = pages.new()
    page.goto("/editor")
    expect(page.get_by_label("Username")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(EDITOR)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    documents = page.get_by_role("tab", name="Documents")
    expect(documents).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=re.compile("^Drafts"))).to_be_focused()
    expect(page.get_by_role("tabpanel", name=re.compile("^Drafts"))).to_be_visible()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Reports")).to_be_focused()
    page.keyboard.press("ArrowRight")  # wraps round
    expect(documents).to_be_focused()
    assert page.get_by_role("tab").evaluate_all("tabs => tabs.map(t => t.tabIndex)") == [
        0,
        -1,
        -1,
        -1,
        -1,
        -1,
    ]

    # New document, pasted.
    tab_to(page, page.get_by_role("button", name="New document"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New document")).to_be_focused()
    tab_to(page, page.locator("#paste-form").get_by_label("Title"))
    page.keyboard.type("Get a beekeeping permit")
    tab_to(page, page.get_by_label("Text (Markdown)"))
    page.keyboard.type(BEEKEEPING_MD.split("---", 2)[2].strip())
    tab_to(page, page.get_by_role("button", name="Save as a draft"))
    page.keyboard.press("Enter")
    expect(page.locator("#document-heading")).to_be_focused()
    expect(page.locator("#documents-status")).to_contain_text("Saved a draft")

    # Preview, from the tabs.
    tab_to(page, page.get_by_role("tab", name="Documents"), key="Shift+Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Preview")).to_be_focused()
    tab_to(page, page.get_by_label("Question a citizen might ask"))
    page.keyboard.type(BEE_QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator("#preview-status")).to_contain_text("Preview ready")
    expect(page.locator("#preview-draft .answer__text")).to_contain_text("beekeeping")

    # Publish all, confirming with the keyboard.
    tab_to(page, page.get_by_role("tab", name="Preview"), key="Shift+Tab")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name=re.compile("^Drafts"))).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Publish all drafts"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, publish")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#publish-result")).to_be_focused(timeout=60_000)
    expect(page.locator("#publish-result")).to_contain_text("Added")

    # Undo, and Escape cancels a confirmation.
    tab_to(page, page.get_by_role("tab", name=re.compile("^Drafts")), key="Shift+Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="History")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Undo last publish"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, undo the last publish")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".confirm")).to_have_count(0)
    expect(page.get_by_role("button", name="Undo last publish")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#history-status")).to_contain_text("Citizens now get answers from version")


def test_no_serious_accessibility_problems_on_any_tab(pages: Pages, server: LiveServer) -> None:
    page = pages.new()
    page.goto("/editor")
    expect(page.get_by_label("Username")).to_be_visible()
    problems = serious_violations(page)
    assert not problems, "sign-in:\n" + "\n".join(problems)

    sign_in(page)
    ask(server.url, LLAMA_QUESTION)
    problems = serious_violations(page)
    assert not problems, "documents:\n" + "\n".join(problems)

    open_document(page, "library", "Get a library card")
    page.get_by_label("Content (Markdown)").press("End")
    page.get_by_label("Content (Markdown)").press_sequentially("\nOpen on Sundays.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Draft saved")
    page.get_by_role("button", name="Retire document").click()  # a confirmation on screen
    problems = serious_violations(page)
    assert not problems, "a document:\n" + "\n".join(problems)
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Back to all documents").click()
    page.get_by_role("button", name="New document").click()
    problems = serious_violations(page)
    assert not problems, "new document:\n" + "\n".join(problems)

    open_tab(page, "Drafts")
    expect(page.locator(".draft-card")).to_have_count(1)
    problems = serious_violations(page)
    assert not problems, "drafts:\n" + "\n".join(problems)

    # An answer with lists, shown as the citizen would see it: items apart, not run together.
    live, _ = preview(page, "What documents do I need for a REAL ID?")
    expect(live.locator(".answer__text li").first).to_be_visible()
    assert live.locator(".answer__text li").count() >= 3
    problems = serious_violations(page)
    assert not problems, "preview:\n" + "\n".join(problems)

    publish_all(page)
    problems = serious_violations(page)
    assert not problems, "published:\n" + "\n".join(problems)

    open_tab(page, "History")
    expect(page.locator("#versions tbody tr")).not_to_have_count(0)
    problems = serious_violations(page)
    assert not problems, "history:\n" + "\n".join(problems)

    open_tab(page, "Reports")
    expect(page.locator("#gaps .gap").first).to_be_visible()
    problems = serious_violations(page)
    assert not problems, "reports:\n" + "\n".join(problems)


def test_a_360_pixel_screen_needs_no_sideways_scrolling(pages: Pages, server: LiveServer) -> None:
    ask(server.url, LLAMA_QUESTION)
    page = pages.new(NARROW)
    sign_in(page)

    def fits(where: str) -> None:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{where}: {width}px wide"

    fits("documents")
    page.screenshot(path="/tmp/editor-narrow-documents.png", full_page=True)
    open_document(page, "library", "Get a library card")
    fits("a document")
    page.get_by_label("Content (Markdown)").press("End")
    page.get_by_label("Content (Markdown)").press_sequentially("\nOpen on Sundays.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#documents-status")).to_contain_text("Draft saved")
    page.screenshot(path="/tmp/editor-narrow-document.png", full_page=True)
    loaded = {
        "Drafts": page.locator(".draft-card"),
        "History": page.locator("#versions tbody tr").first,
        "Reports": page.locator("#gaps .gap").first,
    }
    for name in ("Drafts", "Preview", "History", "Reports"):
        if name == "Preview":
            preview(page, "Is the library open on Sundays?")
        else:
            open_tab(page, name)
            expect(loaded[name]).to_be_visible()
        fits(name)
        page.screenshot(path=f"/tmp/editor-narrow-{name.lower()}.png", full_page=True)
    problems = serious_violations(page)
    assert not problems, "narrow:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------- not editors


def test_anonymous_visitors_and_caseworkers_cannot_edit(pages: Pages, server: LiveServer) -> None:
    page = pages.new()
    with page.expect_response(lambda r: r.url.endswith("/api/staff/me")) as me:
        page.goto("/editor")
    assert me.value.status == 401
    expect(page.get_by_role("heading", name="Sign in to the content editor")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.get_by_role("tab")).to_have_count(0)
    for path in ("/api/editor/documents", "/api/editor/drafts", "/api/editor/reports/gaps"):
        assert page.request.get(path).status == 401, path
    assert page.request.post("/api/editor/publish", data={"draft_ids": None}).status == 401

    # A caseworker is told plainly, sees no editor controls, and the API refuses them too.
    sign_in(page, CASEWORKER)
    expect(page.locator("#no-access")).to_contain_text("Sam Rivera")
    expect(page.locator("#no-access")).to_contain_text("Caseworker")
    expect(page.get_by_role("heading", name="Your account cannot edit content")).to_be_focused()
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish all drafts")).to_be_hidden()
    problems = serious_violations(page)
    assert not problems, "no access:\n" + "\n".join(problems)
    csrf = page.request.get("/api/staff/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    assert page.request.get("/api/editor/documents").status == 403
    assert page.request.post("/api/editor/publish", data={}, headers=headers).status == 403
    retire = page.request.post("/api/editor/documents/get-a-library-card/retire", headers=headers)
    assert retire.status == 403
    with editor_api(server.url) as api:
        assert api.get("/api/editor/drafts").json()["drafts"] == []  # nothing was started

    # Signing out leaves nothing behind.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_focused()
    assert page.request.get("/api/staff/me").status == 401

    # An administrator may edit.
    sign_in(page, "ada")
    expect(page.locator("#account-name")).to_have_text("Ada Admin")
