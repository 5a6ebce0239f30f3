"""The app's OpenAPI schema: what FastAPI leaves out of it, and the copy in docs/openapi.json.

``make openapi`` (``python -m channels.web.openapi``) rewrites docs/openapi.json; a test
fails while the committed copy differs from what the app serves.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

_UNPARSABLE = {
    "description": "The body could not be parsed (not well-formed JSON or form data).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


_TOO_LARGE = {
    "description": "The body is over the limit (CA_REQUEST_BODY_MAX_KB; the editor API: "
    "CA_UPLOAD_MAX_MB), refused while it arrived.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


_HEADERS_TOO_LARGE = {
    "description": "The request's head (path, query and headers together) is over the limit "
    "(CA_REQUEST_HEADER_MAX_KB). `serve` stops reading it and answers 400 with no body; "
    "behind another server the app answers 431.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}
_NOT_UNICODE = "The body is not valid Unicode: not UTF-8, or a lone surrogate (\\ud800) in JSON."
_NOT_UNICODE_RESPONSE = {
    "description": _NOT_UNICODE,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvalidOut"}}},
}
# Bodies ``RequestLimits`` leaves to the route to decode (forms, uploads).
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def document_parse_errors(app: FastAPI) -> None:
    """Every operation lists the statuses ``channels.limits.RequestLimits`` and FastAPI
    answer before any handler runs, so the schema names every status a client can get:
    431 for a head over the limit (any request); for a body, 400 when it cannot be parsed,
    413 when it is too large, and 422 when a JSON or text body is not valid Unicode.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:  # a JSON document (the OpenAPI schema), as FastAPI's
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # FastAPI caches this very dict on the app: completed once
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                responses.setdefault("431", _HEADERS_TOO_LARGE)
                if "requestBody" not in operation:
                    continue
                responses.setdefault("400", _UNPARSABLE)
                responses.setdefault("413", _TOO_LARGE)
                kinds = operation["requestBody"].get("content", {})
                if all(kind in _FORMS for kind in kinds):
                    continue
                if "422" in responses:
                    said = responses["422"].get("description", "").rstrip(".")
                    responses["422"]["description"] = f"{said}. Or: {_NOT_UNICODE}"
                else:
                    responses["422"] = _NOT_UNICODE_RESPONSE
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def published_schema() -> dict[str, Any]:
    """The schema as docs/openapi.json keeps it: every route, the SMS webhooks included."""
    from assistant.settings import Settings
    from server import create_app

    # Building the app loads nothing (the container is lazy), so the data dir is not read.
    settings = Settings(data_dir=Path(tempfile.gettempdir()), sms_enabled=True)
    return create_app(settings).openapi()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m channels.web.openapi [PATH]``: write the schema (docs/openapi.json)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "docs/openapi.json")
    target.write_text(render(published_schema()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
