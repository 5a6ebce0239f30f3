"""The measurements of ``make bench``; each heavy step runs in a process of its own.

* ``ingest`` (child process): generates a knowledge base of N passages and ingests it
  with the real :class:`~knowledge_base.ingest.Ingestor` → passages/s, peak RSS, disk.
* the server: ``uvicorn server:app`` in a child process over that data dir → time from
  process start to ``/readyz`` 200, chat-turn latency over HTTP (1 and 8 clients).
* in-process: stage timings of cold and warm turns, and retrieval alone against
  LangChain's usual hybrid (FAISS + BM25Retriever in an EnsembleRetriever).
* ``vectors`` (child process): the vector index alone at 1M passages.

Kept as one module (about 600 lines): it is the bench's script, read top to bottom in the
order the steps run; each step is one function, and the helpers they share sit beside them.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


# -- small measuring helpers ---------------------------------------------------------


def proc_status_mb(field: str, pid: int | str = "self") -> float:
    """``VmRSS`` / ``VmHWM`` (peak RSS) of a process, in MB, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(path: Path) -> float:
    """Bytes under ``path`` (files only), in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of a list of milliseconds, rounded."""
    if not values_ms:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan"), "n": 0}
    arr = np.asarray(values_ms, dtype=np.float64)
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "mean": round(float(arr.mean()), 2),
        "n": len(values_ms),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()),
    }


def bench_settings(data_dir: Path, *, backend: str, onnx_cache: Path) -> Any:
    """Settings of one benchmarked deployment (no sample ingest on an empty index)."""
    from assistant.settings import Settings

    return Settings(
        data_dir=data_dir,
        environment="production",
        secure_cookies=True,  # no staff sign-in here; production refuses plain-HTTP cookies
        embedding_backend=backend,
        onnx_cache_dir=onnx_cache,
        sample_kb_on_empty=False,
    )


# -- child: ingest -------------------------------------------------------------------


class DerivedEmbedder:
    """Passage vectors re-used from a smaller, really embedded knowledge base.

    For timing a large knowledge base on a slow machine only: the passage of section
    ``j`` of a document gets the real vector of section ``j`` of a document with the same
    sample source in the smaller base (another city), plus noise (σ 0.01 per dimension).
    Queries are embedded for real. Ingestion speed, recall and answers are not meaningful
    then.
    """

    def __init__(self, real: Any, source: Path, *, seed: int) -> None:
        from knowledge_base.index_store import IndexStore

        self.real = real
        snapshot = IndexStore(source / "index").snapshot()
        assert snapshot is not None
        self.vectors = np.asarray(snapshot.vectors, dtype=np.float32)
        self.by_key: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(snapshot.chunks):
            key = (chunk.doc_id.split("--")[0], chunk.section_path[-1].split(" (")[0])
            self.by_key.setdefault(key, []).append(row)
        self.rows = [r for rows in self.by_key.values() for r in rows]
        self.rng = np.random.default_rng(seed)
        self.name = real.name
        self.dimension = real.dimension
        self.pending: list[tuple[str, str]] = []
        self._next = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, _ in enumerate(texts):
            key = self.pending[self._next] if self._next < len(self.pending) else ("", "")
            self._next += 1
            rows = self.by_key.get(key) or self.rows
            out[i] = self.vectors[rows[int(self.rng.integers(len(rows)))]]
        out += self.rng.standard_normal(out.shape, dtype=np.float32) * 0.01
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


