"""The one document-metadata model: what editors type is checked, what files carry is salvaged."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from knowledge_base.metadata import DocumentMetadata, InvalidMetadata


def test_typed_values_are_trimmed_and_dates_written_as_dates() -> None:
    checked = DocumentMetadata.checked(
        {"agency": "  Fairhaven\tDMV ", "url": "https://dmv.example/renew", "colour": "blue",
         "last_reviewed": "2026-03-31T10:00", "language": "es-MX", "topic": ""}
    )  # fmt: skip
    assert checked.given() == {
        "agency": "Fairhaven DMV",
        "url": "https://dmv.example/renew",
        "last_reviewed": "2026-03-31",
        "language": "es-MX",
        "topic": "",  # an empty value clears the field in an edit
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"review_due": "soon"}, "Review due must be a date like 2026-03-31."),
        ({"last_reviewed": "31/03/2026"}, "Last reviewed must be a date like 2026-03-31."),
        ({"url": "javascript:alert(1)"}, "The link must start with https:// or http://."),
        ({"url": "https://"}, "The link must start with https:// or http://."),
        ({"language": "not a language!"}, "Language must be a code such as en or es."),
        ({"agency": "A" * 201}, "agency is too long (at most 200 characters)."),
    ],
)
def test_a_bad_typed_value_is_refused_with_a_message_for_the_editor(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidMetadata) as refused:
        DocumentMetadata.checked(values)
    assert str(refused.value) == message


def test_values_from_a_file_are_salvaged_with_a_warning_for_each_left_out() -> None:
    salvaged, warnings = DocumentMetadata.salvaged(
        {"agency": "Parks\x00 Dept", "url": "ftp://x.example", "review_due": "next week",
         "language": "es", "topic": "   "}
    )  # fmt: skip
    assert salvaged.given() == {"agency": "Parks Dept", "language": "es"}
    assert len(warnings) == 2
    assert "only web addresses starting with https://" in warnings[0]
    assert "write dates as YYYY-MM-DD" in warnings[1]


def test_the_shape_is_what_the_editor_api_accepts() -> None:
    with pytest.raises(ValidationError):
        DocumentMetadata.model_validate({"agency": 7})
    with pytest.raises(ValidationError):
        DocumentMetadata.model_validate({"language": "x" * 21})
