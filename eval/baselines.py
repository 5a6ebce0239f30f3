"""Baseline rankers over the same passages as the product, reading the question alone.

- ``bm25``: the product's own BM25 index and tokenisation.
- ``dense``: the product's own vectors and FAISS index.
- ``langchain_hybrid``: the usual LangChain build — a LangChain ``FAISS`` vector store
  (LangChain's own embeddings interface around the product's model) and a
  ``BM25Retriever`` (rank_bm25, whitespace tokens) in an ``EnsembleRetriever`` with
  equal weights, over the passage texts, chunk ids carried in metadata.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge_base.embeddings import Embedder
from knowledge_base.index_store import IndexSnapshot
from knowledge_base.lexical_index import tokenize


class ProductEmbeddings(Embeddings):
    """LangChain's embeddings interface, delegating to the product's embedder."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.embedder.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self.embedder.embed_query(text)))


def bm25_rows(snapshot: IndexSnapshot, question: str, k: int) -> list[int]:
    """Rows of the top ``k`` passages by the product's BM25 alone."""
    rows, _ = snapshot.lexical_index.search(tokenize([question])[0], k)
    return [int(r) for r in rows]


def dense_rows(snapshot: IndexSnapshot, embedder: Embedder, question: str, k: int) -> list[int]:
    """Rows of the top ``k`` passages by cosine to the question alone."""
    vector = np.asarray(embedder.embed_query(question), dtype=np.float32)
    rows, _ = snapshot.vector_index.search(vector, k)
    return [int(r) for r in rows]


class LangChainHybrid:
    """LangChain's usual hybrid retriever, built once over the passages."""

    def __init__(
        self, snapshot: IndexSnapshot, embedder: Embedder, *, k: int, texts: Sequence[str]
    ) -> None:
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

        ids = [c.chunk_id for c in snapshot.chunks]
        metadatas = [{"chunk_id": c.chunk_id, "doc_id": c.doc_id} for c in snapshot.chunks]
        embeddings = ProductEmbeddings(embedder)
        vectors = embeddings.embed_documents(list(texts))
        store = FAISS.from_embeddings(
            list(zip(texts, vectors, strict=True)), embeddings, metadatas=metadatas, ids=ids
        )
        bm25 = BM25Retriever.from_texts(list(texts), metadatas=metadatas, ids=ids, k=k)
        self.retriever = EnsembleRetriever(
            retrievers=[bm25, store.as_retriever(search_kwargs={"k": k})], weights=[0.5, 0.5]
        )
        self.k = k
        self._row = {chunk_id: row for row, chunk_id in enumerate(ids)}

    def rows(self, question: str) -> list[int]:
        documents = self.retriever.invoke(question)
        return [self._row[d.metadata["chunk_id"]] for d in documents][: self.k]