def child_ingest(
    size: int,
    data_dir: Path,
    *,
    backend: str,
    onnx_cache: Path,
    seed: int,
    vectors_from: Path | None = None,
) -> dict:
    """Generate and ingest ``size`` passages into ``data_dir``; figures as a dict."""
    from assistant.container import Container
    from eval.bench.corpus import generate_documents, iter_words

    started = time.perf_counter()
    documents = generate_documents(size, seed=seed)
    container = Container(bench_settings(data_dir, backend=backend, onnx_cache=onnx_cache))
    if vectors_from is not None:
        derived = DerivedEmbedder(container.embedder, vectors_from, seed=seed)
        derived.pending = [
            (c.doc_id.split("--")[0], c.section_path[-1].split(" (")[0])
            for c in container.ingestor.chunker.split_all(documents)
        ]
        container.ingestor.embedder = derived
    load_started = time.perf_counter()
    container.embedder.embed_query("warm up")  # model load (and export on first use)
    model_s = time.perf_counter() - load_started
    ingest_started = time.perf_counter()
    report = container.ingestor.ingest(documents)
    seconds = time.perf_counter() - ingest_started
    words = list(iter_words(documents))
    snapshot = container.index_store.snapshot()
    assert snapshot is not None and snapshot.path is not None
    return {
        "passages": report.chunks_total,
        "documents": len(documents),
        "words_per_passage_mean": round(statistics.mean(words), 1),
        "generate_s": round(load_started - started, 2),
        "model_load_s": round(model_s, 2),
        "ingest_s": round(seconds, 2),
        "passages_per_s": round(report.chunks_total / seconds, 1),
        "peak_rss_mb": round(proc_status_mb("VmHWM"), 1),
        "index_disk_mb": round(disk_mb(data_dir / "index"), 1),
        "embedder": container.embedder.name,
        "vectors": f"derived from {vectors_from.name} (timing only)" if vectors_from else "real",
    }


# -- child: the vector index alone at 1M ---------------------------------------------


def child_vectors(
    base_path: Path,
    queries_path: Path,
    *,
    total: int,
    hnsw_m: int,
    ef_construction: int,
    ef_search: int,
) -> dict:
    """Build HNSW over ``total`` vectors derived from real ones; memory, time, recall.

    Rows are the real passage vectors, then points between two real ones plus Gaussian
    noise, re-normalised (see ``derivation`` in the result). Recall@10 is against exact
    search; ``distance_recall_at_10`` also counts a hit exactly as close as the exact
    10th neighbour (near-duplicates make the exact ids partly arbitrary).
    """
    from knowledge_base.vector_index import VectorIndex

    base = np.asarray(np.load(base_path), dtype=np.float32)
    queries = np.asarray(np.load(queries_path), dtype=np.float32)
    rss_before = proc_status_mb("VmRSS")
    rng = np.random.default_rng(0)
    index = VectorIndex.build(
        np.zeros((0, base.shape[1]), dtype=np.float32),
        hnsw_threshold=-1,
        hnsw_m=hnsw_m,
        ef_construction=ef_construction,
        ef_search=ef_search,
    )
    top_scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    top_rows = np.zeros((len(queries), 10), dtype=np.int64)
    build_s = 0.0
    added = 0
    while added < total:
        batch = base[: total - added]
        if added:
            # a new point between two real passages, plus noise: spreads the copies over
            # the data's own manifold instead of piling near-duplicates on each vector
            partner = base[rng.integers(0, len(base), size=len(batch))]
            weight = rng.uniform(0.2, 0.6, size=(len(batch), 1)).astype(np.float32)
            sigma = rng.uniform(0.01, 0.03, size=(len(batch), 1)).astype(np.float32)
            batch = batch + weight * partner
            batch /= np.linalg.norm(batch, axis=1, keepdims=True)
            batch += rng.standard_normal(batch.shape, dtype=np.float32) * sigma
            batch /= np.linalg.norm(batch, axis=1, keepdims=True)
        # exact top 10 (ground truth), kept incrementally so no second copy is held
        scores = queries @ batch.T
        part = np.argpartition(-scores, 10, axis=1)[:, :10]
        merged_s = np.concatenate([top_scores, np.take_along_axis(scores, part, 1)], axis=1)
        merged_r = np.concatenate([top_rows, part + added], axis=1)
        keep = np.argsort(-merged_s, axis=1)[:, :10]
        top_scores = np.take_along_axis(merged_s, keep, 1)
        top_rows = np.take_along_axis(merged_r, keep, 1)
        started = time.perf_counter()
        index.add(np.ascontiguousarray(batch))
        build_s += time.perf_counter() - started
        added += len(batch)
        del batch, scores
    del base
    rss_after = proc_status_mb("VmRSS")
    latencies: list[float] = []
    recalls: list[float] = []
    score_recalls: list[float] = []
    for i, query in enumerate(queries):
        started = time.perf_counter()
        rows, _ = index.search(query, 10)
        latencies.append((time.perf_counter() - started) * 1000)
        recalls.append(len(set(rows.tolist()) & set(top_rows[i].tolist())) / 10)
        # tie-tolerant: a hit as close as the exact 10th neighbour (within 1e-3) counts
        found = queries[i] @ np.stack([index_vector(index, int(r)) for r in rows]).T
        score_recalls.append(float(np.mean(found >= top_scores[i, -1] - 1e-3)))
    sweep = {}
    for ef in (64, 128, 192, 256):  # what efSearch buys at this size
        index.ef_search = ef
        from knowledge_base.vector_index import faiss as untyped_faiss

        untyped_faiss.downcast_index(index._index).hnsw.efSearch = ef
        times, hits = [], []
        for i, query in enumerate(queries):
            started = time.perf_counter()
            rows, _ = index.search(query, 10)
            times.append((time.perf_counter() - started) * 1000)
            hits.append(len(set(rows.tolist()) & set(top_rows[i].tolist())) / 10)
        sweep[str(ef)] = {"recall_at_10": round(float(np.mean(hits)), 4)} | percentiles(times)
    return {
        "ef_search_sweep": sweep,
        "vectors": len(index),
        "index": f"HNSW-Flat M={hnsw_m} efConstruction={ef_construction} efSearch={ef_search}",
        "build_s": round(build_s, 1),
        "index_memory_mb": round(index.memory_bytes / 1e6, 1),
        "rss_after_build_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1),
        "peak_rss_mb": round(proc_status_mb("VmHWM"), 1),
        "query_ms": percentiles(latencies),
        "recall_at_10": round(float(np.mean(recalls)), 4),
        "distance_recall_at_10": round(float(np.mean(score_recalls)), 4),
        "queries": len(queries),
        "derivation": f"{len(queries)} real question vectors as queries; the real passage "
        "vectors of the largest knowledge base, then points v_i + w·v_j (w 0.2-0.6, j random) "
        "plus noise (σ 0.01-0.03 per dimension), re-normalised",
    }


