"""Content words: the stemmed terms of a text that carry its topic."""

from __future__ import annotations

from functools import lru_cache

import Stemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from knowledge_base.lexical_index import tokenize

# The lexical index keeps some function words (e.g. "my", "how"); they name no topic.
FUNCTION_WORDS = frozenset(
    Stemmer.Stemmer("english").stemWords([*ENGLISH_STOP_WORDS, "does", "did", "doing", "my", "am"])
)


@lru_cache(maxsize=4096)
def content_terms(text: str) -> frozenset[str]:
    """Stemmed, lower-cased terms of ``text`` without stop or function words."""
    return frozenset(tokenize([text])[0]) - FUNCTION_WORDS
