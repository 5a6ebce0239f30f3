"""Runs the stages of a turn in order, timing each, and turns failures into a kind reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from assistant import canned
from assistant.stages import Replies, Stage
from assistant.turns import Status, TurnContext

log = logging.getLogger(__name__)


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
        for stage in self.stages:
            started = time.perf_counter()
            try:
                stage(ctx)
            except Exception:
                # The citizen gets a canned apology; the log gets the stage, never the text.
                log.exception("turn stage %s failed", stage.name)
                ctx.citations = []
                ctx.finish(
                    Status.ERROR_INTERNAL, self.replies(canned.INTERNAL_ERROR), confidence=0.0
                )
            finally:
                ctx.timings_ms[stage.name] = (time.perf_counter() - started) * 1000
            if ctx.finished:
                break
        if not ctx.finished:  # pragma: no cover - the output check always decides
            ctx.finish(Status.ERROR_INTERNAL, self.replies(canned.INTERNAL_ERROR), confidence=0.0)
        for stage in self.after:
            started = time.perf_counter()
            try:
                stage(ctx)
            except Exception:
                log.exception("turn stage %s failed", stage.name)
            finally:
                ctx.timings_ms[stage.name] = (time.perf_counter() - started) * 1000
        return ctx
