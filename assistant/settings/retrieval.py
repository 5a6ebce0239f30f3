"""Retrieval settings: how passages are found and fused for a message, follow-ups included."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetrievalSettings(BaseModel):
    """Candidates, fusion weights, and how much of the conversation a follow-up's query takes in."""

    retrieval_top_k: int = Field(
        8, ge=1, le=100, description="Passages handed to the composer per turn."
    )
    retrieval_candidates: int = Field(
        50, ge=1, le=1000, description="Candidates taken from each index before fusion."
    )
    rrf_k: int = Field(20, ge=1, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    history_turns: int = Field(
        12,
        ge=0,
        le=20,
        description="Earlier messages (citizen and answered) folded into a follow-up's query.",
    )
    history_weight: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Weight of the conversation history against the latest message in retrieval.",
    )
    standalone_history_weight: float = Field(
        0.6,
        ge=0,
        le=1,
        description="History weight for a question with its own topic words (at least "
        "`CA_STANDALONE_TERMS`) that the page the conversation is on does not contain: a "
        "change of subject.",
    )
    standalone_terms: int = Field(
        2, ge=1, le=20, description="Content words from which a question counts as standalone."
    )
    dense_question_weight: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of the dense weight given to the question alone (times one minus "
        "the history weight) in a conversation.",
    )
    spanish_dense_weight: float = Field(
        0.0,
        ge=0,
        description="Weight of the dense ranking for a Spanish question (the default "
        "embedding model is English-only; 0 measured best on the Spanish question set, see the "
        "README).",
    )
    focus_weight: float = Field(
        0.5,
        ge=0,
        le=5,
        description="Weight of the document the last answer came from, for follow-ups.",
    )
