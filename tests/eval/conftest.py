"""A small slice of doc2dial for the evaluation commands' tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DOC2DIAL = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "doc2dial"
if not DOC2DIAL.is_dir():  # pragma: no cover - the dataset lives beside the checkout
    DOC2DIAL = Path("/work/shared/datasets/doc2dial")


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Ten questions from two dialogues and five documents (their gold ones first)."""
    folder = tmp_path_factory.mktemp("doc2dial-small")
    questions: list[dict[str, object]] = []
    dialogues: list[str] = []
    with (DOC2DIAL / "dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["dial_id"] not in dialogues:
                if len(dialogues) == 2:
                    continue
                dialogues.append(record["dial_id"])
            questions.append(record)
            if len(questions) == 10:
                break
    wanted = {str(q["gold"]["doc_id"]) for q in questions}  # type: ignore[index]
    documents: list[str] = []
    with (DOC2DIAL / "documents.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            doc_id = json.loads(line)["doc_id"]
            if doc_id in wanted or len(documents) < 5 - len(wanted):
                documents.append(line)
                wanted.discard(doc_id)
            if len(documents) == 5 and not wanted:
                break
    corpus = folder / "documents.jsonl"
    corpus.write_text("".join(documents), encoding="utf-8")
    dev = folder / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return corpus, dev
