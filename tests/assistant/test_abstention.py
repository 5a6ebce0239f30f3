"""On the labelled questions about the bundled knowledge base, as a whole set:
answer what it covers from the right page, and say so when it does not know."""

from __future__ import annotations

from assistant.container import Container
from assistant.turns import Status
from eval.sample_kb import load_questions, run, summarise


def test_the_labelled_questions_as_a_whole(shared_container: Container) -> None:
    outcomes = run(shared_container)
    assert len(outcomes) == len(load_questions()) >= 80
    summary = summarise(outcomes, shared_container.settings.min_confidence)
    assert summary["answerable_answered_right"] >= 0.80, summary
    assert summary["answerable_answered_wrong"] <= 0.07, summary
    assert summary["unanswerable_answered"] <= 0.15, summary
    off_topic = [o for o in outcomes if o.kind == "out_of_scope"]
    assert all(o.status is not Status.ANSWERED for o in off_topic)
