"""`python -m eval.rephrase` on a small slice of doc2dial, with model servers on
127.0.0.1 speaking OpenAI's protocol (the real client runs; the "model" is scripted)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.rephrase import Rephraser
from eval.doc2dial import load_questions
from eval.knowledge import build_knowledge_base
from eval.rephrase import WAYS, rephrase_report
from tests.eval.conftest import DOC2DIAL
from tests.fake_llm import Behaviour, FakeModelServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DOC2DIAL.is_dir(), reason="doc2dial is not available"),
]

_LATEST = re.compile(r"<latest_message>\n(.*?)\n</latest_message>", re.S)


@pytest.fixture
def model_server() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


def _report(small_set: tuple[Path, Path], server: FakeModelServer) -> dict[str, object]:
    corpus, dev = small_set
    model = {
        "llm_provider": "openai",
        "llm_base_url": f"{server.url}/v1",
        "llm_model": "fake-model",
        "llm_timeout_seconds": 2.0,
    }
    with tempfile.TemporaryDirectory() as scratch:
        kb = build_knowledge_base(corpus, Path(scratch), overrides=model)
        call = kb.container.model_call
        assert call is not None
        return rephrase_report(kb, load_questions(dev), Rephraser(call))


def test_a_rewrite_that_repeats_the_message_changes_nothing_when_folded(
    small_set: tuple[Path, Path], model_server: FakeModelServer
) -> None:
    model_server.behaviour = Behaviour(reply=lambda prompt: _LATEST.findall(prompt)[-1])
    report = _report(small_set, model_server)
    follow_ups = sum(1 for q in load_questions(small_set[1]) if q.history)
    assert report["follow_ups"] == follow_ups > 0 and report["rewrite_failed"] == 0
    results = report["results"]
    assert isinstance(results, dict) and set(results) == set(WAYS)
    assert results["rewrite_folded"] == results["folded"]
    assert all(0.0 <= v <= 1.0 for v in results["rewrite_alone"]["all"].values())


def test_failed_rewrites_are_counted_and_searched_as_folded(
    small_set: tuple[Path, Path], model_server: FakeModelServer
) -> None:
    model_server.behaviour = Behaviour(status=500)
    report = _report(small_set, model_server)
    assert report["rewrite_failed"] == report["follow_ups"]
    results = report["results"]
    assert isinstance(results, dict)
    assert results["rewrite_alone"] == results["folded"] == results["rewrite_folded"]
