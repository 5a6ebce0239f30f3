"""Does a model's rewrite of a follow-up find the right passage more often than history
folding? (``CA_LLM_REPHRASE``, off until this says yes for the agency's model.)

Every doc2dial question with a dialogue before it (up to ``--limit``) is retrieved three
ways, with the configured model (``CA_LLM_PROVIDER`` and the rest) doing the rewriting:

- ``folded``: today's query — the message, with the conversation folded in;
- ``rewrite_alone``: the model's standalone rewrite instead (as GOV.UK Chat searches);
- ``rewrite_folded``: the rewrite, with the conversation still folded in.

A failed rewrite counts as the folded query (what the product would have searched).
Reported per half of the dialogues (A and B, as everywhere in ``eval``), with the
rewrites' failure rate and latency.

    python -m eval.rephrase --limit 200 [--corpus documents.jsonl --questions dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.redaction import redact
from assistant.rephrase import Rephraser
from eval.conversation import ConversationReplayer, message_texts
from eval.doc2dial import Question, dialogue_half, load_questions
from eval.knowledge import EvalKnowledgeBase, build_knowledge_base
from eval.metrics import Gold, mean_scores, question_scores

DATASET = Path("/work/shared/datasets/doc2dial")
WAYS = ("folded", "rewrite_alone", "rewrite_folded")
TOP = 10


def rephrase_report(
    kb: EvalKnowledgeBase, questions: list[Question], rephraser: Rephraser
) -> dict[str, Any]:
    container = kb.container
    replayer = ConversationReplayer(
        retriever=container.retriever,
        snapshot=kb.snapshot,
        history_turns=container.settings.history_turns,
        session_history_turns=container.settings.session_history_turns,
    )
    follow_ups = [q for q in questions if q.history]
    kb.cache.prefill([t for q in follow_ups for t in message_texts(q.history, q.question)])
    scores: dict[str, dict[str, list[dict[str, float]]]] = {way: {"A": [], "B": []} for way in WAYS}
    seconds: list[float] = []
    failed = 0
    examples: list[dict[str, str | None]] = []
    for question in follow_ups:
        folded = replayer.query(question.history, question.question)
        started = time.perf_counter()
        rewrite = rephraser(redact(question.question).text, replayer.past_turns(question.history))
        seconds.append(time.perf_counter() - started)
        failed += rewrite is None
        queries = {
            "folded": folded,
            "rewrite_alone": replace(folded, text=rewrite, history=(), history_vectors=())
            if rewrite
            else folded,
            "rewrite_folded": replace(folded, text=rewrite) if rewrite else folded,
        }
        gold = Gold(question.gold.doc_id, question.gold.start, question.gold.end)
        half = dialogue_half(question.dial_id)
        for way, query in queries.items():
            result = container.retriever.retrieve_from(kb.snapshot, query, k=TOP)
            ranking = [kb.passages[hit.row] for hit in result.hits[:TOP]]
            scores[way][half].append(question_scores(ranking, gold))
        if len(examples) < 12:
            examples.append({"message": question.question, "rewrite": rewrite})

    def summary(rows: list[dict[str, float]]) -> dict[str, float]:
        means = mean_scores(rows)
        return {
            m: round(means[m], 4)
            for m in ("doc_r@1", "doc_r@5", "passage_r@1", "passage_r@5", "mrr@10")
        }

    return {
        "follow_ups": len(follow_ups),
        "rewrite_failed": failed,
        "rewrite_seconds": {
            "median": round(statistics.median(seconds), 2) if seconds else None,
            "p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 2) if seconds else None,
        },
        "results": {
            way: {
                "all": summary(halves["A"] + halves["B"]),
                **{half: summary(rows) for half, rows in halves.items()},
            }
            for way, halves in scores.items()
        },
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - needs a model server
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DATASET / "documents.jsonl")
    parser.add_argument("--questions", type=Path, default=DATASET / "dev.jsonl")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=None, help="keep embeddings here")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)
    questions = [q for q in load_questions(args.questions) if q.history][: args.limit]
    with tempfile.TemporaryDirectory(prefix="ca-rephrase-") as scratch:
        kb = build_knowledge_base(args.corpus, Path(scratch), cache_dir=args.cache)
        call = kb.container.model_call
        if call is None:
            raise SystemExit("set CA_LLM_PROVIDER (and the rest) to the model to measure")
        report = rephrase_report(kb, questions, Rephraser(call))
        kb.save_cache()
    report["provider"] = kb.container.settings.llm_provider
    report["model"] = kb.container.settings.llm_model
    print(json.dumps(report, indent=2))
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "rephrase.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
