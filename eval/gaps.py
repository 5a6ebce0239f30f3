"""How well the editors' content-gap report groups questions that belong together.

The report (``assistant.editorial``) groups unanswered questions by meaning with average-
linkage clustering on MiniLM vectors, cut at a cosine distance. Here the opening questions
of the doc2dial dialogues stand in for a month of questions, and the document each one
was grounded in is its true group. For each cut: the number of groups, purity (share of
questions in a group whose main document is theirs), V-measure and adjusted Rand index.

    python -m eval.gaps --questions ../shared/datasets/doc2dial/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, v_measure_score

from assistant.container import Container
from assistant.editorial import GAP_DISTANCE
from assistant.settings import Settings

CUTS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, required=True, help="doc2dial JSONL")
    args = parser.parse_args()
    first = []
    with args.questions.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if not row["history"]:
                first.append(row)
    questions = [row["question"] for row in first]
    gold = [row["gold"]["doc_id"] for row in first]
    with tempfile.TemporaryDirectory() as data_dir:
        vectors = Container(Settings(data_dir=Path(data_dir))).embedder.embed_documents(questions)
    print(f"{len(questions)} opening questions about {len(set(gold))} documents")
    print("| cut | groups | purity | V-measure | ARI |\n|---|---|---|---|---|")
    for cut in CUTS:
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=cut
        ).fit_predict(vectors)
        members: dict[int, list[str]] = {}
        for label, doc in zip(labels.tolist(), gold, strict=True):
            members.setdefault(label, []).append(doc)
        purity = sum(Counter(d).most_common(1)[0][1] for d in members.values()) / len(gold)
        mark = " (used)" if abs(cut - GAP_DISTANCE) < 1e-9 else ""
        print(
            f"| {cut}{mark} | {len(members)} | {purity:.3f} | "
            f"{v_measure_score(gold, labels):.3f} | {adjusted_rand_score(gold, labels):.3f} |"
        )


if __name__ == "__main__":
    main()