def index_vector(index: Any, row: int) -> np.ndarray:
    """One stored vector of a FAISS index (flat or HNSW-flat storage)."""
    return np.asarray(index._index.reconstruct(row), dtype=np.float32)


def run_child(args: list[str], out: Path, *, timeout: float = 3600) -> dict:
    """Run ``python -m eval.bench <args> --out out`` and read its JSON."""
    command = [sys.executable, "-m", "eval.bench", *args, "--out", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, timeout=timeout)
    result: dict = json.loads(out.read_text())
    return result


# -- the server and HTTP turns -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """``uvicorn server:app`` in a child process; ``ready_s`` is start → /readyz 200."""

    def __init__(
        self,
        data_dir: Path,
        *,
        backend: str,
        onnx_cache: Path,
        log: Path,
        workers: int = 1,
        redis_url: str | None = None,
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            CA_DATA_DIR=str(data_dir),
            CA_EMBEDDING_BACKEND=backend,
            CA_ONNX_CACHE_DIR=str(onnx_cache),
            CA_SAMPLE_KB_ON_EMPTY="false",
            CA_ENVIRONMENT="production",
            CA_SECURE_COOKIES="true",
            # One client address sends every turn here; the limits have their own bench
            # (``eval.bench.flood``), this one measures turns.
            CA_CHAT_RATE_PER_ADDRESS="1000000/minute",
            CA_CHAT_RATE_PER_CONVERSATION="1000000/minute",
            CA_HANDOFFS_PER_ADDRESS="1000000/minute",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
        )
        if redis_url:  # several workers: live events cross them over Redis
            env["CA_REDIS_URL"] = redis_url
        self._log = log.open("w")
        self.command = [
            sys.executable, "-m", "uvicorn", "server:app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            "--workers", str(workers),
        ]  # fmt: skip
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_s = float("nan")

    def __enter__(self) -> ServerProcess:
        import httpx

        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = started + 600
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see log")
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    self.ready_s = time.perf_counter() - started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server did not become ready")

    def peak_rss_mb(self) -> float:
        assert self.process is not None
        return proc_status_mb("VmHWM", self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, its workers included (psutil)."""
        import psutil

        assert self.process is not None
        main = psutil.Process(self.process.pid)
        total = 0.0
        for process in [main, *main.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def reachable_redis(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def drive_turns(
    url: str,
    conversations: list[list[str]],
    clients: int,
    server_cpu: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Each client posts its share of conversations in turn; latency per turn, turns/s,
    and, given the server's CPU clock, the CPU each turn cost the server and the clients:
    on a machine that runs both, their sum bounds turns/s (cores x 1000 / ms per turn)."""
    import httpx

    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[str] = []

    def client(share: list[list[str]]) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            for conversation in share:
                session: str | None = None
                for message in conversation:
                    started = time.perf_counter()
                    response = http.post(
                        "/api/chat", json={"message": message, "session_id": session}
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                    body = response.json()
                    session = body["session_id"]
                    with lock:
                        latencies.append(elapsed)
                        statuses[body["status"]] += 1

    shares = [conversations[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    server_before = server_cpu() if server_cpu else 0.0
    client_before = time.process_time()
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    turns = max(len(latencies), 1)
    cpu: dict[str, float] = {}
    if server_cpu is not None:
        cpu = {
            "server_cpu_ms_per_turn": round(1000 * (server_cpu() - server_before) / turns, 2),
            "client_cpu_ms_per_turn": round(
                1000 * (time.process_time() - client_before) / turns, 2
            ),
        }
    return {
        "clients": clients,
        "turns": len(latencies),
        "latency_ms": percentiles(latencies),
        "turns_per_s": round(len(latencies) / wall, 1) if wall else float("nan"),
        "statuses": dict(statuses),
        "errors": errors[:5],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **cpu,
    }


def conversations_for(snapshot: Any, count: int, *, seed: int) -> list[list[str]]:
    """Two-turn conversations: a generated question, then a follow-up on another section."""
    import random

    from eval.bench.corpus import generate_questions

    rng = random.Random(seed)
    conversations = []
    for question in generate_questions(snapshot.chunks, count, seed=seed):
        rows = snapshot.rows_by_doc.get(question.doc_id)
        follow = "How much does it cost?"
        if rows is not None and len(rows) > 1:
            other = snapshot.chunks[int(rng.choice(rows.tolist()))]
            section = other.section_path[-1].lower()
            service, _, city = other.title.rpartition(" (")
            template = rng.choice(_FOLLOW_UPS)
            follow = template.format(s=section, t=service.lower(), c=city.rstrip(")"))
        conversations.append([question.text, follow])
    return conversations


# A follow-up names its page's service or city as well as the section, as citizens vary
# their words: "And what about get help?" alone came back 18 times in 200 conversations
# (pages share section headings), each repeat finding its vector in the query cache.
_FOLLOW_UPS = (
    "And what about {s}?",
    "And what about {s} in {c}?",
    "What about {s} for {t}?",
    "And {s}, for {t} in {c}?",
)


# -- in process: stage timings and retrieval vs LangChain -----------------------------


def stage_timings(container: Any, questions: list[str]) -> dict[str, Any]:
    """Per-stage mean ms of cold turns, then of the same turns again (warm caches)."""
    from assistant.turns import InboundMessage

    assistant = container.ephemeral_assistant()
    result: dict[str, Any] = {}
    for label in ("cold", "warm"):
        per_stage: dict[str, list[float]] = {}
        totals: list[float] = []
        for text in questions:
            started = time.perf_counter()
            reply = assistant.handle(InboundMessage(channel="web", text=text))
            totals.append((time.perf_counter() - started) * 1000)
            for stage, ms in reply.timings_ms.items():
                per_stage.setdefault(stage, []).append(ms)
        result[label] = {
            "turn_ms": percentiles(totals),
            "stage_mean_ms": {k: round(statistics.mean(v), 2) for k, v in per_stage.items()},
        }
    return result


def _recalls(hits: list[str], question: Any, chunk_section: dict[str, tuple[str, str]]) -> tuple:
    exact = question.chunk_id in hits
    base = question.doc_id.split("--")[0]
    same = any(chunk_section.get(h) == (base, question.section) for h in hits)
    return exact, same


def compare_retrieval(container: Any, snapshot: Any, questions: list[Any]) -> dict[str, Any]:
    """Our hybrid retriever vs LangChain's FAISS + BM25Retriever ensemble, same vectors."""
    import warnings

    import faiss
    from langchain_core.documents import Document as LCDocument
    from langchain_core.embeddings import Embeddings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.docstore.in_memory import InMemoryDocstore
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

    from knowledge_base.chunking import indexed_text
    from knowledge_base.retriever import RetrievalQuery

    embedder = container.embedder

    class SameModel(Embeddings):
        """LangChain Embeddings over the very same embedder (no query cache)."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_documents([text])[0].tolist()

    chunks = snapshot.chunks
    texts = [indexed_text(c) for c in chunks]
    ids = [c.chunk_id for c in chunks]
    build_started = time.perf_counter()
    flat = faiss.IndexFlatL2(snapshot.vectors.shape[1])  # what FAISS.from_embeddings builds
    flat.add(np.ascontiguousarray(snapshot.vectors, dtype=np.float32))
    docstore = InMemoryDocstore(
        {i: LCDocument(page_content=t, id=i) for i, t in zip(ids, texts, strict=True)}
    )
    vector_store = FAISS(SameModel(), flat, docstore, dict(enumerate(ids)))
    bm25 = BM25Retriever.from_texts(texts, ids=ids, k=10)
    ensemble = EnsembleRetriever(
        retrievers=[vector_store.as_retriever(search_kwargs={"k": 10}), bm25],
        weights=[0.5, 0.5],
    )
    langchain_build_s = time.perf_counter() - build_started
    chunk_section = {c.chunk_id: (c.doc_id.split("--")[0], c.section_path[-1]) for c in chunks}

    ours_ms, lc_ms = [], []
    ours_hits, lc_hits = [], []
    ensemble.invoke("warm up")
    if hasattr(embedder, "clear_cache"):
        embedder.clear_cache()
    container.retriever.retrieve_from(snapshot, RetrievalQuery(text="warm up"), k=10)
    for question in questions:
        started = time.perf_counter()
        result = container.retriever.retrieve_from(
            snapshot, RetrievalQuery(text=question.text), k=10
        )
        ours_ms.append((time.perf_counter() - started) * 1000)
        ours_hits.append(_recalls([h.chunk.chunk_id for h in result.hits], question, chunk_section))
        started = time.perf_counter()
        documents = ensemble.invoke(question.text)[:10]
        lc_ms.append((time.perf_counter() - started) * 1000)
        lc_hits.append(_recalls([str(d.id) for d in documents], question, chunk_section))
    ours, langchain = percentiles(ours_ms), percentiles(lc_ms)
    return {
        "queries": len(questions),
        "ours_ms": ours,
        "langchain_ms": langchain,
        "speedup_p50": round(langchain["p50"] / ours["p50"], 1),
        "speedup_mean": round(langchain["mean"] / ours["mean"], 1),
        "ours_recall_at_10": round(float(np.mean([e for e, _ in ours_hits])), 3),
        "langchain_recall_at_10": round(float(np.mean([e for e, _ in lc_hits])), 3),
        "ours_section_recall_at_10": round(float(np.mean([s for _, s in ours_hits])), 3),
        "langchain_section_recall_at_10": round(float(np.mean([s for _, s in lc_hits])), 3),
        "langchain_build_s": round(langchain_build_s, 1),
    }


def embedding_quality(container: Any, texts: list[str]) -> dict[str, Any]:
    """The configured embedder against the torch reference: cosine and query speed."""
    from knowledge_base.embeddings import SentenceTransformerEmbedder

    settings = container.settings
    reference = SentenceTransformerEmbedder(settings.resolved_embedding_model, threads=0)
    ours = container.embedder
    a = ours.embed_documents(texts)
    b = reference.embed_documents(texts)
    cosines = (a * b).sum(axis=1)

    def query_ms(embedder: Any) -> float:
        embedder.embed_documents(["warm up"])
        times = []
        for text in texts[:50]:
            started = time.perf_counter()
            embedder.embed_documents([text[:80]])
            times.append((time.perf_counter() - started) * 1000)
        return round(float(np.median(times)), 2)

    return {
        "embedder": ours.name,
        "reference": reference.name + " (sentence-transformers, torch fp32)",
        "passages": len(texts),
        "cosine_mean": round(float(cosines.mean()), 4),
        "cosine_min": round(float(cosines.min()), 4),
        "short_query_ms": query_ms(ours),
        "short_query_ms_reference": query_ms(reference),
    }


def load_container(data_dir: Path, *, backend: str, onnx_cache: Path) -> Any:
    """A fresh container over a benchmark data dir (cold caches)."""
    from assistant.container import Container

    return Container(bench_settings(data_dir, backend=backend, onnx_cache=onnx_cache))


def clear_dir(path: Path) -> None:
    """Remove a folder if present."""
    shutil.rmtree(path, ignore_errors=True)
