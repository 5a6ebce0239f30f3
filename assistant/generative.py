"""The generative composer: a language model writes the answer from numbered sources, and
only what the sources support is sent.

It runs beside the extractive composer, never instead of it: the quoted answer is always
composed first (a few milliseconds) and judged by the answerability stage, so a question
the knowledge base cannot answer is never put to the model, and whenever the model's
answer fails (a timeout, an error, malformed or empty output, a refusal, an invented or
missing citation, too little supported) the quoted answer is sent instead and the turn
records why (``TurnContext.fallback_reason``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import replace

import numpy as np

from assistant.answer import AnswerSentence, Citation, ComposedAnswer
from assistant.answerability import follow_up_context
from assistant.grounding import (
    Grounded,
    Rejected,
    SupportCheck,
    check_grounding,
)
from assistant.guardrails import forbidden_in, without_instructions
from assistant.llm import SYSTEM_PROMPT, GenerationFailed, ModelCall, build_prompt
from assistant.turns import TurnContext
from knowledge_base.documents import Chunk
from knowledge_base.embeddings import Embedder
from knowledge_base.retriever import RetrievalResult, ScoredChunk

log = logging.getLogger(__name__)

__all__ = ["GenerateAnswer", "GenerativeComposer", "draft_listener"]

# Who is shown the answer while the model writes it (the web page, as a draft): set by a
# channel around one turn; the turn runs in a worker thread that inherits it. Channels
# that send only the final checked text (SMS, WhatsApp) set nothing.
draft_listener: ContextVar[Callable[[str], None] | None] = ContextVar(
    "draft_listener", default=None
)

_CITE_SNIPPET_CHARS = 240
# Words per token, roughly, in English answers: the prompt asks for a length the token
# budget can hold, so an answer is rarely cut off mid-sentence.
_WORDS_PER_TOKEN = 0.7


class GenerativeComposer:
    """A model's answer to a question from the top retrieved passages, held to them."""

    def __init__(
        self,
        *,
        call: ModelCall,
        embedder: Embedder,
        agency: str,
        sources: int,
        min_support: float,
        min_kept: float,
        token_budget: Callable[[str], int],
        forbidden_terms: Sequence[str] = (),
    ) -> None:
        if sources < 1:
            raise ValueError("the model needs at least one source")
        self.call = call
        self.embedder = embedder
        self.check = SupportCheck(embedder)
        self.agency = agency
        self.sources = sources
        self.min_support = min_support
        self.min_kept = min_kept
        self.token_budget = token_budget
        self.forbidden_terms = tuple(forbidden_terms)

    def compose(
        self,
        *,
        question: str,
        retrieval: RetrievalResult,
        context: str = "",
        channel: str = "web",
        on_token: Callable[[str], None] | None = None,
        scores: dict[str, float] | None = None,
    ) -> ComposedAnswer:
        """The checked answer; raises :class:`GenerationFailed` with the reason otherwise."""
        hits = retrieval.hits[: self.sources]
        if not hits:
            raise GenerationFailed("no_sources")
        # A page's sentences that speak to an AI ("ignore previous instructions") are not
        # given to the model, nor counted as support for what it writes.
        chunks = [_without_instructions(h.chunk) for h in hits]
        tokens = self.token_budget(channel)
        prompt = build_prompt(
            agency=self.agency,
            question=question,
            context=context,
            sources=chunks,
            max_words=max(10, int(tokens * _WORDS_PER_TOKEN)),
        )
        started = time.perf_counter()
        text = self.call(prompt, max_tokens=tokens, on_token=on_token)
        checked = time.perf_counter()
        # Its instructions recited, a line that speaks to an AI, a forbidden term: not sent,
        # however well the rest is supported.
        if forbidden_in(text, prompt=prompt.system, terms=self.forbidden_terms) is not None:
            raise GenerationFailed("forbidden")
        outcome = check_grounding(
            text,
            chunks,
            check=self.check,
            min_support=self.min_support,
            min_kept=self.min_kept,
        )
        if scores is not None:
            scores["llm_ms"] = (checked - started) * 1000
            scores["grounding_ms"] = (time.perf_counter() - checked) * 1000
        if isinstance(outcome, Rejected):
            if scores is not None:
                scores.update({f"grounding_{k}": v for k, v in outcome.detail.items()})
            raise GenerationFailed(outcome.reason)
        if scores is not None:
            scores["grounding_sentences"] = float(outcome.total)
            scores["grounding_kept"] = float(outcome.total - outcome.dropped)
            scores["grounding_mean_support"] = float(
                np.mean([s.support for s in outcome.sentences])
            )
        return self._answer(outcome, hits=hits, retrieval=retrieval)

    def _answer(
        self, grounded: Grounded, *, hits: list[ScoredChunk], retrieval: RetrievalResult
    ) -> ComposedAnswer:
        cited = [hits[n - 1] for n in grounded.sources]  # in their new order, 1..m
        citations = [
            Citation(
                n=i,
                doc_id=h.chunk.doc_id,
                title=h.chunk.title,
                url=h.chunk.url,
                section=h.chunk.section,
                snippet=_truncate(h.chunk.text, _CITE_SNIPPET_CHARS),
            )
            for i, h in enumerate(cited, start=1)
        ]
        sentences = [
            AnswerSentence(
                s.text, cited[(s.source or 1) - 1].chunk.chunk_id, s.source or 1, "generated"
            )
            for s in grounded.sentences
        ]
        vector = None
        snapshot = retrieval.snapshot
        if snapshot is not None:
            mean = np.asarray(snapshot.vectors[[h.row for h in cited]], dtype=np.float32).mean(0)
            vector = mean / max(float(np.linalg.norm(mean)), 1e-12)
        first = cited[0].chunk
        return ComposedAnswer(
            text=grounded.text,
            citations=citations,
            sentences=sentences,
            vector=vector,
            vector_model=self.embedder.name if vector is not None else None,
            doc_id=first.doc_id,
            section=first.section_path,
            shape="generated",
            composer="generative",
        )


