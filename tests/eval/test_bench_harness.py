"""A smoke test of ``make bench`` at a tiny size: every figure present, files written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from eval.bench.__main__ import main
from eval.bench.corpus import generate_documents, generate_questions
from eval.bench.report import markdown, targets
from knowledge_base.chunking import Chunker

pytestmark = pytest.mark.slow

ONNX_CACHE = Path(tempfile.gettempdir()) / "citizen-assistant-test-onnx"


def test_generated_corpus_is_varied_and_sized() -> None:
    documents = generate_documents(300, seed=3)
    chunks = list(Chunker(chunk_size=700).split_all(documents))
    assert abs(len(chunks) - 300) <= 15
    assert len({c.text for c in chunks}) == len(chunks)  # no two passages alike
    words = [len(c.text.split()) for c in chunks]
    assert 80 <= sum(words) / len(words) <= 120
    assert not any("Fairhaven" in c.text for c in chunks[60:])  # moved to other cities
    assert generate_documents(300, seed=3) == documents  # deterministic
    questions = generate_questions(chunks, 40, seed=1)
    assert len({q.text for q in questions}) == len(questions) >= 35
    assert {q.chunk_id for q in questions} <= {c.chunk_id for c in chunks}


def test_bench_runs_end_to_end_at_a_tiny_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    code = main(
        [
            "--sizes", "200", "--no-million", "--conversations", "3", "--queries", "8",
            "--quality-passages", "8", "--out", str(out), "--onnx-cache", str(ONNX_CACHE),
        ]
    )  # fmt: skip
    assert code == 0
    results = json.loads((out / "bench.json").read_text())
    assert {"machine", "sizes", "embedding", "settings", "caches", "total_s"} <= set(results)
    entry = results["sizes"]["200"]
    assert {"ingest", "ready_s", "http_1_client", "http_8_clients", "stages", "retrieval"} <= set(
        entry
    )
    assert entry["ingest"]["passages"] >= 190 and entry["ingest"]["passages_per_s"] > 0
    assert entry["ingest"]["index_disk_mb"] > 0 and entry["ingest"]["peak_rss_mb"] > 0
    one = entry["http_1_client"]
    assert one["turns"] == 6 and not one["errors"] and one["latency_ms"]["p95"] > 0
    eight = entry["http_8_clients"]
    assert eight["turns"] == 12 and eight["turns_per_s"] > 0
    # What each turn cost in CPU, the server's and the clients': a turn does real work.
    assert eight["server_cpu_ms_per_turn"] > 0.5 and eight["client_cpu_ms_per_turn"] > 0
    assert set(entry["stages"]) == {"cold", "warm"}
    retrieval = entry["retrieval"]
    assert retrieval["queries"] == 8 and retrieval["speedup_p50"] > 0
    assert 0 <= retrieval["ours_recall_at_10"] <= 1
    assert 0.9 <= results["embedding"]["cosine_mean"] <= 1.0001
    table = (out / "bench.md").read_text()
    assert "| turn p50, 1 client, 100k | ≤ 15 ms | not measured | — |" in table
    assert "| 200 |" in table and (out / "bench.png").stat().st_size > 1000
    assert "## Targets" in capsys.readouterr().out


def test_targets_are_judged_from_the_figures() -> None:
    results = {
        "sizes": {
            "100000": {
                "http_1_client": {"latency_ms": {"p50": 12.0, "p95": 50.0}},
                "ready_s": 3.2,
                "retrieval": {
                    "speedup_p50": 12.5,
                    "ours_recall_at_10": 0.8,
                    "langchain_recall_at_10": 0.9,
                },
            }
        },
        "million": {"rss_after_build_mb": 2100, "query_ms": {"p95": 3.0}, "recall_at_10": 0.97},
    }
    judged = {what: met for what, _, _, met in targets(results)}
    assert judged["turn p50, 1 client, 100k"] is True
    assert judged["turn p95, 1 client, 100k"] is False
    assert judged["retrieval vs LangChain hybrid, 100k (p50 ratio)"] is True
    assert judged["recall@10 ours / LangChain, 100k"] is False
    assert judged["1M vectors: recall@10 vs exact"] is True
    assert judged["turns/s, 8 clients, 10k"] is None
    assert "| start to /readyz 200, 100k | ≤ 5 s | 3.2 s | yes |" in markdown(results)
