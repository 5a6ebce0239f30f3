"""`citizen-assistant tune` on the agency's own logs, and its refusals, on a real store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.container import Container
from assistant.store import conversation_id_for
from assistant.tuning_logs import PairsFromLogs, pairs_from_logs
from assistant.turns import InboundMessage, Status
from server import cli_app

runner = CliRunner()
app = cli_app()  # `tune` is wired in with the layers above the assistant


def _pairs(container: Container, *, hard_negatives: bool = False) -> PairsFromLogs:
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    return pairs_from_logs(
        container.engine,
        snapshot=snapshot,
        retriever=container.retriever,
        history_turns=container.settings.history_turns,
        session_history_turns=container.settings.session_history_turns,
        hard_negatives=hard_negatives,
    )


def test_answered_cited_turns_are_kept_and_unhelpful_or_handed_off_ones_are_not(
    container: Container,
) -> None:
    service = container.assistant

    def ask(text: str, session_id: str | None = None) -> str:
        reply = service.handle(InboundMessage(channel="web", text=text), session_id=session_id)
        return reply.session_id if reply.status == Status.ANSWERED else ""

    kept = ask("How do I renew my driver's license?")
    assert kept
    library = ask("How do I get a library card?")
    assert library and ask("what do I need to bring?", library) == library
    unhelpful = ask("How do I pay a parking ticket?")
    assert unhelpful
    assert container.conversation_store.add_feedback(
        conversation_id_for(unhelpful), helpful=False, comment=None
    )
    handed_off = ask("How do I register to vote?")
    assert handed_off
    person = service.handle(
        InboundMessage(channel="web", text="I want to talk to a real person"),
        session_id=handed_off,
    )
    assert person.status.startswith("handoff_")
    service.handle(InboundMessage(channel="web", text="What is the capital of France?"))

    found = _pairs(container, hard_negatives=True)
    queries = [p.query for p in found.pairs]
    assert sorted(queries) == sorted(
        [
            "How do I renew my driver's license?",
            "How do I get a library card?",
            "what do I need to bring?",
        ]
    )
    assert (found.answered, found.unhelpful, found.handed_off, found.passage_gone) == (5, 1, 1, 0)

    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    texts = {c.text for c in snapshot.chunks}
    transcript = container.conversation_store.transcript(conversation_id_for(kept))
    cited = transcript[1].citations[0]
    renew = next(p for p in found.pairs if p.query.startswith("How do I renew"))
    assert renew.positive in texts
    assert renew.positive.startswith(cited["snippet"].rstrip("…").rstrip())
    assert renew.history == () and renew.history_weight == 0.0
    assert renew.negative and renew.negative != renew.positive and renew.negative in texts

    follow_up = next(p for p in found.pairs if p.query == "what do I need to bring?")
    assert follow_up.history[0] == "How do I get a library card?"  # folded as the pipeline does
    assert follow_up.history_weight > 0


def test_an_answer_after_a_yes_pairs_the_question_not_the_yes(container: Container) -> None:
    # Every answer declined and its page offered: "yes" gets the renewal page's answer.
    container.settings = container.settings.model_copy(
        update={"min_confidence": 1.0, "offer_min_confidence": 0.0}
    )
    service = container.assistant
    offered = service.handle(InboundMessage("web", "How do I renew my driver's license?"))
    assert offered.offer is not None
    taken = service.handle(InboundMessage("web", "yes"), session_id=offered.session_id)
    assert taken.status is Status.ANSWERED

    found = _pairs(container)
    assert [p.query for p in found.pairs] == ["How do I renew my driver's license?"]
    assert found.offers_taken == 1 and found.pairs[0].history == ()
    assert found.pairs[0].positive.startswith(taken.citations[0].snippet.rstrip("…").rstrip())


def test_tune_says_so_when_the_store_has_no_usable_pairs(data_dir: Path) -> None:
    result = runner.invoke(app, ["tune"], env={**os.environ, "CA_DATA_DIR": str(data_dir)})
    assert result.exit_code == 1
    assert "No usable pairs in the conversation store" in result.output


def _one_document_and_question(tmp_path: Path) -> tuple[Path, str]:
    """A one-document corpus file, and one doc2dial-shaped question about it (a JSON line)."""
    corpus = tmp_path / "documents.jsonl"
    corpus.write_text(json.dumps({"doc_id": "d1", "title": "T", "text": "Some text."}) + "\n")
    question = {
        "id": "q1",
        "dial_id": "dlg",
        "turn_id": 1,
        "history": [],
        "question": "how do I renew?",
        "gold": {"doc_id": "d1", "start": 0, "end": 4, "text": "Some"},
    }
    return corpus, json.dumps(question) + "\n"


def test_tune_names_the_bad_line_of_a_pairs_file(data_dir: Path, tmp_path: Path) -> None:
    corpus, good = _one_document_and_question(tmp_path)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(good + '{"id": "q2", "question": \n')
    env = {**os.environ, "CA_DATA_DIR": str(data_dir)}
    result = runner.invoke(app, ["tune", "--pairs", str(pairs), "--corpus", str(corpus)], env=env)
    assert result.exit_code == 1
    assert "line 2" in result.output and str(pairs) in result.output

    result = runner.invoke(app, ["tune", "--pairs", str(pairs)], env=env)
    assert result.exit_code == 1 and "--pairs needs --corpus" in result.output

    missing = tmp_path / "nowhere.jsonl"
    result = runner.invoke(app, ["tune", "--pairs", str(missing), "--corpus", str(corpus)], env=env)
    assert result.exit_code == 1 and f"Cannot read {missing}" in result.output

    result = runner.invoke(app, ["tune", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 1 and "already exists" in result.output


@pytest.mark.slow
def test_tune_reports_too_few_pairs_in_a_pairs_file(data_dir: Path, tmp_path: Path) -> None:
    corpus, question = _one_document_and_question(tmp_path)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(question)
    result = runner.invoke(
        app,
        ["tune", "--pairs", str(pairs), "--corpus", str(corpus)],
        env={**os.environ, "CA_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 1
    assert "Questions in" in result.output and "No usable pairs" in result.output
