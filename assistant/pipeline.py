"""Runs the stages of a turn in order, timing each, and turns failures into a kind reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from assistant import canned
from assistant.stages import Replies, Stage
from assistant.turns import Status, TurnContext
from knowledge_base.lexical_index import reading

log = logging.getLogger(__name__)

# A turn in another language that ends with one of these tries the English pages.
_NOT_COVERED = (Status.UNANSWERABLE_NO_CONTENT, Status.UNANSWERABLE_LOW_CONFIDENCE)


class TurnPipeline:
    """A list of stages over one TurnContext; the first stage to set a status ends the turn."""

    def __init__(
        self, stages: Sequence[Stage], *, replies: Replies, after: Sequence[Stage] = ()
    ) -> None:
        if not stages:
            raise ValueError("a pipeline needs at least one stage")
        self.stages = list(stages)
        self.after = list(after)  # run on every turn, however it ended (e.g. escalation)
        self.replies = replies

    def run(self, ctx: TurnContext) -> TurnContext:
        self._run_stages(ctx, self.stages)
        if ctx.language != canned.DEFAULT_LANGUAGE and ctx.status in _NOT_COVERED:
            self._from_english_pages(ctx)
        if not ctx.finished:  # pragma: no cover - the output check always decides
            ctx.finish(
                Status.ERROR_INTERNAL,
                self.replies(canned.INTERNAL_ERROR, language=ctx.language),
                confidence=0.0,
            )
        for stage in self.after:
            started = time.perf_counter()
            try:
                with reading(ctx.language):
                    stage(ctx)
            except Exception:
                log.exception("turn stage %s failed", stage.name)
            finally:
                ctx.timings_ms[stage.name] = (time.perf_counter() - started) * 1000
        return ctx

    def _from_english_pages(self, ctx: TurnContext) -> None:
        """No page in the citizen's language answered: the same question over the English
        pages, answered (with a one-line note in their language) only if that answer
        passes every check an English answer must."""
        names = [stage.name for stage in self.stages]
        if ctx.retrieval_query is None or "retrieve" not in names:
            return
        trial = replace(
            ctx,
            # English pages only: the other language's pages were searched already.
            retrieval_query=replace(
                ctx.retrieval_query,
                language=canned.DEFAULT_LANGUAGE,
                filters={**(ctx.retrieval_query.filters or {}), "language": "en"},
            ),
            retrieval=None,
            answer=None,
            declined=None,
            reply_text="",
            citations=[],
            confidence=0.0,
            status=None,
            scores={},
            timings_ms={},
        )
        self._run_stages(
            trial,
            self.stages[names.index("retrieve") :],
            prefix="english_",
            read=canned.DEFAULT_LANGUAGE,
        )
        ctx.timings_ms.update(trial.timings_ms)
        if trial.status is not Status.ANSWERED:
            return
        note = canned.translate(canned.FALLBACK_ENGLISH, ctx.language)
        ctx.retrieval, ctx.answer, ctx.citations = trial.retrieval, trial.answer, trial.citations
        ctx.declined, ctx.fallback_reason = None, trial.fallback_reason
        ctx.scores = {**ctx.scores, "english_fallback": 1.0, **trial.scores}
        ctx.finish(Status.ANSWERED, f"{note}\n\n{trial.reply_text}", confidence=trial.confidence)

    def _run_stages(
        self,
        ctx: TurnContext,
        stages: Sequence[Stage],
        *,
        prefix: str = "",
        read: str | None = None,
    ) -> None:
        """Runs ``stages`` until one ends the turn; their tokens are made for ``read``
        (default: the turn's language), their replies are in the turn's language."""
        for stage in stages:
            started = time.perf_counter()
            try:
                with reading(read or ctx.language):
                    stage(ctx)
            except Exception:
                # The citizen gets a canned apology; the log gets the stage, never the text.
                log.exception("turn stage %s failed", stage.name)
                ctx.citations = []
                ctx.finish(
                    Status.ERROR_INTERNAL,
                    self.replies(canned.INTERNAL_ERROR, language=ctx.language),
                    confidence=0.0,
                )
            finally:
                ctx.timings_ms[stage.name] = (time.perf_counter() - started) * 1000
            if ctx.finished:
                break
