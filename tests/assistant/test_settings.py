"""Every setting is documented, and bad values are refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings


def test_every_setting_has_a_description() -> None:
    undocumented = [
        name for name, field in Settings.model_fields.items() if not (field.description or "")
    ]
    assert not undocumented, f"settings without a description: {undocumented}"


def test_every_setting_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [
        f"CA_{name.upper()}" for name in Settings.model_fields if f"CA_{name.upper()}" not in readme
    ]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_settings_come_from_ca_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CA_CHUNK_SIZE", "500")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.chunk_size == 500
    assert settings.resolved_database_url.endswith(str(tmp_path / "assistant.db"))


def test_nonsense_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CA_CHUNK_SIZE", "5")
    with pytest.raises(ValidationError, match="chunk_size"):
        Settings()


def test_an_embedding_model_must_be_a_local_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a folder"):
        Settings(embedding_model=str(tmp_path / "nowhere"))


def test_production_refuses_staff_cookies_over_plain_http() -> None:
    with pytest.raises(ValidationError, match="CA_SECURE_COOKIES"):
        Settings(environment="production")
    assert Settings(environment="production", secure_cookies=True).secure_cookies
