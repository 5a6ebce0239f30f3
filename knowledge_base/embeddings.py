"""Sentence embeddings: a small Protocol and two implementations of the same model.

* :class:`SentenceTransformerEmbedder` runs the model with sentence-transformers (torch).
* :class:`OnnxEmbedder` runs the same model with onnxruntime: exported from the model
  folder with ``torch.onnx`` on first use, its MatMul weights quantised to int8 (per
  channel), and cached on disk, so later starts import neither torch nor
  sentence-transformers. Its vectors have cosine ≥ 0.99 to the torch model's (see
  ``tests/eval/test_bench_embeddings.py``) at about 3-4x the speed.

:func:`make_embedder` picks one from a setting.

Kept as one module (about 500 lines): both implementations share the model identity and
the tokenisation, and the ONNX export is only readable beside the model it copies.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

EmbeddingBackend = Literal["torch", "onnx"]

# Bump when the export or quantisation recipe changes: cached models are keyed by it.
ONNX_RECIPE = "v2-opset17-eager-attention-matmul-int8-per-channel"
# Most tokens (padding included) in one onnx run, which still takes at least one text.
# Small runs keep a run's activations in its core's own cache: ~150-token passages,
# both cores, ran at 105-119 passages/s one to three at a time against 90-95 /s 27 at
# a time (the earlier 32 x 128 tokens), with the same cosine to the torch model.
ONNX_BATCH_TOKENS = 512
# Most texts in one onnx run (short texts such as queries fill a run's tokens slowly).
ONNX_BATCH_TEXTS = 256


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class _QueryCache:
    """An LRU of query vectors (earlier messages are folded into every follow-up)."""

    def __init__(self, size: int) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = size
        self._cache_lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        """One read-only query vector, from the cache when the text was seen recently."""
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = self.embed_documents([text])[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._cache[text] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure cold turns)."""
        with self._cache_lock:
            self._cache.clear()


def _model_name(path: Path) -> str:
    return path.name if path.name != "model" else path.parent.name


# What decides a model folder's vectors: weights, configuration and tokenizer files, in
# the folder itself and in the module folders ``modules.json`` lists (a Dense layer's
# weights count). Not its README, its .gitattributes, nor an ``onnx/`` or ``openvino/``
# export neither backend reads.
_IDENTITY_SUFFIXES = frozenset({".safetensors", ".bin", ".json", ".txt", ".model"})
FINGERPRINT_DIGITS = 12


def _identity_files(path: Path) -> list[Path]:
    folders = [path]
    modules = path / "modules.json"
    if modules.is_file():
        for module in json.loads(modules.read_text("utf-8")):
            folder = path / str(module.get("path", ""))
            if folder != path and folder.is_dir():
                folders.append(folder)
    return sorted(
        p
        for folder in folders
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix in _IDENTITY_SUFFIXES
    )


def model_fingerprint(model_path: str | Path) -> str:
    """The first 12 hex digits of a sha256 over the files that decide a model's vectors.

    Two folders with the same bytes get the same fingerprint wherever they are; one
    changed weight changes it. Hashing the bundled 90 MB model takes ~60 ms (~160 ms
    when the file is not in the page cache); it is done once per process for as long as
    no file's size or modification time changes.
    """
    path = Path(model_path).resolve()
    files = _identity_files(path)
    signature = tuple(
        (str(f.relative_to(path)), stat.st_size, stat.st_mtime_ns)
        for f, stat in ((f, f.stat()) for f in files)
    )
    return _fingerprint(path, signature)


