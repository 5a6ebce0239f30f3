"""Reading a generated answer's citations, and holding its sentences to their sources."""

from __future__ import annotations

import pytest

from assistant.container import Container
from assistant.grounding import Grounded, Rejected, SupportCheck, check_grounding, parse_cited
from knowledge_base.documents import Chunk


def _cites(text: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(s.text, s.cites) for s in parse_cited(text)]


def test_a_mark_covers_the_sentences_before_it_on_its_line() -> None:
    assert _cites("You can renew online. It takes ten minutes [2]. Bring your card [1].") == [
        ("You can renew online.", (2,)),
        ("It takes ten minutes.", (2,)),
        ("Bring your card.", (1,)),
    ]


def test_marks_in_other_spellings_are_read() -> None:
    assert _cites("Pay by card [1, 3]. Or by check [Source 2][4].") == [
        ("Pay by card.", (1, 3)),
        ("Or by check.", (2, 4)),
    ]


def test_a_sentence_after_the_last_mark_of_its_line_is_uncited() -> None:
    assert _cites("The fee is $35 [1]. Most people pay it online.\n- By mail [2]") == [
        ("The fee is $35.", (1,)),
        ("Most people pay it online.", ()),
        ("By mail", (2,)),
    ]


def test_emphasis_and_list_marks_are_not_part_of_a_sentence() -> None:
    [item] = parse_cited("1. **Renew online** at the portal [1]")
    assert (item.text, item.cites, item.item) == ("Renew online at the portal", (1,), True)


PASSAGES = [
    Chunk(
        chunk_id="fees:0",
        doc_id="fees",
        text="Renewing a driver's license costs $35. Drivers over 80 pay $20.",
        start=0,
        end=60,
        section_path=("Renew a driver's license", "Fees"),
        title="Renew a driver's license",
    ),
    Chunk(
        chunk_id="parks:0",
        doc_id="parks",
        text="City pools open on Memorial Day and close on Labor Day.",
        start=0,
        end=55,
        section_path=("Pools",),
        title="Pools",
    ),
]


@pytest.fixture(scope="module")
def check(shared_container: Container) -> SupportCheck:
    return SupportCheck(shared_container.embedder)


@pytest.mark.slow
def test_supported_sentences_are_kept_and_renumbered(check: SupportCheck) -> None:
    result = check_grounding(
        "Pools open on Memorial Day [2]. A license renewal costs $35 [1].",
        PASSAGES,
        check=check,
        min_support=0.51,
        min_kept=0.6,
    )
    assert isinstance(result, Grounded)
    assert result.sources == [2, 1]  # first cited first
    assert result.text == "Pools open on Memorial Day. [1] A license renewal costs $35. [2]"


@pytest.mark.slow
def test_a_sentence_cited_to_the_wrong_source_or_with_a_wrong_number_fails(
    check: SupportCheck,
) -> None:
    scores = check.scores(
        [
            "A license renewal costs $35.",
            "A license renewal costs $45.",
            "Pools open on Memorial Day.",
        ],
        PASSAGES,
    )
    assert scores[0, 0] >= 0.51 and scores[2, 1] >= 0.51  # what the sources say
    assert scores[1, 0] == 0.0  # the source says $35, not $45
    assert scores[0, 1] < 0.51 and scores[2, 0] < 0.51  # cited to the other source


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("A license renewal costs $35.", "no_citation"),
        ("A license renewal costs $35 [3].", "invented_citation"),
        ("A license renewal costs $35 [0].", "invented_citation"),
        ("A license renewal costs $35 [2]. Pools open on Memorial Day [1].", "unsupported"),
        ("[1]", "empty"),
    ],
)
def test_answers_that_cannot_be_held_to_their_sources_are_rejected(
    check: SupportCheck, text: str, reason: str
) -> None:
    result = check_grounding(text, PASSAGES, check=check, min_support=0.51, min_kept=0.6)
    assert isinstance(result, Rejected) and result.reason == reason
