"""What counts as a word of the question's subject."""

from __future__ import annotations

from knowledge_base.terms import content_terms, question_terms


def test_what_is_left_of_a_contraction_is_no_word_of_the_subject() -> None:
    # "wasn't" splits into "wasn": no page has that word, and a question naming a word no
    # page has is how the assistant tells a service it does not cover.
    assert content_terms("my trash wasn't picked up") == {"trash", "pick"}
    assert content_terms("I haven't paid, she doesn't drive") == {"paid", "drive"}
    assert question_terms("I'm 62 and I don't drive, they've said I'll need a van") == {
        "62",
        "drive",
        "said",
        "van",
    }
