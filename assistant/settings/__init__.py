"""Settings: environment variables prefixed ``CA_``, or an optional ``.env``-style file.

Every field carries a description; ``tests/assistant/test_settings.py`` fails when one
does not, and the README's settings table is generated from these descriptions
(``python -m assistant.settings``).

The fields are grouped by concern, one small class each, in the modules of this package;
:class:`Settings` inherits them all. They are composed by inheritance rather than as
nested models because pydantic-settings reads a nested model from
``CA_<GROUP>__<FIELD>`` (or from one JSON variable per group), which would rename every
variable deployments already set; inherited, each stays ``CA_`` plus the field name.
The groups are plain pydantic models, so only :class:`Settings` reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.settings.answers import AnswerSettings, CannedReplySettings
from assistant.settings.deployment import DeploymentSettings
from assistant.settings.editing import EditingSettings
from assistant.settings.handoff import HandoffSettings
from assistant.settings.indexing import EmbeddingSettings, IndexingSettings

# Kept importable from here: tests load the bundled embedding model through it.
from assistant.settings.indexing import _default_model_path as _default_model_path
from assistant.settings.llm import GuardrailSettings, LlmSettings
from assistant.settings.retrieval import RetrievalSettings
from assistant.settings.security import SecuritySettings
from assistant.settings.sms import SmsSettings


# Pydantic orders the fields from the last base to the first, so the groups are listed
# last to first: the fields, and the README table made from them, keep their order.
class Settings(
    SecuritySettings,
    HandoffSettings,
    SmsSettings,
    CannedReplySettings,
    GuardrailSettings,
    LlmSettings,
    AnswerSettings,
    RetrievalSettings,
    IndexingSettings,
    EmbeddingSettings,
    EditingSettings,
    DeploymentSettings,
    BaseSettings,
):
    """All the knobs of one deployment."""

    model_config = SettingsConfigDict(
        env_prefix="CA_",
        env_file=None,
        extra="ignore",
        validate_default=True,
    )

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

    @property
    def resolved_onnx_cache_dir(self) -> Path:
        return self.onnx_cache_dir or self.data_dir / "models"


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
        value = field.get_default(call_default_factory=True)  # {} for team routes
        default = value if value not in (None, "") else "—"
        rows.append(f"| `CA_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)
