"""``python -m eval.redaction``: precision and recall of the redaction, kind by kind, on
a labelled set of realistic citizen messages (``eval/datasets/redaction.jsonl``: each
line ``{"text": ..., "pii": [[kind, original], ...]}``; ``[]`` for a message that must
come through untouched).

A labelled item is found when its original is gone from the redacted text and a
placeholder of its kind is there. A placeholder of a kind beyond those labelled for the
message is a false alarm (an ordinary word or number taken for personal data).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.redaction import redact

DATASET = Path(__file__).resolve().parent / "datasets" / "redaction.jsonl"
PLACEHOLDERS = {
    "person_name": "[NAME]",
    "street_address": "[ADDRESS]",
    "card_number": "[CARD NUMBER]",
    "card_expiry": "[CARD EXPIRY]",
    "card_code": "[CARD CODE]",
}


def measure(path: Path = DATASET) -> dict[str, Any]:
    """Per kind: labelled, found, false alarms, precision, recall; and what was missed."""
    labelled: Counter[str] = Counter()
    found: Counter[str] = Counter()
    alarms: Counter[str] = Counter()
    missed: list[dict[str, str]] = []
    wrongly: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        text = redact(item["text"]).text
        expected: Counter[str] = Counter(kind for kind, _ in item["pii"])
        for kind, original in item["pii"]:
            labelled[kind] += 1
            if original not in text and PLACEHOLDERS[kind] in text:
                found[kind] += 1
            else:
                missed.append({"kind": kind, "original": original, "redacted": text})
        for kind, placeholder in PLACEHOLDERS.items():
            extra = text.count(placeholder) - expected[kind]
            if extra > 0:
                alarms[kind] += extra
                wrongly.append({"kind": kind, "text": item["text"], "redacted": text})
    kinds = {}
    for kind in PLACEHOLDERS:
        true = found[kind]
        kinds[kind] = {
            "labelled": labelled[kind],
            "found": true,
            "false_alarms": alarms[kind],
            "precision": round(true / (true + alarms[kind]), 3) if true + alarms[kind] else None,
            "recall": round(true / labelled[kind], 3) if labelled[kind] else None,
        }
    return {"kinds": kinds, "missed": missed, "false_alarms": wrongly}


def main() -> int:
    result = measure(Path(sys.argv[1]) if len(sys.argv) > 1 else DATASET)
    print("| kind | labelled | found | false alarms | precision | recall |")
    print("|---|---|---|---|---|---|")
    for kind, row in result["kinds"].items():
        print(
            f"| {kind} | {row['labelled']} | {row['found']} | {row['false_alarms']} | "
            f"{row['precision']} | {row['recall']} |"
        )
    for miss in result["missed"]:
        print(f"missed {miss['kind']}: {miss['original']!r} in {miss['redacted']!r}")
    for alarm in result["false_alarms"]:
        print(f"false alarm {alarm['kind']}: {alarm['redacted']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
