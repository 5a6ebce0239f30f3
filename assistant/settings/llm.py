"""Language model settings: an agency's own model, through LangChain, for generated answers.

With ``CA_LLM_PROVIDER=none`` (the default) nothing here is read and no model client is
imported: answers are quoted from the sources by the extractive composer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

# Tokens a generated answer may use, per channel: an SMS reply is read on a phone in two
# segments (~300 characters, ~80 tokens) before the link to the rest, so it gets less.
DEFAULT_TOKEN_BUDGETS = {"web": 400, "sms": 160, "whatsapp": 240, "rasa": 300, "default": 300}


class LlmSettings(BaseModel):
    """Which model writes answers, how long it may take, and how its answers are checked."""

    llm_provider: Literal["none", "openai", "ollama"] = Field(
        "none",
        description="Who writes answers: `none` (quoted from the sources, no model), "
        "`openai` (any OpenAI-compatible server: vLLM, llama.cpp's server, Azure, OpenAI) "
        "or `ollama`.",
    )
    llm_base_url: str | None = Field(
        None,
        description="The model server's address, e.g. `http://127.0.0.1:8080/v1` "
        "(OpenAI-compatible) or `http://127.0.0.1:11434` (Ollama).",
    )
    llm_model: str = Field("", description="The model's name as its server knows it.")
    llm_api_key: SecretStr | None = Field(
        None, description="The model server's API key, if it wants one (never logged)."
    )
    llm_timeout_seconds: float = Field(
        8.0,
        gt=0,
        le=120,
        description="Longest wait for a generated answer, whole; past it the quoted answer "
        "is sent instead.",
    )
    llm_token_budgets: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TOKEN_BUDGETS),
        description="Most tokens a generated answer may use, per channel, as JSON "
        '(`default` for channels not named), e.g. {"web": 400, "sms": 160}.',
    )
    llm_sources: int = Field(
        5, ge=1, le=20, description="Retrieved passages given to the model as numbered sources."
    )
    # 0.51: the best separation (Youden's J) on half A of doc2dial's agent replies; on
    # half B it keeps 86% of replies against the passage that grounds them and passes 16%
    # against passages that do not (2% of another page's, 30% of the same page's).
    llm_min_support: float = Field(
        0.51,
        ge=0,
        le=1,
        description="Support score (lexical and meaning overlap with the cited source) a "
        "generated sentence needs to be kept; chosen on doc2dial "
        "(`python -m eval.grounding`).",
    )
    llm_min_kept: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of a generated answer's sentences that must pass the support "
        "check; below it the quoted answer is sent instead.",
    )

    llm_rephrase: Literal["off", "alone", "folded"] = Field(
        "off",
        description="Whether the model rewrites a follow-up as a standalone question for "
        "retrieval: `alone` searches with the rewrite instead of the folded-in "
        "conversation, `folded` with both. Off until `python -m eval.rephrase` shows, for "
        "the agency's model, that it beats history folding on doc2dial.",
    )

    @model_validator(mode="after")
    def _a_model_is_named(self) -> LlmSettings:
        if self.llm_provider == "none":
            return self
        if not self.llm_model.strip():
            raise ValueError(f"CA_LLM_PROVIDER={self.llm_provider} needs CA_LLM_MODEL")
        if self.llm_provider == "openai" and not (self.llm_base_url or "").strip():
            raise ValueError("CA_LLM_PROVIDER=openai needs CA_LLM_BASE_URL")
        if any(v < 16 for v in self.llm_token_budgets.values()):
            raise ValueError("CA_LLM_TOKEN_BUDGETS: each budget must be at least 16 tokens")
        return self

    def token_budget(self, channel: str) -> int:
        """The channel's budget: as configured, else as by default (a deployment that sets
        only ``web`` keeps SMS at 160), else the configured or default ``default``."""
        budgets = {**DEFAULT_TOKEN_BUDGETS, **self.llm_token_budgets}
        return budgets.get(channel, budgets["default"])


class GuardrailSettings(BaseModel):
    """What no answer may say, whoever wrote it."""

    forbidden_terms: list[str] = Field(
        default_factory=list,
        description="Words or phrases no answer may contain, as a JSON list (checked on "
        "every outgoing answer, quoted or generated; one found, the answer is not sent).",
    )
