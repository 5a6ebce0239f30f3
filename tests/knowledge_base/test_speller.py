"""The speller puts a misspelt question word back to the word the knowledge base uses."""

from __future__ import annotations

from knowledge_base.terms import Speller

# Stemmed terms, as the index counts them, with how many passages hold each.
KNOWN = {"senior": 12, "properti": 30, "expir": 6, "cabinet": 2, "licens": 40, "boot": 3}


def test_one_missing_letter_is_put_back() -> None:
    assert Speller(KNOWN).correct(["expird", "cabnet"]) == ["expir", "cabinet"]


def test_two_neighbouring_letters_swapped_count_as_one_slip() -> None:
    # "senoir", "proprety": the commonest typing slip, two edits by letters alone.
    assert Speller(KNOWN).correct(["senoir", "propreti"]) == ["senior", "properti"]


def test_a_word_nobody_wrote_about_stays_unknown() -> None:
    # That is how the assistant knows it cannot answer: "handgun" is not "licens".
    assert Speller(KNOWN).correct(["handgun", "compost"]) == ["handgun", "compost"]


def test_short_words_and_known_words_are_left_alone() -> None:
    assert Speller(KNOWN).correct(["boat", "boot", "senior"]) == ["boat", "boot", "senior"]
