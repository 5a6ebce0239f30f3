"""The product's hybrid retriever as a LangChain ``BaseRetriever``, for chains and agents.

It lives apart from ``knowledge_base.retriever``: importing langchain_core costs about
half a second of every start-up, and the product's own turns never use it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge_base.retriever import HybridRetriever, RetrievalQuery


class KnowledgeBaseRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain ``BaseRetriever``, for chains and agents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    filters: dict[str, Any] | None = None
    k: int | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LangChainDocument]:
        result = self.retriever.retrieve(RetrievalQuery(text=query, filters=self.filters), k=self.k)
        return [
            LangChainDocument(
                page_content=hit.chunk.text,
                id=hit.chunk.chunk_id,
                metadata={
                    "doc_id": hit.chunk.doc_id,
                    "title": hit.chunk.title,
                    "url": hit.chunk.url,
                    "section": hit.chunk.section,
                    "agency": hit.chunk.agency,
                    "topic": hit.chunk.topic,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "score": hit.score,
                },
            )
            for hit in result.hits
        ]
