"""Writes evaluation results: JSON, a Markdown report and PNG charts (matplotlib, Agg).

``report.md`` is rebuilt from whichever of ``retrieval.json`` and ``answers.json`` the
report folder holds, so ``eval retrieval`` and ``eval answers`` can share one folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import KS, METRICS

RETRIEVAL_JSON = "retrieval.json"
ANSWERS_JSON = "answers.json"
BUNDLED_JSON = "answers_bundled.json"
RECALL_PNG = "retrieval_recall.png"
RELIABILITY_PNG = "answers_reliability.png"
MAX_MEDIAN_WORDS = 200


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def metrics_table(results: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one row per method, one column per metric."""
    lines = [
        "| Method | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for method, values in results.items():
        lines.append(f"| {method} | " + " | ".join(f"{values[m]:.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


def text_table(results: dict[str, dict[str, float]]) -> str:
    """The same table as plain text, for the terminal."""
    width = max(len(m) for m in results) if results else 6
    header = "method".ljust(width) + "".join(m.rjust(13) for m in METRICS)
    rows = [
        method.ljust(width) + "".join(f"{values[m]:13.3f}" for m in METRICS)
        for method, values in results.items()
    ]
    return "\n".join([header, *rows])


def recall_chart(results: dict[str, dict[str, float]], path: Path) -> None:
    """Document and passage recall@k per method, two panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for axis, level in zip(axes, ("doc", "passage"), strict=True):
        for method, values in results.items():
            axis.plot(KS, [values[f"{level}_r@{k}"] for k in KS], marker="o", label=method)
        axis.set_title(f"{level.capitalize()} recall@k")
        axis.set_xlabel("k")
        axis.set_xticks(KS)
        axis.set_ylim(0, 1)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("recall")
    axes[1].legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def reliability_chart(curve: list[dict[str, Any]], threshold: float, path: Path) -> None:
    """Share of answers from a right page per confidence bin, with the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    shown = [b for b in curve if b["count"]]
    centres = [(b["low"] + b["high"]) / 2 for b in shown]
    axis.bar(
        centres,
        [b["correct"] for b in shown],
        width=[b["high"] - b["low"] for b in shown],
        edgecolor="black",
        alpha=0.6,
        label="share correct",
    )
    for centre, b in zip(centres, shown, strict=True):
        axis.annotate(str(b["count"]), (centre, b["correct"]), ha="center", va="bottom", size=7)
    axis.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    axis.axvline(threshold, color="red", linestyle="--", label=f"min_confidence {threshold:.2f}")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.05)
    axis.set_xlabel("confidence")
    axis.set_ylabel("answer from a right page")
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _retrieval_section(data: dict[str, Any]) -> list[str]:
    passages = data.get("passages", {})
    median = passages.get("median_words", 0.0)
    flag = "within" if median <= MAX_MEDIAN_WORDS else "ABOVE"
    lines = [
        "## Retrieval",
        "",
        f"{data.get('questions', 0)} questions; {passages.get('count', 0)} passages, "
        f"median {median:g} words ({flag} the {MAX_MEDIAN_WORDS}-word limit). All methods rank "
        "the same passages (the product's own chunks); `product` reads the dialogue history "
        "as a conversation would, the baselines read the question alone.",
        "",
        metrics_table(data["results"]),
        "",
        f"![recall@k]({RECALL_PNG})",
        "",
    ]
    for half, results in data.get("halves", {}).items():
        size = data.get("half_sizes", {}).get(half, "?")
        lines += [
            f"### Half {half} of the dialogues ({size} questions)",
            "",
            metrics_table(results),
            "",
        ]
    lines += ["### Settings", "", "| Setting | Value |", "|---|---|"]
    lines += [f"| `{k}` | `{v}` |" for k, v in data.get("settings", {}).items()]
    lines += ["", "### Timing (seconds)", "", "| Step | Seconds |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in data.get("seconds", {}).items()]
    return [*lines, ""]


def _curve_lines(curve: list[dict[str, Any]]) -> list[str]:
    lines = ["| Confidence | Answers weighed | From a right page |", "|---|---:|---:|"]
    lines += [
        f"| {b['low']:.1f}–{b['high']:.1f} | {b['count']} | {b['correct']:.3f} |"
        for b in curve
        if b["count"]
    ]
    return lines


def _answers_section(data: dict[str, Any]) -> list[str]:
    s = data["summary"]
    halves = data.get("halves", {})
    rows = [("all", s), *((f"half {h}", v) for h, v in halves.items())]
    lines = [
        "## Answers",
        "",
        f"{data.get('questions', 0)} questions through the full turn pipeline, dialogue history "
        f"fed as earlier turns; `min_confidence` = {data['min_confidence']:.2f}. Half A of the "
        "dialogues is what the answer model was fitted on; half B was never looked at.",
        "",
        "| Questions | Answered | Token recall | Token F1 | Citation accuracy | Median words |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} ({v['questions']}) | {v['answered_share']:.3f} | {v['recall_answered']:.3f} "
        f"| {v['f1_answered']:.3f} | {v['citation_accuracy']:.3f} | {v['median_words']:g} |"
        for name, v in rows
    ]
    lines += [
        "",
        "On answered turns: token recall is the share of the gold span's words the answer "
        "contains, token F1 the bag-of-words F1 (lower-cased, punctuation and articles "
        "removed), citation accuracy the share whose first citation is from the gold page.",
        "",
        "### Reliability",
        "",
        f"![reliability]({RELIABILITY_PNG})",
        "",
        *_curve_lines(data["curve"]),
        "",
        "### Statuses",
        "",
        "| Status | Turns |",
        "|---|---:|",
    ]
    lines += [f"| `{k}` | {v} |" for k, v in data.get("statuses", {}).items()]
    return [*lines, ""]


def _bundled_section(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Answers on the bundled knowledge base",
        "",
        f"{data['questions']} questions (`eval/datasets/sample_kb_answers.jsonl`), each in a "
        f"fresh conversation; `min_confidence` = {data['min_confidence']:.2f}. A useful answer "
        "is answered, from a right page, with every key fact. `dev` is what the weights were "
        "fitted on; `heldout` was never looked at. *With a yes*: useful directly, or after "
        'the citizen says yes to the page a refusal offered ("Did you mean ...?"; they '
        "say yes exactly when it is a right page); *offered*: refusals of an unanswerable "
        "question that offered a page (the citizen says no).",
        "",
        "| Split | Answerable | Useful | Answered | Right page | Right page, a fact missing "
        "| With a yes | Unanswerable | Refused | Offered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in [("all", data["summary"]), *data["splits"].items()]:
        lines.append(
            f"| {name} | {v['answerable']} | {v['useful']:.3f} | {v['answered']:.3f} "
            f"| {v['right_page']:.3f} | {v['right_page_missing_facts']:.3f} "
            f"| {v['useful_with_yes']:.3f} | {v['unanswerable']} "
            f"| {v['refused_unanswerable']:.3f} | {v['offered_unanswerable']:.3f} |"
        )
    styles = data["summary"]["by_style"]
    lines += ["", "Useful answers by style of question (all splits):", ""]
    lines += ["| Style | Useful |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in styles.items()]
    lines += ["", f"![reliability]({RELIABILITY_PNG})", "", *_curve_lines(data["curve"]), ""]
    return lines


def write_markdown(folder: Path) -> Path:
    """Rebuild ``report.md`` from the JSON results in ``folder``."""
    lines = ["# Citizen Assistant — evaluation", ""]
    retrieval = folder / RETRIEVAL_JSON
    answers = folder / ANSWERS_JSON
    if retrieval.is_file():
        lines += _retrieval_section(json.loads(retrieval.read_text("utf-8")))
    if answers.is_file():
        lines += _answers_section(json.loads(answers.read_text("utf-8")))
    bundled = folder / BUNDLED_JSON
    if bundled.is_file():
        lines += _bundled_section(json.loads(bundled.read_text("utf-8")))
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