@functools.lru_cache(maxsize=16)
def _fingerprint(path: Path, signature: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for relative, _size, _mtime in signature:
        with (path / relative).open("rb") as weights:
            file_hash = hashlib.file_digest(weights, "sha256").digest()
        digest.update(relative.encode("utf-8") + b"\0" + file_hash)
    return digest.hexdigest()[:FINGERPRINT_DIGITS]


def model_id(model_path: str | Path) -> str:
    """How the index and stored answer vectors name a model: folder name + fingerprint."""
    path = Path(model_path)
    return f"{_model_name(path)}-{model_fingerprint(path)}"


def _check_model_folder(path: Path) -> None:
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ValueError(f"{path} is not a sentence-transformers model folder")


class SentenceTransformerEmbedder(_QueryCache):
    """A local sentence-transformers model folder, loaded on first use, offline.

    Query vectors are cached (a citizen's earlier messages are folded into later
    queries, so the same text is embedded again on every follow-up).
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        batch_size: int = 32,
        threads: int = 0,
        query_cache_size: int = 4096,
    ) -> None:
        path = Path(model_path)
        _check_model_folder(path)
        super().__init__(query_cache_size)
        self.model_path = path
        self.batch_size = batch_size
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._name: str | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The folder's name and a fingerprint of its weights (see :func:`model_id`)."""
        if self._name is None:
            self._name = model_id(self.model_path)
        return self._name

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    import torch
                    from sentence_transformers import SentenceTransformer

                    if self.threads:
                        torch.set_num_threads(self.threads)
                    self._model = SentenceTransformer(
                        str(self.model_path), device="cpu", local_files_only=True
                    )
        return self._model

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:  # pragma: no cover - every sentence-transformers model reports one
            raise RuntimeError("the embedding model does not report its dimension")
        return int(dim)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def onnx_available() -> bool:
    """Whether onnxruntime (to run) and onnx (to export and quantise) are installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_cache_key(model_path: Path) -> str:
    """Model folder (path, weights size and time) + onnxruntime version + recipe."""
    import onnxruntime

    parts = [str(model_path.resolve()), onnxruntime.__version__, ONNX_RECIPE]
    for weights in sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("*.bin")):
        stat = weights.stat()
        parts.append(f"{weights.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def export_onnx(model_path: Path, target: Path, *, quantize: bool = True) -> Path:
    """Export the transformer of ``model_path`` to ONNX (int8 MatMuls if ``quantize``).

    The graph outputs the last hidden state; pooling and normalisation run in numpy.
    Written to a temporary name and renamed, so concurrent processes never see half
    a file. Needs torch, transformers, onnx and onnxruntime (only here, once).
    """
    import torch
    from transformers import AutoModel

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.fp32.onnx")
    # Plain (eager) attention: the export of torch's fused attention guards its softmax
    # with IsNaN/Where nodes that took ~9% of every run; the vectors are as close to the
    # torch model's (cosine 0.993 mean, 0.981 min on the sample sentences, both ways).
    model = AutoModel.from_pretrained(
        str(model_path), local_files_only=True, attn_implementation="eager"
    ).eval()

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    dummy = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHiddenState(model),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(partial),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
        )
    final_partial = target.with_name(f".{target.stem}.{os.getpid()}.onnx")
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Quantising the embedding Gather too drops cosine to ~0.96; MatMuls alone,
        # per channel, keep it at ~0.993 (measured on the sample knowledge base).
        quantize_dynamic(
            str(partial),
            str(final_partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        partial.unlink()
    else:
        os.replace(partial, final_partial)
    os.replace(final_partial, target)
    return target


class OnnxEmbedder(_QueryCache):
    """The same sentence-transformers model run by onnxruntime, int8 by default.

    Tokenises with the model's fast tokenizer (``tokenizer.json``), truncates at the
    model's ``max_seq_length``, mean-pools over real tokens and L2-normalises, as the
    model's ``modules.json`` (Transformer → Pooling(mean) → Normalize) prescribes.
    Batches are formed from texts of similar length, so little time goes on padding, and
    hold at most ``batch_tokens`` tokens (a few passages, or many short texts).

    Each run uses one CPU thread: for a query (a dozen tokens) a second thread costs more
    in hand-offs than it saves (measured: 3.5 ms of CPU and 2.6 ms of wall time with
    two, 1.8 ms of both with one), and concurrent turns already use the other cores.
    A long list of texts runs ``threads`` batches at a time instead (default: one per
    CPU), which embeds passages as fast as intra-op threads did.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        cache_dir: str | Path,
        batch_tokens: int = ONNX_BATCH_TOKENS,
        threads: int = 0,
        quantize: bool = True,
        query_cache_size: int = 4096,
    ) -> None:
        path = Path(model_path)
        _check_model_folder(path)
        if batch_tokens < 1:
            raise ValueError("batch_tokens must be at least 1")
        super().__init__(query_cache_size)
        self.model_path = path
        self.cache_dir = Path(cache_dir)
        self.batch_tokens = batch_tokens
        self.threads = threads
        self.quantize = quantize
        self._name: str | None = None
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._dimension = self._read_dimension()
        self.max_seq_length = self._read_max_seq_length()
        self._check_pooling()

    @property
    def name(self) -> str:
        """As the torch backend's, plus the runtime and the export recipe's version: the
        vectors of each differ slightly."""
        if self._name is None:
            kind = "int8" if self.quantize else "fp32"
            self._name = f"{model_id(self.model_path)}-onnx-{kind}-{ONNX_RECIPE.split('-')[0]}"
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    # sentence-transformers before 6 writes ``word_embedding_dimension`` and
    # ``pooling_mode_*_tokens``; 6 writes ``embedding_dimension`` and ``pooling_mode``.
    def _read_dimension(self) -> int:
        pooling = self.model_path / "1_Pooling" / "config.json"
        if pooling.is_file():
            config = json.loads(pooling.read_text())
            dimension = config.get("word_embedding_dimension", config.get("embedding_dimension"))
            if dimension is not None:
                return int(dimension)
        return int(json.loads((self.model_path / "config.json").read_text())["hidden_size"])

    def _read_max_seq_length(self) -> int:
        config = self.model_path / "sentence_bert_config.json"
        if config.is_file():
            return int(json.loads(config.read_text()).get("max_seq_length", 256))
        return 256

    def _check_pooling(self) -> None:
        pooling = self.model_path / "1_Pooling" / "config.json"
        if pooling.is_file():
            config = json.loads(pooling.read_text())
            modes = config.get("pooling_mode", "mean")
            mean = config.get("pooling_mode_mean_tokens", modes in ("mean", ["mean"]))
            if not mean:
                raise ValueError(f"{self.model_path}: only mean pooling is supported by onnx")

    @property
    def onnx_path(self) -> Path:
        """Where the exported model is cached."""
        kind = "int8" if self.quantize else "fp32"
        return (
            self.cache_dir
            / f"{_model_name(self.model_path)}-{onnx_cache_key(self.model_path)}"
            / (f"model.{kind}.onnx")
        )

    def load(self) -> None:
        """Export (first use only) and open the onnxruntime session and the tokenizer."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            target = self.onnx_path
            if not target.is_file():
                log.info("exporting %s to %s (first use only)", self.model_path, target)
                export_onnx(self.model_path, target, quantize=self.quantize)
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            parallel = self.threads or os.cpu_count() or 1
            if parallel > 1:
                self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="embed")
            tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=self.max_seq_length)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(
                str(target), options, providers=["CPUExecutionProvider"]
            )

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        batches = list(self._batches(lengths, order))

        def run(rows: np.ndarray) -> None:
            out[rows] = self._run(rows, encodings, lengths)

        if self._pool is None or len(batches) == 1:
            for rows in batches:
                run(rows)
        else:
            for done in [self._pool.submit(run, rows) for rows in batches]:
                done.result()
        return out

    def _batches(self, lengths: np.ndarray, order: np.ndarray) -> Iterator[np.ndarray]:
        """Runs of ``order`` (texts sorted by length): each padded to its longest text,
        at most ``batch_tokens`` tokens and ``ONNX_BATCH_TEXTS`` texts, at least one."""
        count = len(order)
        begin = 0
        while begin < count:
            end = begin + 1
            while (
                end < count
                and end - begin < ONNX_BATCH_TEXTS
                and (end + 1 - begin) * int(lengths[order[end]]) <= self.batch_tokens
            ):
                end += 1
            yield order[begin:end]
            begin = end

    def _run(self, rows: np.ndarray, encodings: list[Any], lengths: np.ndarray) -> np.ndarray:
        """Mean-pooled, normalised vectors of the texts at ``rows`` (one model run)."""
        width = int(lengths[rows].max())
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            n = int(lengths[row])
            ids[i, :n] = encodings[row].ids
            mask[i, :n] = 1
        hidden = self._session.run(
            None,
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled


def make_embedder(
    backend: EmbeddingBackend,
    model_path: str | Path,
    *,
    cache_dir: str | Path,
    batch_size: int = 32,
    threads: int = 0,
) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The embedder for a backend setting; onnx falls back to torch when not installed.

    ``batch_size`` is the torch backend's (texts per batch); the onnx backend forms its
    own small runs (see ``ONNX_BATCH_TOKENS``).
    """
    if backend == "onnx":
        if onnx_available():
            return OnnxEmbedder(model_path, cache_dir=cache_dir, threads=threads)
        log.warning("onnx or onnxruntime is not installed: using the torch embedding backend")
    return SentenceTransformerEmbedder(model_path, batch_size=batch_size, threads=threads)
