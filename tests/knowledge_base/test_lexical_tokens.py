"""The turn-time tokeniser gives exactly bm25s.tokenize's tokens (the index is built by it)."""

from __future__ import annotations

import threading

import bm25s
import Stemmer

from knowledge_base.lexical_index import tokenize
from knowledge_base.loaders import load_paths
from tests.conftest import SAMPLE_KB


def _reference(texts: list[str]) -> list[list[str]]:
    return [
        list(tokens)
        for tokens in bm25s.tokenize(
            texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False,
            show_progress=False,
        )
    ]  # fmt: skip


def test_same_tokens_as_bm25s_on_the_sample_knowledge_base() -> None:
    texts = [d.text for d in load_paths([SAMPLE_KB]).documents]
    texts += [
        "",
        "   ",
        "The a an",  # stop words only
        "Ça coûte 45 € — naïve façade, 2nd-floor office (Room B12)!",
        "RENEWING renewals renewed: I'm moving; we've MOVED",
        "x y z 7",  # one-character words are not tokens
    ]
    assert tokenize(texts) == _reference(texts)


def test_threads_get_the_same_tokens() -> None:
    texts = [d.text for d in load_paths([SAMPLE_KB]).documents][:10]
    expected = _reference(texts)
    results: list[list[list[str]]] = []

    def work() -> None:
        for _ in range(20):
            results.append(tokenize(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80
    assert all(result == expected for result in results)


def test_the_stop_words_are_scikit_learns_read_without_importing_it() -> None:
    import subprocess
    import sys

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as sklearn_words

    from knowledge_base.terms import ENGLISH_STOP_WORDS

    assert sklearn_words == ENGLISH_STOP_WORDS
    # The server's start-up pays for neither scikit-learn (about a second) nor LangChain.
    heavy = "'sklearn', 'langchain_core', 'langchain_text_splitters'"
    probe = f"import sys, server; print(*(m in sys.modules for m in ({heavy})))"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert imported == ["False", "False", "False"]
