"""The preview: the answer citizens get today beside the one they would get once the open
drafts are published, built without publishing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from assistant.editorial.drafts import Drafts
from assistant.editorial.errors import EditorialError
from assistant.editorial.views import PassageOut, PreviewAnswerOut, PreviewOut, PreviewReplyOut
from assistant.models import Draft, aware
from assistant.pipeline import TurnPipeline
from assistant.turns import InboundMessage, PastTurn, TurnContext
from knowledge_base.index_store import IndexSnapshot, IndexStore
from knowledge_base.ingest import Ingestor


class _PinnedStore(IndexStore):
    """An index store that always answers from one snapshot (the preview's candidate)."""

    def __init__(self, live: IndexStore, snapshot: IndexSnapshot) -> None:
        super().__init__(live.root, ef_search=live.ef_search)
        self._pinned = snapshot

    def snapshot(self) -> IndexSnapshot | None:
        return self._pinned


class Preview:
    """Answers a question twice: from the live index and from live + the open drafts."""

    def __init__(
        self,
        *,
        index_store: IndexStore,
        ingestor: Ingestor,
        drafts: Drafts,
        live_pipeline: TurnPipeline,
        pipeline_over: Callable[[IndexStore], TurnPipeline],
    ) -> None:
        self.index_store = index_store
        self.ingestor = ingestor
        self.drafts = drafts
        self.live_pipeline = live_pipeline
        self.pipeline_over = pipeline_over
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], TurnPipeline, frozenset[str]] | None = None

    def answer(self, question: str, *, history: Sequence[str] = ()) -> PreviewOut:
        """The answer citizens get today beside the answer after publishing the open drafts."""
        if not question.strip():
            raise EditorialError("Type a question to preview.")
        drafts = self.drafts.open()
        pipeline, draft_docs = self._candidate_pipeline(drafts)
        return PreviewOut(
            live=_answer(self.live_pipeline, question, history, frozenset()),
            draft=_answer(pipeline, question, history, draft_docs),
            drafts=[d.id for d in drafts],
        )

    def _candidate_pipeline(self, drafts: list[Draft]) -> tuple[TurnPipeline, frozenset[str]]:
        """A pipeline over live + drafts, kept while neither the drafts nor the live change."""
        live = self.index_store.current_version()
        key = (live, tuple(sorted((d.id, aware(d.updated_at).isoformat()) for d in drafts)))
        with self._lock:
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1], self._cached[2]
            if not drafts:
                self._cached = (key, self.live_pipeline, frozenset())
                return self.live_pipeline, frozenset()
            documents, retired = self.drafts.changes(drafts)
            _, candidate = self.ingestor.prepare(documents, remove=retired)
            if candidate is None:
                pipeline = self.live_pipeline
            else:
                pipeline = self.pipeline_over(_PinnedStore(self.index_store, candidate))
            changed = frozenset(d.doc_id for d in documents)
            self._cached = (key, pipeline, changed)
            return pipeline, changed


def _answer(
    pipeline: TurnPipeline, question: str, history: Sequence[str], drafted: frozenset[str]
) -> PreviewAnswerOut:
    ctx = TurnContext(
        message=InboundMessage(channel="preview", text=question),
        text=question,
        history=[PastTurn(role="citizen", text=h) for h in history],
    )
    pipeline.run(ctx)
    hits = ctx.retrieval.hits if ctx.retrieval else []
    return PreviewAnswerOut(
        reply=PreviewReplyOut(text=ctx.reply_text, citations=list(ctx.citations)),
        status=str(ctx.status),
        confidence=round(ctx.confidence, 3),
        passages=[
            PassageOut(
                rank=rank,
                doc_id=hit.chunk.doc_id,
                title=hit.chunk.title,
                section=hit.chunk.section,
                score=round(hit.score, 4),
                snippet=_snippet(hit.chunk.text),
                draft=hit.chunk.doc_id in drafted,
            )
            for rank, hit in enumerate(hits[:8], start=1)
        ],
    )


def _snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
