"""Measure the handoff triggers on labelled citizen messages.

``eval/datasets/handoff_triggers.jsonl`` holds one message a line::

    {"text": "...", "reasons": ["requested", ...], "history": [{"role", "text", "status"}]}

``reasons`` are the handoffs a person reading the message would want (empty: none), from
``assistant.escalation.Reason``. Labels follow what the message says, not what the
patterns catch:

- ``requested``: asks to talk to, be called by or be put through to a person, in any
  wording or language ("agent", "can I call someone?", "hablar con una persona").
- ``crisis``: the citizen or someone near them is in danger now: self-harm, suicidal
  thoughts, violence or abuse, a threat, a medical emergency.
- ``own_case``: asks about their own application, claim, payment or case, which only
  their record can answer ("what's the status of my application", "my benefits stopped").
- ``frustration``: anger, insults, shouting, giving up, or the same question again after
  the assistant could not answer it.
- ``unanswered_twice``: the assistant could not answer the previous question (history)
  and cannot answer this one either; it depends on the real pipeline's status.

Each message runs through the real pipeline and the Escalate stage (a throw-away data
dir with the bundled sample knowledge base), its history fed in as already-stored,
redacted turns. Per reason: precision and recall over the set.

The set is split by a fixed rule, a hash of the message and its history: ``dev`` is for
looking at misses and improving the patterns, ``heldout`` only for reporting.

    python -m eval.triggers [--report DIR]   # DIR/triggers.json and DIR/triggers.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.container import Container
from assistant.escalation import Reason
from assistant.redaction import redact
from assistant.turns import InboundMessage, PastTurn, TurnContext

DATASET = Path(__file__).resolve().parent / "datasets" / "handoff_triggers.jsonl"
REASONS: tuple[str, ...] = tuple(str(r) for r in Reason)
HALVES = ("dev", "heldout")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    reasons: frozenset[str]
    history: tuple[PastTurn, ...]
    half: str


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    predicted: frozenset[str]
    status: str


def half_of(text: str, history: list[dict[str, Any]]) -> str:
    """``dev`` or ``heldout``: the parity of a SHA-256 of the message and its history."""
    key = json.dumps({"text": text, "history": history}, sort_keys=True, ensure_ascii=False)
    return HALVES[int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2]


def load(path: Path = DATASET) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            reasons = frozenset(item.get("reasons", []))
            unknown = reasons - set(REASONS)
            if unknown:
                raise ValueError(f"{path}:{number}: unknown reasons {sorted(unknown)}")
            history = item.get("history", [])
            examples.append(
                Example(
                    text=item["text"],
                    reasons=reasons,
                    history=tuple(
                        PastTurn(
                            role=t["role"], text=redact(t["text"]).text, status=t.get("status")
                        )
                        for t in history
                    ),
                    half=half_of(item["text"], history),
                )
            )
    return examples


def run(container: Container, examples: Iterable[Example]) -> list[Outcome]:
    """Each message through the real pipeline (and Escalate), as the service runs it."""
    outcomes = []
    for example in examples:
        ctx = TurnContext(
            message=InboundMessage("eval", example.text),
            text=example.text.strip(),
            history=list(example.history),
        )
        container.pipeline.run(ctx)
        outcomes.append(
            Outcome(
                example=example,
                predicted=frozenset(ctx.handoff_reasons),
                status=str(ctx.status),
            )
        )
    return outcomes


def scores(outcomes: Iterable[Outcome]) -> dict[str, dict[str, float]]:
    """Per reason: precision, recall, and the counts they come from."""
    outcomes = list(outcomes)
    table: dict[str, dict[str, float]] = {}
    for reason in REASONS:
        tp = sum(1 for o in outcomes if reason in o.predicted and reason in o.example.reasons)
        fp = sum(1 for o in outcomes if reason in o.predicted and reason not in o.example.reasons)
        fn = sum(1 for o in outcomes if reason not in o.predicted and reason in o.example.reasons)
        table[reason] = {
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "support": tp + fn,
        }
    none_right = sum(1 for o in outcomes if not o.example.reasons and not o.predicted)
    negatives = sum(1 for o in outcomes if not o.example.reasons)
    table["(no handoff)"] = {
        "precision": none_right / max(sum(1 for o in outcomes if not o.predicted), 1),
        "recall": none_right / max(negatives, 1),
        "tp": none_right,
        "fp": sum(1 for o in outcomes if not o.predicted and o.example.reasons),
        "fn": negatives - none_right,
        "support": negatives,
    }
    return table


def confusions(outcomes: Iterable[Outcome]) -> list[dict[str, Any]]:
    """Every message whose predicted reasons differ from its labels."""
    return [
        {
            "half": o.example.half,
            "text": o.example.text,
            "history": len(o.example.history),
            "expected": sorted(o.example.reasons),
            "predicted": sorted(o.predicted),
            "status": o.status,
        }
        for o in outcomes
        if o.predicted != o.example.reasons
    ]


def evaluate(container: Container, path: Path = DATASET) -> dict[str, Any]:
    examples = load(path)
    outcomes = run(container, examples)
    return {
        "dataset": str(path.name),
        "messages": {h: sum(1 for e in examples if e.half == h) for h in HALVES},
        "scores": {h: scores(o for o in outcomes if o.example.half == h) for h in HALVES},
        "confusions": confusions(outcomes),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Handoff triggers",
        "",
        f"`{result['dataset']}`: {result['messages']['dev']} dev and "
        f"{result['messages']['heldout']} held-out messages (split by a hash of each message).",
        "",
        "| Reason | Dev precision | Dev recall | Dev n | Held-out precision | Held-out recall "
        "| Held-out n |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    dev, held = result["scores"]["dev"], result["scores"]["heldout"]
    for reason in dev:
        d, h = dev[reason], held[reason]
        lines.append(
            f"| {reason} | {d['precision']:.2f} | {d['recall']:.2f} | {int(d['support'])} "
            f"| {h['precision']:.2f} | {h['recall']:.2f} | {int(h['support'])} |"
        )
    lines += ["", "## Confusions", "", "| Half | Message | Expected | Predicted | Status |"]
    lines.append("|---|---|---|---|---|")
    for c in result["confusions"]:
        text = c["text"].replace("|", "\\|")
        if c["history"]:
            text += f" (after {c['history']} turns)"
        lines.append(
            f"| {c['half']} | {text} | {', '.join(c['expected']) or '—'} "
            f"| {', '.join(c['predicted']) or '—'} | {c['status']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a measurement script
    import os
    import tempfile

    from assistant.settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--report", type=Path, help="folder for triggers.json and triggers.md")
    parser.add_argument("--dataset", type=Path, default=DATASET)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        container = Container(Settings(data_dir=Path(tmp), environment="test"))
        container.ensure_knowledge_base()
        result = evaluate(container, args.dataset)
    report = markdown(result)
    print(report)
    if args.report:
        args.report.mkdir(parents=True, exist_ok=True)
        (args.report / "triggers.json").write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (args.report / "triggers.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
