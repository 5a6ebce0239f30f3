"""The citizen-assistant command line, as an operator or editor uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CA_DATA_DIR", str(data_dir))
    return {**os.environ, "CA_DATA_DIR": str(data_dir)}


@pytest.mark.slow
def test_ask_json_does_not_invent_an_answer(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "What is the capital of France?", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    body = json.loads(done.stdout)
    assert set(body) == {"session_id", "reply", "status", "confidence", "handoff"}
    assert body["status"] != "answered" and body["reply"]["citations"] == []


def test_ask_prints_an_answer_with_its_sources(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "How do I renew my driver's license?"])
    assert result.exit_code == 0, result.output
    assert "[1] Renew your driver's license" in result.output
    assert "https://dmv.westmark.example/licenses/renew" in result.output


def test_ask_refuses_an_empty_question_kindly(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "type a question" in result.output


def test_ingest_twice_then_edit_one(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text(
        "---\ntitle: Dog parks\n---\n\n# Dog parks\n\nDogs may be "
        "off leash in the fenced area of Riverside Park.\n"
    )
    (folder / "b.txt").write_text("Beach hours\n\nThe city beach is open 9 to 6 in summer.\n")
    first = runner.invoke(app, ["ingest", str(folder)])
    assert first.exit_code == 0 and "2 added" in first.output
    second = runner.invoke(app, ["ingest", str(folder)])
    assert "Nothing to embed" in second.output
    (folder / "b.txt").write_text("Beach hours\n\nThe city beach is open 8 to 8 in summer.\n")
    third = runner.invoke(app, ["ingest", str(folder)])
    assert "1 updated" in third.output and "embedded 1 passage" in third.output


def test_kb_list_and_remove(env: dict[str, str]) -> None:
    listed = runner.invoke(app, ["kb", "list", "--json"])
    ids = [d["doc_id"] for d in json.loads(listed.output)]
    assert "report-a-pothole" in ids
    removed = runner.invoke(app, ["kb", "remove", "report-a-pothole"])
    assert removed.exit_code == 0 and "Removed report-a-pothole" in removed.output
    again = runner.invoke(app, ["kb", "list"])
    assert "report-a-pothole" not in again.output
    unknown = runner.invoke(app, ["kb", "remove", "no-such-doc"])
    assert unknown.exit_code == 1 and "No document with id" in unknown.output


def test_ingest_reports_unreadable_files_by_path(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"not a zip at all")
    result = runner.invoke(app, ["ingest", str(bad)])
    assert result.exit_code == 1
    assert "broken.docx" in result.output
