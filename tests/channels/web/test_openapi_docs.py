"""docs/openapi.json is the API's reference: it must be what the app serves, and say what
every operation answers."""

from __future__ import annotations

from pathlib import Path

from channels.web.openapi import published_schema, render

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_the_committed_schema_is_what_the_app_serves() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(published_schema()), (
        "docs/openapi.json is stale: run `make openapi` and commit it"
    )


def test_every_operation_says_what_its_success_answer_is() -> None:
    undocumented = []
    for path, operations in published_schema()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                schemas = [c.get("schema") for c in response.get("content", {}).values()]
                # FastAPI writes an empty schema for a route that declares no model.
                if not schemas or any(not schema for schema in schemas):
                    undocumented.append(f"{method.upper()} {path} {status}")
    assert undocumented == []


def test_every_json_error_a_route_declares_has_a_body_schema() -> None:
    for path, operations in published_schema()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status.startswith("4") and "application/json" in content:
                    assert content["application/json"].get("schema"), (method, path, status)
