"""On the bundled knowledge base's own question set, as a whole: answer what it covers
usefully, and say so when it does not know.

The floors sit below what ``eval answers`` measures (see the README's quality table),
with room for the int8 model's run-to-run noise: a change that makes answers or
refusals clearly worse fails here before it reaches a citizen.
"""

from __future__ import annotations

import pytest

from assistant.container import Container
from assistant.turns import Status
from eval.sample_kb import load_questions, run, summarise


@pytest.mark.slow
def test_the_bundled_question_set_as_a_whole(shared_container: Container) -> None:
    outcomes = run(shared_container)
    assert len(outcomes) == len(load_questions()) >= 400
    summary = summarise(outcomes)
    assert summary["useful"] >= 0.45, summary  # answered, right page, every key fact
    assert summary["right_page"] >= 0.72, summary
    assert summary["wrong_page"] <= 0.06, summary
    assert summary["refused_unanswerable"] >= 0.85, summary
    off_topic = [o for o in outcomes if o.question.kind == "off_topic"]
    assert off_topic and all(o.status != Status.ANSWERED for o in off_topic)
