"""Content words: the stemmed terms of a text that carry its topic."""

from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache
from pathlib import Path

import Stemmer

from knowledge_base.lexical_index import tokenize


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

# The lexical index keeps some function words (e.g. "my", "how"); they name no topic.
FUNCTION_WORDS = frozenset(
    Stemmer.Stemmer("english").stemWords([*ENGLISH_STOP_WORDS, "does", "did", "doing", "my", "am"])
)


@lru_cache(maxsize=4096)
def content_terms(text: str) -> frozenset[str]:
    """Stemmed, lower-cased terms of ``text`` without stop or function words."""
    return frozenset(tokenize([text])[0]) - FUNCTION_WORDS