class GenerateAnswer:
    """The stage after answerability: the model's checked answer replaces the quoted one,
    or the quoted one stays and the turn records why.

    A channel that set :data:`draft_listener` sees the answer as it is written; what it
    shows is replaced by the checked text when the turn ends.
    """

    name = "generate"

    def __init__(self, composer: GenerativeComposer) -> None:
        self.composer = composer

    def __call__(self, ctx: TurnContext) -> None:
        assert ctx.retrieval is not None and ctx.answer is not None
        quoted = ctx.answer
        listener = draft_listener.get()
        try:
            answer = self.composer.compose(
                question=ctx.text,
                retrieval=ctx.retrieval,
                context=follow_up_context(ctx),
                channel=ctx.message.channel,
                on_token=_Drafts(listener) if listener is not None else None,
                scores=ctx.scores,
            )
        except GenerationFailed as failed:
            ctx.fallback_reason = failed.reason
            log.info("generated answer replaced by the quoted one: %s", failed.reason)
            return
        # Keep what the answerability stage added after the quoted text (a caveat).
        after = ctx.reply_text[len(quoted.text) :] if ctx.reply_text.startswith(quoted.text) else ""
        ctx.answer = replace(answer, signals=quoted.signals, uncovered=quoted.uncovered)
        ctx.reply_text = answer.text + after
        ctx.citations = answer.citations


class _Drafts:
    """Passes the model's words on a sentence at a time, each once what has been said so
    far is checked: from the first that says what no answer may (the model's
    instructions, a line that speaks to an AI) the citizen sees nothing more until the
    checked answer replaces the draft."""

    def __init__(self, listener: Callable[[str], None]) -> None:
        self.listener = listener
        self.said: list[str] = []
        self.held: list[str] = []
        self.stopped = False

    def __call__(self, piece: str) -> None:
        if self.stopped:
            return
        self.said.append(piece)
        self.held.append(piece)
        if not any(mark in piece for mark in ".!?\n"):
            return
        if forbidden_in("".join(self.said), prompt=SYSTEM_PROMPT) is not None:
            self.stopped = True
            return
        self.listener("".join(self.held))
        self.held.clear()


def _without_instructions(chunk: Chunk) -> Chunk:
    text = without_instructions(chunk.text)
    return chunk if text == chunk.text else replace(chunk, text=text)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
