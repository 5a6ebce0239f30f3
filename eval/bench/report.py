"""The bench's Markdown table (targets, met or not) and its PNG plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _get(data: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """``(what, target, measured, met)``; ``met`` is None when not measured in this run."""
    sizes = results.get("sizes", {})
    rows: list[tuple[str, str, str, bool | None]] = []

    def row(what: str, target: str, value: Any, ok: Any, fmt: str = "{}") -> None:
        if value is None:
            rows.append((what, target, "not measured", None))
        else:
            rows.append((what, target, fmt.format(value), bool(ok(value))))

    one = _get(sizes, "100000", "http_1_client", "latency_ms")
    row("turn p50, 1 client, 100k", "≤ 15 ms", one and one["p50"], lambda v: v <= 15, "{} ms")
    row("turn p95, 1 client, 100k", "≤ 40 ms", one and one["p95"], lambda v: v <= 40, "{} ms")
    row(
        "turns/s, 8 clients, 10k",
        "≥ 150",
        _get(sizes, "10000", "http_8_clients", "turns_per_s"),
        lambda v: v >= 150,
    )
    row(
        "turns/s, 8 clients, 10k, 2 workers + Redis",
        "≥ 250",
        _get(sizes, "10000", "http_8_clients_2_workers", "turns_per_s"),
        lambda v: v >= 250,
    )
    retrieval = _get(sizes, "100000", "retrieval")
    row(
        "retrieval vs LangChain hybrid, 100k (p50 ratio)",
        "≥ 10x",
        retrieval and retrieval["speedup_p50"],
        lambda v: v >= 10,
        "{}x",
    )
    derived = _get(sizes, "100000", "ingest", "vectors") not in (None, "real")
    if retrieval is None or derived:
        rows.append(
            (
                "recall@10 ours / LangChain, 100k",
                "ours ≥ LangChain",
                "derived vectors: see 10k" if derived else "not measured",
                None,
            )
        )
    else:
        ours, theirs = retrieval["ours_recall_at_10"], retrieval["langchain_recall_at_10"]
        rows.append(
            ("recall@10 ours / LangChain, 100k", "ours ≥ LangChain", f"{ours} / {theirs}",
             ours >= theirs)
        )  # fmt: skip
    real = [s for s, e in sizes.items() if e.get("ingest", {}).get("vectors", "real") == "real"]
    biggest = max(real, key=int) if real else None
    ingest = _get(sizes, biggest or "", "ingest")
    row(
        f"ingestion, ~100-word passages ({biggest})",
        "≥ 150 /s",
        ingest and ingest["passages_per_s"],
        lambda v: v >= 150,
        "{} /s",
    )
    embedding = results.get("embedding")
    row(
        "embedding cosine to torch model (mean / min)",
        "≥ 0.99",
        embedding and (embedding["cosine_mean"], embedding["cosine_min"]),
        lambda v: v[0] >= 0.99,
        "{0[0]} / {0[1]}",
    )
    million = results.get("million")
    row(
        "1M vectors: RSS after build",
        "≤ 3 GB",
        million and million["rss_after_build_mb"],
        lambda v: v <= 3000,
        "{} MB",
    )
    row(
        "1M vectors: query p95",
        "≤ 20 ms",
        million and million["query_ms"]["p95"],
        lambda v: v <= 20,
        "{} ms",
    )
    row(
        "1M vectors: recall@10 vs exact",
        "≥ 0.95",
        million and million["recall_at_10"],
        lambda v: v >= 0.95,
    )
    row(
        "start to /readyz 200, 100k",
        "≤ 5 s",
        _get(sizes, "100000", "ready_s"),
        lambda v: v <= 5,
        "{} s",
    )
    return rows


_EIGHT_CLIENT_RUNS = (("http_8_clients", "one process"), ("http_8_clients_2_workers", "2 workers"))


def markdown(results: dict[str, Any]) -> str:
    """The report: targets first, then every figure per size."""
    m = results.get("machine", {})
    lines = [
        "# Citizen Assistant — bench",
        "",
        f"Machine: {m.get('nproc')} CPUs, {m.get('cpu')}, Python {m.get('python')}; "
        f"load average at start {m.get('load_average_at_start')}. "
        f"Embedding backend: {results.get('backend')}. Total time: {results.get('total_s')} s.",
        "",
        "## Targets",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
    ]
    for what, target, measured, ok in targets(results):
        mark = "—" if ok is None else ("yes" if ok else "**no**")
        lines.append(f"| {what} | {target} | {measured} | {mark} |")
    lines += [
        "",
        "## Per knowledge-base size",
        "",
        "| passages | vectors | ingest /s | ingest peak RSS MB | index on disk MB | ready s "
        "| turn p50/p95 ms (1 client) | turn p50/p95 ms (8 clients) | turns/s (8) "
        "| server peak RSS MB | retrieval p50 ms ours / LangChain | speed-up "
        "| recall@10 ours / LC | section recall@10 ours / LC |",
        "|" + "---|" * 14,
    ]
    complete = {
        size: e
        for size, e in results.get("sizes", {}).items()
        if {"ingest", "retrieval", "http_1_client", "http_8_clients", "stages"} <= set(e)
    }
    for size, e in complete.items():
        i, r = e["ingest"], e["retrieval"]
        one, eight = e["http_1_client"], e["http_8_clients"]
        lines.append(
            f"| {int(size):,} | {i.get('vectors', 'real')} | {i['passages_per_s']} "
            f"| {i['peak_rss_mb']} | {i['index_disk_mb']} "
            f"| {e['ready_s']} | {one['latency_ms']['p50']} / {one['latency_ms']['p95']} "
            f"| {eight['latency_ms']['p50']} / {eight['latency_ms']['p95']} "
            f"| {eight['turns_per_s']} | {e['server_peak_rss_mb']} "
            f"| {r['ours_ms']['p50']} / {r['langchain_ms']['p50']} | {r['speedup_p50']}x "
            f"| {r['ours_recall_at_10']} / {r['langchain_recall_at_10']} "
            f"| {r['ours_section_recall_at_10']} / {r['langchain_section_recall_at_10']} |"
        )
    lines += ["", "## 8 clients: CPU a turn costs, and how busy the machine was", ""]
    for size, e in results.get("sizes", {}).items():
        for key, label in _EIGHT_CLIENT_RUNS:
            run = e.get(key)
            if run and "server_cpu_ms_per_turn" in run:
                load = run.get("load_average")
                lines.append(
                    f"- {int(size):,}, {label}: {run['turns_per_s']} turns/s, p50 / p95 "
                    f"{run['latency_ms']['p50']} / {run['latency_ms']['p95']} ms, server "
                    f"{run['server_cpu_ms_per_turn']} + clients {run['client_cpu_ms_per_turn']} "
                    "ms CPU a turn" + (f", load average {load[0]} → {load[1]}" if load else "")
                )
    lines += ["", "## Where a turn's time goes (in-process, mean ms per stage)", ""]
    for size, e in complete.items():
        for label in ("cold", "warm"):
            s = e["stages"][label]
            stages = ", ".join(f"{k} {v}" for k, v in s["stage_mean_ms"].items())
            lines.append(f"- {int(size):,}, {label}: turn p50 {s['turn_ms']['p50']} ms — {stages}")
    embedding = results.get("embedding")
    if embedding:
        lines += [
            "",
            f"Embedder `{embedding['embedder']}` vs {embedding['reference']} on "
            f"{embedding['passages']} passages: cosine mean {embedding['cosine_mean']}, min "
            f"{embedding['cosine_min']}; one short query {embedding['short_query_ms']} ms vs "
            f"{embedding['short_query_ms_reference']} ms.",
        ]
    million = results.get("million")
    if million and "vectors" in million:
        lines += [
            "",
            f"Vector index alone: {million['vectors']:,} vectors, {million['index']}; build "
            f"{million['build_s']} s; index {million['index_memory_mb']} MB, process RSS after "
            f"build {million['rss_after_build_mb']} MB (peak {million['peak_rss_mb']} MB); query "
            f"p50/p95 {million['query_ms']['p50']} / {million['query_ms']['p95']} ms; recall@10 "
            f"{million['recall_at_10']} (distance-tolerant "
            f"{million.get('distance_recall_at_10', '—')}) over {million['queries']} queries. "
            "Vectors: "
            f"{million['derivation']}.",
        ]
    lines += [
        "",
        "Notes: LangChain's hybrid is FAISS (IndexFlatL2, as `FAISS.from_embeddings` builds) "
        "+ `BM25Retriever` (rank_bm25) in an `EnsembleRetriever` with equal weights, k=10 each, "
        "over the same passage texts and vectors, with an `Embeddings` wrapper on the same "
        "embedder; both embed the question in the timed part. Recall@10: the passage the "
        "question was generated from is in the top 10; section recall: any variant of the "
        "same sample section is. " + str(results.get("caches", "")),
        "",
    ]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    """Turn latency and retrieval time against knowledge-base size (log axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results.get("sizes", {}), key=int)
    xs = [int(s) for s in sizes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("http_1_client", "1 client"), ("http_8_clients", "8 clients")):
        for stat, style in (("p50", "-o"), ("p95", "--o")):
            ys = [results["sizes"][s][key]["latency_ms"][stat] for s in sizes]
            left.plot(xs, ys, style, label=f"{label} {stat}")
    left.set(xscale="log", yscale="log", xlabel="passages", ylabel="ms", title="Chat turn (HTTP)")
    left.legend(fontsize=8)
    for who, label in (("ours_ms", "ours"), ("langchain_ms", "LangChain hybrid")):
        ys = [results["sizes"][s]["retrieval"][who]["p50"] for s in sizes]
        right.plot(xs, ys, "-o", label=f"{label} p50")
    right.set(xscale="log", yscale="log", xlabel="passages", ylabel="ms", title="Retrieval")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
