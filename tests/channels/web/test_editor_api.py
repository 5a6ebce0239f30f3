"""The editor API over a real server: access, uploads and their refusals, the publish story."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from tests.conftest import LiveServer

PASSWORD = "a long enough password"
BEES = b"""---
agency: Animal Services
topic: Animals
---
# Beekeeping permit

Residents of Fairhaven who keep honey bees need a beekeeping permit from Animal Services.
The beekeeping permit costs $25 a year.
"""


@pytest.fixture
def server(settings: Settings, container: Container) -> Iterator[LiveServer]:
    settings.upload_max_mb = 0.2  # 200 kB, so the size limit is cheap to test
    container.staff.create(username="eve", password=PASSWORD, role=Role.EDITOR)
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with LiveServer(settings, container) as live:
        yield live


def sign_in(server: LiveServer, username: str) -> httpx.Client:
    return server.sign_in(username, PASSWORD)


def editor_routes(server: LiveServer) -> list[tuple[str, str]]:
    paths = server.app.openapi()["paths"]
    return [
        (method.upper(), path.replace("{doc_id}", "nope").replace("{draft_id}", "nope"))
        for path, operations in paths.items()
        if path.startswith("/api/editor/")
        for method in operations
    ]


def test_every_editor_endpoint_refuses_anonymous_caseworkers_and_missing_csrf(
    server: LiveServer,
) -> None:
    routes = editor_routes(server)
    assert len(routes) >= 18  # a new endpoint is covered here automatically
    caseworker = sign_in(server, "sam")
    editor = sign_in(server, "eve")
    no_csrf = httpx.Client(base_url=server.url, cookies=editor.cookies, timeout=30)
    for method, path in routes:
        assert httpx.request(method, server.url + path, json={}).status_code == 401, path
        refused = caseworker.request(method, path, json={})
        assert refused.status_code == 403, (method, path, refused.text)
        if method != "GET":
            assert no_csrf.request(method, path, json={}).status_code == 403, (method, path)


def upload(client: httpx.Client, name: str, data: bytes, **form: str) -> httpx.Response:
    return client.post("/api/editor/drafts/upload", files={"file": (name, data)}, data=form)


def test_uploads_are_judged_by_content_with_kind_reasons(server: LiveServer) -> None:
    eve = sign_in(server, "eve")
    too_big = upload(eve, "big.txt", b"word " * 60_000)
    assert too_big.status_code == 413 and "limit" in too_big.json()["detail"]
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        yield head
        for _ in range(100):
            yield b"word " * 2_000
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = eve.post(
        "/api/editor/drafts/upload",
        content=chunked(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413 and "limit" in streamed.json()["detail"], streamed.text
    assert "content-length" not in streamed.request.headers
    png = upload(eve, "notes.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert png.status_code == 415 and "PNG" in png.json()["detail"]
    assert upload(eve, "empty.md", b"").status_code in (413, 415, 422)
    broken_pdf = upload(eve, "form.pdf", b"%PDF-1.7\n1 0 obj <<")
    assert broken_pdf.status_code == 422, broken_pdf.text
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 60_000_000)
    refused = upload(eve, "bomb.docx", bomb.getvalue())
    assert refused.status_code == 422 and refused.json()["detail"], refused.text

    traversal = upload(eve, "../../etc/passwd.md", BEES)
    assert traversal.status_code == 201, traversal.text
    draft = traversal.json()
    assert draft["source_name"] == "passwd.md" and draft["doc_id"] == "beekeeping-permit"
    assert draft["fields"]["agency"] == "Animal Services"
    html = upload(
        eve,
        "page.txt",
        b"<!doctype html><html><head><title>Dog licence</title></head><body><h1>Dog licence</h1>"
        b"<p onclick='steal()'>Dogs need a licence.<script>alert(1)</script></p>"
        b"<a href='javascript:alert(2)'>pay</a></body></html>",
    )
    assert html.status_code == 201 and html.json()["source_kind"] == "html"
    body = html.json()["markdown"]
    assert "Dogs need a licence." in body
    assert "script" not in body and "onclick" not in body and "javascript:" not in body
    kept = eve.get(f"/api/editor/drafts/{html.json()['id']}").json()
    assert kept["warnings"] and kept["warnings"] == html.json()["warnings"]
    only_draft = eve.get("/api/editor/documents/" + html.json()["doc_id"]).json()
    assert only_draft["live"] is False and only_draft["fields"] == {}
    assert eve.get("/api/editor/documents/beekeeping-permit").json()["fields"] == {
        "agency": "Animal Services",
        "topic": "Animals",
    }


def test_the_publish_story_over_http(server: LiveServer) -> None:
    eve = sign_in(server, "eve")
    question = "How much is a beekeeping permit?"
    created = upload(eve, "bees.md", BEES)
    assert created.status_code == 201
    draft_id = created.json()["id"]
    listed = eve.get("/api/editor/documents", params={"q": "beekeeping"}).json()
    assert listed["documents"][0]["live"] is False and listed["documents"][0]["draft"]
    edited = eve.put(
        f"/api/editor/drafts/{draft_id}",
        json={"markdown": BEES.decode().split("---\n", 2)[2] + "\nApply online.\n"},
    )
    assert edited.status_code == 200 and "Apply online." in edited.json()["markdown"]

    preview = eve.post("/api/editor/preview", json={"question": question}).json()
    assert preview["draft"]["reply"]["citations"][0]["doc_id"] == "beekeeping-permit"
    assert all(c["doc_id"] != "beekeeping-permit" for c in preview["live"]["reply"]["citations"])
    chat = httpx.post(server.url + "/api/chat", json={"message": question, "session_id": None})
    assert all(c["doc_id"] != "beekeeping-permit" for c in chat.json()["reply"]["citations"])

    published = eve.post("/api/editor/publish", json={"draft_ids": None})
    assert published.status_code == 200 and published.json()["added"] == ["beekeeping-permit"]
    assert eve.post("/api/editor/publish", json={}).status_code == 409
    chat = httpx.post(server.url + "/api/chat", json={"message": question, "session_id": None})
    assert chat.json()["reply"]["citations"][0]["doc_id"] == "beekeeping-permit"

    versions = eve.get("/api/editor/versions").json()
    assert versions["live"] == published.json()["version"] and versions["versions"][0]["live"]
    undone = eve.post("/api/editor/restore", json={"version": None})
    assert undone.status_code == 200
    assert undone.json()["version"] == published.json()["previous_version"]
    chat = httpx.post(server.url + "/api/chat", json={"message": question, "session_id": None})
    assert all(c["doc_id"] != "beekeeping-permit" for c in chat.json()["reply"]["citations"])
    assert eve.post("/api/editor/restore", json={"version": "nope"}).status_code == 404

    audit = eve.get("/api/editor/audit").json()["entries"]
    assert [e["action"] for e in audit[:3]] == ["kb.restore", "kb.publish", "kb.draft.update"]
    assert eve.get("/api/editor/documents/nope").status_code == 404
    assert eve.delete("/api/editor/drafts/nope").status_code == 404
    bad_date = eve.post(
        "/api/editor/drafts",
        json={"title": "Bees", "markdown": "Bees.", "fields": {"review_due": "tomorrow"}},
    )
    assert bad_date.status_code == 422 and "date" in bad_date.json()["detail"]


def test_reports_and_citizen_feedback(server: LiveServer) -> None:
    eve = sign_in(server, "eve")
    asked = httpx.post(
        server.url + "/api/chat",
        json={"message": "How do I renew my driver's license?", "session_id": None},
    ).json()
    httpx.post(
        server.url + "/api/chat",
        json={"message": "Can I register my llama? I'm at 12 Harbor Street", "session_id": None},
    )
    said = httpx.post(
        server.url + "/api/chat/feedback",
        json={"session_id": asked["session_id"], "helpful": False, "comment": "mail me: a@b.org"},
    )
    assert said.status_code == 200
    unknown = httpx.post(
        server.url + "/api/chat/feedback", json={"session_id": "nope", "helpful": True}
    )
    assert unknown.status_code == 404 and unknown.json()["detail"]
    assert (
        httpx.post(server.url + "/api/chat/feedback", json={"session_id": "x"}).status_code == 422
    )

    gaps = eve.get("/api/editor/reports/gaps").json()
    assert gaps["total"] == 1 and "llama" in gaps["groups"][0]["label"]
    assert "Harbor" not in gaps["groups"][0]["label"]
    cited = eve.get("/api/editor/reports/cited").json()["documents"]
    assert cited[0]["doc_id"] == asked["reply"]["citations"][0]["doc_id"]
    feedback = eve.get("/api/editor/reports/feedback").json()["documents"]
    assert feedback[0]["not_helpful"] == 1 and "a@b.org" not in str(feedback)
    stale = eve.get("/api/editor/reports/stale").json()["documents"]
    assert all(row["overdue"] and row["days_overdue"] >= 0 for row in stale)
    assert eve.get("/api/editor/reports/gaps", params={"days": 0}).status_code == 422


# Nine levels of nine aliases: 369 bytes that expand to 9**9 strings once turned into text.
ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "---\n# Laughs\n\nA page with a bomb in its front matter.\n"
).encode()


def test_a_yaml_alias_bomb_is_refused_at_once_with_a_reason(server: LiveServer) -> None:
    eve = sign_in(server, "eve")
    uploaded = upload(eve, "laughs.md", ALIAS_BOMB)
    assert uploaded.status_code == 422, uploaded.text
    assert "aliases" in uploaded.json()["detail"]
    pasted = eve.post(
        "/api/editor/drafts", json={"title": "Laughs", "markdown": ALIAS_BOMB.decode()}
    )
    assert pasted.status_code == 422, pasted.text
    assert "aliases" in str(pasted.json()["detail"])
