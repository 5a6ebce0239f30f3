"""The composer scores sentences with the vectors stored at ingestion: a turn embeds only
its question, and chooses the same sentences it would by embedding them then."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.composer import ExtractiveComposer
from assistant.container import SAMPLE_KB, Container
from assistant.settings import Settings
from assistant.turns import InboundMessage, Status
from knowledge_base.embeddings import Embedder
from knowledge_base.loaders import load_paths
from knowledge_base.retriever import RetrievalQuery


class RecordingEmbedder:
    """The real embedder, noting every text it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return self.inner.embed_query(text)


QUESTIONS = ("How do I renew my driver's license?", "how much does it cost?")


def _turns(container: Container) -> tuple[list[str], list[str]]:
    """Ask a question and a follow-up; (replies, texts embedded during the turns)."""
    recorder = RecordingEmbedder(container.embedder)
    container.__dict__["embedder"] = recorder
    container.warm_up()  # the off-topic examples are embedded once, before any citizen
    recorder.texts.clear()
    session = None
    replies = []
    for question in QUESTIONS:
        reply = container.assistant.handle(InboundMessage("web", question), session_id=session)
        assert reply.status is Status.ANSWERED, reply
        session = reply.session_id
        replies.append(reply.text)
    return replies, recorder.texts


def test_a_turn_embeds_its_question_and_no_passage_sentence(container: Container) -> None:
    replies, embedded = _turns(container)
    # The questions, and the first answer, which the follow-up's query reads as context.
    context = {*QUESTIONS, re.sub(r" \[\d+\]", "", replies[0])}
    assert set(embedded) <= context, set(embedded) - context


def test_a_version_without_stored_sentences_embeds_them_during_the_turn(
    container: Container,
) -> None:
    version = container.index_store.current_version()
    assert version is not None
    for path in (container.index_store.versions_dir / version).glob("sentence*"):
        path.unlink()
    replies, embedded = _turns(container)
    context = {*QUESTIONS, re.sub(r" \[\d+\]", "", replies[0])}
    assert len(set(embedded) - context) >= 4  # passage sentences, at query time
    assert all("[1]" in reply for reply in replies)


@pytest.mark.slow
def test_stored_vectors_choose_the_same_sentences_as_embedding_them_at_query_time(
    tmp_path: Path,
) -> None:
    """With the fp32 model (whose vectors do not depend on the batch a text is embedded in,
    unlike the int8 one's) stored and query-time vectors give the very same answers."""
    container = Container(
        Settings(data_dir=tmp_path, embedding_backend="torch", sample_kb_on_empty=False)
    )
    files = [SAMPLE_KB / f"{name}.md" for name in _DOCS]
    container.ingestor.ingest(load_paths(files).documents)
    snapshot = container.index_store.snapshot()
    assert snapshot is not None and snapshot.sentences is not None
    stored = ExtractiveComposer(embedder=container.embedder, store=container.index_store)
    compared = 0
    for question, follow_up in _QUESTIONS:
        query = RetrievalQuery(follow_up or question, history=(question,) if follow_up else ())
        retrieval = container.retriever.retrieve(query)
        with_stored = stored.compose(question=query.text, retrieval=retrieval)
        table, snapshot.sentences = snapshot.sentences, None
        try:  # the same version without its table: sentences are embedded now
            at_query_time = ExtractiveComposer(
                embedder=container.embedder, store=container.index_store
            ).compose(question=query.text, retrieval=retrieval)
        finally:
            snapshot.sentences = table
        assert with_stored is not None and at_query_time is not None
        assert with_stored.text == at_query_time.text, query
        assert with_stored.confidence == pytest.approx(at_query_time.confidence, abs=1e-3)
        compared += 1
    assert compared == len(_QUESTIONS)


_DOCS = (
    "renew-drivers-license",
    "get-a-real-id",
    "pay-a-parking-ticket",
    "contest-a-parking-ticket",
    "trash-and-recycling-collection",
    "schedule-a-bulk-item-pickup",
    "get-a-library-card",
    "report-a-pothole",
)
_QUESTIONS = (
    ("How do I renew my driver's license?", ""),
    ("How do I renew my driver's license?", "how much does it cost?"),
    ("How do I renew my driver's license?", "what if I'm over 80?"),
    ("What documents do I need for a REAL ID?", ""),
    ("How do I pay a parking ticket?", "can I pay online?"),
    ("I think my parking ticket is wrong", "how long do I have?"),
    ("When is trash picked up?", "what about recycling?"),
    ("How do I get rid of an old couch?", "how much does it cost?"),
    ("How do I get a library card?", "do I need ID?"),
    ("There is a pothole on my street", "how long until it is fixed?"),
)


def test_every_composed_answer_says_something_and_cites_it_even_when_sentences_are_long(
    shared_container: Container,
) -> None:
    """At the shortest answer length allowed most sentences do not fit whole. When the
    best one does not, and the short near-ties are in another document (which an answer
    never mixes in), the best sentence is cut at a word: the answer is never empty."""
    import json
    import warnings

    from eval.sample_kb import QUESTIONS

    composer = ExtractiveComposer(
        embedder=shared_container.embedder, store=shared_container.index_store, max_chars=80
    )
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    cut = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's mean of nothing
        for question in questions:
            retrieval = shared_container.retriever.retrieve(RetrievalQuery(question))
            answer = composer.compose(question=question, retrieval=retrieval)
            assert answer is not None, question
            assert answer.sentences and answer.text.strip() and answer.citations, question
            assert len(answer.text) <= 80 + 5, answer.text  # the citation mark comes on top
            assert (
                np.isfinite(answer.vector).all() and abs(np.linalg.norm(answer.vector) - 1) < 1e-3
            )
            cut += "…" in answer.text
    assert cut  # the case above did occur
