"""``python -m eval.bench [--quick] [--sizes 1000,10000] [--reuse]``: see ``eval.bench``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.bench import report, runner

DEFAULT_OUT = runner.ROOT / "reports" / "bench"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, no 1M")
    parser.add_argument("--sizes", help="comma-separated knowledge-base sizes in passages")
    parser.add_argument("--million", type=int, default=1_000_000, help="vector-only size")
    parser.add_argument("--no-million", action="store_true", help="skip the vector-only case")
    parser.add_argument(
        "--million-from", type=Path, help="report this earlier vector-only result (JSON)"
    )
    parser.add_argument("--conversations", type=int, default=100, help="per size, 2 turns each")
    parser.add_argument("--queries", type=int, default=150, help="retrieval queries per size")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.add_argument("--reuse", action="store_true", help="keep ingested data dirs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--redis",
        default=os.environ.get("CA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="Redis for the two-worker run at 10k (skipped when it does not answer)",
    )
    parser.add_argument(
        "--derive-above",
        type=int,
        help="sizes above this re-use (noisy) vectors of this size's base: timing only, "
        "for machines too slow to embed 100k passages in the time",
    )
    parser.add_argument("--onnx-cache", type=Path, help="exported-model cache (default: in out)")
    parser.add_argument(
        "--quality-passages", type=int, default=200, help="passages for the cosine check"
    )
    sub = parser.add_subparsers(dest="child")
    ingest = sub.add_parser("ingest", help="(internal) ingest one size")
    ingest.add_argument("--size", type=int, required=True)
    ingest.add_argument("--data-dir", type=Path, required=True)
    ingest.add_argument("--onnx-cache", type=Path, required=True)
    ingest.add_argument("--backend", default="onnx")
    ingest.add_argument("--seed", type=int, default=7)
    ingest.add_argument("--out", type=Path, required=True)
    ingest.add_argument("--vectors-from", type=Path, help="derive vectors from this data dir")
    vectors = sub.add_parser("vectors", help="(internal) the vector index alone")
    vectors.add_argument("--base", type=Path, required=True)
    vectors.add_argument("--queries", type=Path, required=True)
    vectors.add_argument("--total", type=int, required=True)
    vectors.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child == "ingest":
        result = runner.child_ingest(
            args.size,
            args.data_dir,
            backend=args.backend,
            onnx_cache=args.onnx_cache,
            seed=args.seed,
            vectors_from=args.vectors_from,
        )
        args.out.write_text(json.dumps(result))
        return 0
    if args.child == "vectors":
        from assistant.settings import Settings

        s = Settings()
        result = runner.child_vectors(
            args.base,
            args.queries,
            total=args.total,
            hnsw_m=s.hnsw_m,
            ef_construction=s.hnsw_ef_construction,
            ef_search=s.hnsw_ef_search,
        )
        args.out.write_text(json.dumps(result))
        return 0
    results = run(args)
    print(report.markdown(results))
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement, in order; writes bench.json, bench.md and bench.png."""
    started = time.perf_counter()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    do_million = not (args.quick or args.no_million)
    out: Path = args.out
    work = out / "work"
    onnx_cache = args.onnx_cache or work / "models"
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": runner.machine(),
        "backend": args.backend,
        "sizes": {},
        "caches": "Every first question is distinct and follow-ups seldom repeat (they name "
        "their service or city), so the query-vector cache seldom hits. Follow-ups re-use "
        "the first message's vector (cached, as in production). A turn embeds only "
        "its question; 'warm' stage timings repeat the same questions (query vectors "
        "cached, pages read).",
    }
    from assistant.settings import Settings

    defaults = Settings()
    results["settings"] = {
        "embedding_backend": args.backend,
        "hnsw_threshold": defaults.hnsw_threshold,
        "hnsw_m": defaults.hnsw_m,
        "hnsw_ef_search": defaults.hnsw_ef_search,
        "hnsw_ef_construction": defaults.hnsw_ef_construction,
        "retrieval_candidates": defaults.retrieval_candidates,
    }
    for size in sizes:
        print(f"[bench] {size} passages", file=sys.stderr, flush=True)
        data_dir = work / f"kb-{size}-{args.backend}-s{args.seed}"
        saved = data_dir / "ingest.json"
        if args.reuse and saved.is_file():
            ingest = json.loads(saved.read_text()) | {"reused": True}
        else:
            runner.clear_dir(data_dir)
            data_dir.mkdir(parents=True)
            command = [
                "ingest",
                "--size", str(size),
                "--data-dir", str(data_dir),
                "--onnx-cache", str(onnx_cache),
                "--backend", args.backend,
                "--seed", str(args.seed),
            ]  # fmt: skip
            if args.derive_above and size > args.derive_above:
                source = work / f"kb-{args.derive_above}-{args.backend}-s{args.seed}"
                command += ["--vectors-from", str(source)]
            ingest = runner.run_child(command, saved)
        entry: dict[str, Any] = {"ingest": ingest}
        results["sizes"][str(size)] = entry

        container = runner.load_container(data_dir, backend=args.backend, onnx_cache=onnx_cache)
        snapshot = container.index_store.snapshot()
        assert snapshot is not None
        conversations = runner.conversations_for(snapshot, args.conversations, seed=101)
        warmup = runner.conversations_for(snapshot, 5, seed=5)
        with runner.ServerProcess(
            data_dir, backend=args.backend, onnx_cache=onnx_cache, log=work / f"server-{size}.log"
        ) as server:
            entry["ready_s"] = round(server.ready_s, 2)
            runner.drive_turns(server.url, warmup, 1)
            entry["http_1_client"] = runner.drive_turns(server.url, conversations, 1)
            more = runner.conversations_for(snapshot, args.conversations * 2, seed=202)
            entry["http_8_clients"] = runner.drive_turns(
                server.url, more, 8, server_cpu=server.cpu_seconds
            )
            entry["server_peak_rss_mb"] = round(server.peak_rss_mb(), 1)
        if size == 10_000 and runner.reachable_redis(args.redis):
            # Two uvicorn workers on this machine, events between them over Redis: the
            # same 8 clients, to set beside the one-process figure.
            with runner.ServerProcess(
                data_dir,
                backend=args.backend,
                onnx_cache=onnx_cache,
                log=work / f"server-{size}-2-workers.log",
                workers=2,
                redis_url=args.redis,
            ) as server:
                runner.drive_turns(server.url, warmup, 2)
                more = runner.conversations_for(snapshot, args.conversations * 2, seed=202)
                entry["http_8_clients_2_workers"] = runner.drive_turns(
                    server.url, more, 8, server_cpu=server.cpu_seconds
                )

        from eval.bench.corpus import generate_questions

        stage_questions = [c[0] for c in runner.conversations_for(snapshot, 40, seed=303)]
        entry["stages"] = runner.stage_timings(container, stage_questions)
        questions = generate_questions(snapshot.chunks, args.queries, seed=404)
        entry["retrieval"] = runner.compare_retrieval(container, snapshot, questions)
        if size == sizes[0]:
            from knowledge_base.chunking import indexed_text

            texts = [indexed_text(c) for c in snapshot.chunks[: args.quality_passages]]
            results["embedding"] = runner.embedding_quality(container, texts)
        if size == max(sizes) and do_million:
            import numpy as np

            np.save(work / "base.npy", np.asarray(snapshot.vectors, dtype=np.float32))
            vectors = container.embedder.embed_documents(
                [q.text for q in generate_questions(snapshot.chunks, 300, seed=505)]
            )
            np.save(work / "queries.npy", vectors)
        del container, snapshot

    if do_million:
        print(f"[bench] vector index alone, {args.million} vectors", file=sys.stderr, flush=True)
        results["million"] = runner.run_child(
            [
                "vectors",
                "--base", str(work / "base.npy"),
                "--queries", str(work / "queries.npy"),
                "--total", str(args.million),
            ],
            work / "million.json",
        )  # fmt: skip
    if args.million_from:
        results["million"] = json.loads(args.million_from.read_text())
    results["total_s"] = round(time.perf_counter() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=1))
    (out / "bench.md").write_text(report.markdown(results))
    report.plot(results, out / "bench.png")
    return results


if __name__ == "__main__":
    sys.exit(main())
