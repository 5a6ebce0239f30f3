"""Generated answers on doc2dial, beside the quoted ones: what the configured model adds.

Runs the first ``--limit`` doc2dial questions (with their dialogue) through the product's
pipeline as configured — with ``CA_LLM_PROVIDER`` set, the generative composer — and
reports, on the turns answered: token F1 against the gold span, citation accuracy (the
first citation's page is the gold page), which composer answered, why generated answers
were replaced, the supported-sentence rate (the share of the model's sentences that
passed the support check), the generate stage's latency and the whole turn's.

    python -m eval.generated --corpus documents.jsonl --questions dev.jsonl --limit 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.turns import InboundMessage, Status, TurnContext
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import load_questions
from eval.knowledge import EvalKnowledgeBase, build_knowledge_base
from eval.metrics import strip_citations, token_f1

DATASET = Path("/work/shared/datasets/doc2dial")


def generated_report(kb: EvalKnowledgeBase, questions: list[Any]) -> dict[str, Any]:
    container = kb.container
    replayer = ConversationReplayer(
        retriever=container.retriever,
        snapshot=kb.snapshot,
        history_turns=container.settings.history_turns,
        session_history_turns=container.settings.session_history_turns,
    )
    kb.cache.prefill([t for q in questions for t in message_texts(q.history, q.question)])
    rows: list[Row] = []
    for question in questions:
        ctx = TurnContext(
            message=InboundMessage(channel="web", text=question.question),
            text=question.question.strip(),
            history=replayer.past_turns(question.history),
        )
        started = time.perf_counter()
        container.pipeline.run(ctx)
        turn_ms = (time.perf_counter() - started) * 1000
        answer = ctx.answer if ctx.status is Status.ANSWERED else None
        reply = strip_citations(answer.text) if answer is not None else ""
        rows.append(
            Row(
                composer=answer.composer if answer is not None else None,
                fallback_reason=ctx.fallback_reason,
                f1=token_f1(reply, question.gold.text) if answer is not None else 0.0,
                right_page=bool(
                    answer is not None
                    and ctx.citations
                    and ctx.citations[0].doc_id == question.gold.doc_id
                ),
                sentences=ctx.scores.get("grounding_sentences"),
                kept=ctx.scores.get("grounding_kept"),
                generate_ms=ctx.timings_ms.get("generate"),
                turn_ms=turn_ms,
            )
        )
    answered = [r for r in rows if r.composer is not None]
    latency = sorted(r.generate_ms for r in rows if r.generate_ms is not None)
    written = sum(r.sentences or 0.0 for r in rows)
    turns = sorted(r.turn_ms for r in answered)

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else 0.0

    return {
        "questions": len(rows),
        "answered_share": round(len(answered) / max(len(rows), 1), 4),
        "f1_answered": mean([r.f1 for r in answered]),
        "citation_accuracy": mean([float(r.right_page) for r in answered]),
        "answered_by": dict(Counter(r.composer for r in answered)),
        "f1_by_composer": {
            c: mean([r.f1 for r in answered if r.composer == c])
            for c in sorted({r.composer or "" for r in answered})
        },
        "fallback_reasons": dict(Counter(r.fallback_reason for r in rows if r.fallback_reason)),
        "supported_sentence_rate": round(sum(r.kept or 0.0 for r in rows) / written, 4)
        if written
        else None,
        "generate_ms": {
            "median": round(statistics.median(latency), 1) if latency else None,
            "p90": round(latency[int(0.9 * (len(latency) - 1))], 1) if latency else None,
            "p95": round(latency[int(0.95 * (len(latency) - 1))], 1) if latency else None,
            "turns": len(latency),
        },
        # The whole turn, answered turns only: what a citizen waits for an answer.
        "answer_ms": {
            "median": round(statistics.median(turns), 1) if turns else None,
            "p95": round(turns[int(0.95 * (len(turns) - 1))], 1) if turns else None,
        },
    }


@dataclass(frozen=True, slots=True)
class Row:
    composer: str | None  # None: not answered
    fallback_reason: str | None
    f1: float
    right_page: bool
    sentences: float | None  # the model's sentences that reached the support check
    kept: float | None
    generate_ms: float | None
    turn_ms: float


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a measurement script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DATASET / "documents.jsonl")
    parser.add_argument("--questions", type=Path, default=DATASET / "dev.jsonl")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--cache", type=Path, default=None, help="keep embeddings here")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)[: args.limit]
    with tempfile.TemporaryDirectory(prefix="ca-generated-") as scratch:
        kb = build_knowledge_base(args.corpus, Path(scratch), cache_dir=args.cache)
        report = generated_report(kb, questions)
        kb.save_cache()
    report["provider"] = kb.container.settings.llm_provider
    print(json.dumps(report, indent=2))
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        name = f"generated-{report['provider']}.json"
        (args.report / name).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
