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


def document_parse_errors(app: FastAPI) -> None:
    """Every operation that takes a body also lists the 400 FastAPI sends for a body it
    cannot parse and the 413 ``channels.limits.RequestLimits`` sends for one too large
    (both before any handler runs), so the schema names every status a client can get.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:  # a JSON document (the OpenAPI schema), as FastAPI's
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # FastAPI caches this very dict on the app: completed once
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", _UNPARSABLE)
                    operation["responses"].setdefault("413", _TOO_LARGE)
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
