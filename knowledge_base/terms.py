"""Content words: the stemmed terms of a text that carry its topic."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import math
from functools import lru_cache
from pathlib import Path

import Stemmer

from knowledge_base.lexical_index import reading_language, tokenize, tokenize_spanish


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, read from its source without importing it.

    Importing ``sklearn`` costs about a second of every start-up for one constant;
    the list is the literal in ``sklearn/feature_extraction/_stop_words.py``
    (``tests/knowledge_base/test_lexical_tokens.py`` checks it equals sklearn's own).
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.submodule_search_locations:
        source = Path(spec.submodule_search_locations[0]) / "feature_extraction/_stop_words.py"
        if source.is_file():
            for node in ast.parse(source.read_text("utf-8")).body:
                if (
                    isinstance(node, ast.Assign)
                    and [getattr(t, "id", None) for t in node.targets] == ["ENGLISH_STOP_WORDS"]
                    and isinstance(node.value, ast.Call)
                    and node.value.args
                ):
                    return frozenset(ast.literal_eval(node.value.args[0]))
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # pragma: no cover

    return frozenset(ENGLISH_STOP_WORDS)  # pragma: no cover


ENGLISH_STOP_WORDS = _english_stop_words()

# What is left of a contraction once the tokenizer splits it at the apostrophe ("wasn't"
# → "wasn", "I'll" → "ll"), and the same written without one: no page has "wasn", so
# left in, "my trash wasn't picked up" would name a word the knowledge base lacks, the
# very sign of a service it does not cover.
CONTRACTIONS = (  # noqa: SIM905 - a word list reads best as words
    "aren couldn didn doesn don hadn hasn haven isn mightn mustn needn shan shouldn wasn "
    "weren won wouldn ll ve re arent couldnt didnt doesnt dont hadnt hasnt havent isnt "
    "shouldnt wasnt werent wont wouldnt cant im ive youre theyre"
).split()
# The lexical index keeps some function words (e.g. "my", "how"); they name no topic.
FUNCTION_WORDS = frozenset(
    Stemmer.Stemmer("english").stemWords(
        [*ENGLISH_STOP_WORDS, "does", "did", "doing", "my", "am", *CONTRACTIONS]
    )
)


# The words that make a sentence a question or a request, and nothing else. Matching a
# question against a page's sentences keeps every other word: scikit-learn's list
# above drops "due", "bill", "fire", "call", "first", "name", which are often exactly
# what a citizen asks about (rarity weighting already discounts common words).
FILLER_WORDS = frozenset(
    Stemmer.Stemmer("english").stemWords(
        (  # noqa: SIM905 - a word list reads best as words
            "i me my mine myself we us our ours you your yours he him his she her hers they "
            "them their its am is are was were be been being do does did doing have has had "
            "having can could would should shall will may might must how what when where "
            "which who whom whose why whether please hi hello thanks thank ok okay so just "
            "also very really actually about any some anyone someone something want wanted "
            "need needs tell know like get got help id"
        ).split()
        + CONTRACTIONS
    )
)


# The same for Spanish (the Spanish stop words already leave out articles, pronouns and
# the like): words that only make a message a request.
SPANISH_FILLER_WORDS = frozenset(
    tokenize_spanish(
        [
            "hola gracias favor quiero quisiera necesito necesita puedo puede pueden podria "
            "saber decir ayuda ayudar ayudeme dime digame informacion pregunta tengo tiene "
            "hacer hago cual cuales donde cuando como quien"
        ]
    )[0]
)


def filler_words() -> frozenset[str]:
    """The filler words of the language being read (``lexical_index.reading``)."""
    return SPANISH_FILLER_WORDS if reading_language() == "es" else FILLER_WORDS


def question_terms(text: str) -> frozenset[str]:
    """Stemmed terms of a question or a sentence, without filler (see FILLER_WORDS)."""
    return frozenset(tokenize([text])[0]) - filler_words()


def content_terms(text: str) -> frozenset[str]:
    """Stemmed, lower-cased terms of ``text`` without stop or function words."""
    return _content_terms(text, reading_language())


@lru_cache(maxsize=4096)
def _content_terms(text: str, language: str) -> frozenset[str]:
    # The language is part of the key: "como" is a content word to nobody, but the
    # stems of one text differ between the two stemmers.
    if language == "es":
        return frozenset(tokenize([text])[0]) - SPANISH_FILLER_WORDS
    return frozenset(tokenize([text])[0]) - FUNCTION_WORDS


class Rarity:
    """How rare a term is among an index version's passages: ``log((N + 1) / (n + 0.5))``
    for a term in ``n`` of ``N`` passages; a term no passage has is the rarest of all."""

    def __init__(self, frequency: dict[str, int], passages: int) -> None:
        self.frequency = frequency
        self.passages = passages
        self.ceiling = math.log((passages + 1) / 0.5)  # a term in no passage
        self._memo: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        value = self._memo.get(term)
        if value is None:
            value = math.log((self.passages + 1) / (self.frequency.get(term, 0) + 0.5))
            self._memo[term] = value
        return value

    def share(self, terms: frozenset[str], found: frozenset[str]) -> float:
        """Rarity-weighted share of ``terms`` that are in ``found`` (0 with no terms)."""
        total = sum(self(t) for t in terms)
        return sum(self(t) for t in terms & found) / total if total > 0 else 0.0


class Speller:
    """Puts a misspelt word of a question back to the word the knowledge base uses.

    Only a stemmed term the index has never seen, of 5 letters or more, is corrected,
    and only to a known term one edit away with the same first letter ("licenc" →
    "licens", "expird" → "expir", "cabnet" → "cabinet"; two neighbouring letters swapped,
    "senoir" → "senior", count as one edit): a word nobody wrote about
    ("handgun", "compost") must stay unknown, since that is how the assistant knows
    it cannot answer.
    """

    def __init__(self, frequency: dict[str, int]) -> None:
        self.frequency = frequency
        self._by_letter: dict[str, list[str]] = {}
        for term in frequency:
            if len(term) >= 4 and frequency[term] >= 2:
                self._by_letter.setdefault(term[0], []).append(term)
        self._memo: dict[str, str] = {}

    def correct(self, terms: list[str]) -> list[str]:
        return [self._correct(t) for t in terms]

    def _correct(self, term: str) -> str:
        if term in self.frequency or len(term) < 5 or term in FUNCTION_WORDS:
            return term
        found = self._memo.get(term)
        if found is None:
            from rapidfuzz import distance, process  # loaded with the first misspelling

            candidates = process.extract(
                term,
                self._by_letter.get(term[0], []),
                scorer=distance.OSA.distance,
                score_cutoff=1,
                limit=8,
            )
            found = max(candidates, key=lambda c: self.frequency[c[0]])[0] if candidates else term
            self._memo[term] = found
        return found


def word_pairs(terms: list[str]) -> frozenset[tuple[str, str]]:
    """Adjacent terms, in order, fillers left out: the phrases a text names ("death
    certificate", "rent control")."""
    return word_pairs_of([terms])


def word_pairs_of(texts: list[list[str]]) -> frozenset[tuple[str, str]]:
    """The word pairs of several texts' terms, never across two texts (one pass)."""
    content: list[str] = []
    for terms in texts:
        content.extend(t for t in terms if t not in FILLER_WORDS)
        content.append("")  # a break: no pair spans two texts
    return frozenset(p for p in itertools.pairwise(content) if p[0] and p[1])
