"""`eval retrieval` and `eval answers` end to end on a small slice of doc2dial (real model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.cli import eval_app
from eval.metrics import METRICS
from tests.eval.conftest import DOC2DIAL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DOC2DIAL.is_dir(), reason="doc2dial is not available"),
]


@pytest.fixture(scope="module")
def report_dir(small_set: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus, dev = small_set
    report = tmp_path_factory.mktemp("report")
    runner = CliRunner()
    for command in ("retrieval", "answers"):
        result = runner.invoke(
            eval_app,
            [command, "--corpus", str(corpus), "--questions", str(dev), "--report", str(report)],
        )
        assert result.exit_code == 0, result.output + repr(result.exception)
    return report


def test_retrieval_json_has_every_method_and_metric(report_dir: Path) -> None:
    data = json.loads((report_dir / "retrieval.json").read_text("utf-8"))
    results = data["results"]
    assert set(results) == {"product", "bm25", "dense", "langchain_hybrid"}
    for values in results.values():
        assert set(values) == set(METRICS)
        assert all(0.0 <= v <= 1.0 for v in values.values())
        assert values["doc_r@1"] <= values["doc_r@5"] <= values["doc_r@10"]
        assert values["passage_r@1"] <= values["passage_r@5"] <= values["passage_r@10"]
        assert values["passage_r@1"] <= values["mrr@10"] <= values["passage_r@10"]
    assert data["questions"] == 10
    assert 0 < data["passages"]["median_words"] <= 200
    assert results["product"]["doc_r@10"] > 0


def test_the_report_and_charts_are_written(report_dir: Path) -> None:
    markdown = (report_dir / "report.md").read_text("utf-8")
    assert "## Retrieval" in markdown and "## Answers" in markdown
    assert "median" in markdown and "min_confidence" in markdown
    for png in ("retrieval_recall.png", "answers_reliability.png"):
        assert (report_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_answers_json_has_the_measures_and_a_threshold(report_dir: Path) -> None:
    data = json.loads((report_dir / "answers.json").read_text("utf-8"))
    assert data["questions"] == 10
    summary = data["summary"]
    for measure in (
        "answered_share",
        "recall_answered",
        "f1_answered",
        "f1_all",
        "citation_accuracy",
    ):
        assert 0.0 <= summary[measure] <= 1.0
    # Recall counts the gold span's words in the answer; F1 also charges the others.
    if summary["answered_share"]:
        assert summary["recall_answered"] >= summary["f1_answered"] / 2
        assert summary["median_words"] > 0
    assert set(data["halves"]) == {"A", "B"}
    assert sum(h["questions"] for h in data["halves"].values()) == 10
    assert 0.0 <= data["min_confidence"] <= 1.0
    assert sum(b["count"] for b in data["curve"]) <= 10
    assert sum(data["statuses"].values()) == 10


def test_answers_on_the_bundled_knowledge_base_by_split(tmp_path: Path) -> None:
    """Without --corpus: the bundled pages and their own question set, a few questions."""
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(q)
            for q in (
                {
                    "id": "t1",
                    "question": "How much does a dog license cost?",
                    "kind": "answerable",
                    "doc_ids": ["license-your-dog-or-cat"],
                    "facts": [["$15"]],
                    "split": "dev",
                },
                {
                    "id": "t2",
                    "question": "What is the capital of France?",
                    "kind": "off_topic",
                    "split": "heldout",
                },
            )
        ),
        encoding="utf-8",
    )
    report = tmp_path / "report"
    result = CliRunner().invoke(
        eval_app, ["answers", "--questions", str(questions), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    data = json.loads((report / "answers_bundled.json").read_text("utf-8"))
    assert data["splits"]["dev"]["useful"] == 1.0  # answered, right page, "$15" in it
    assert data["splits"]["heldout"]["refused_unanswerable"] == 1.0
    assert "## Answers on the bundled knowledge base" in (report / "report.md").read_text("utf-8")
