"""The OpenAPI schema is the contract: schemathesis sends generated requests, valid and not,
to every operation of a real server, signed in, and checks each answer against the schema.

No answer may be a server error; every status code, content type and JSON body must be one
the schema declares. Examples are bounded and derandomized, so a run is repeatable.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.container import Container
from assistant.settings import Settings
from assistant.staff import Role
from server import create_app
from tests.conftest import LiveServer

MAX_EXAMPLES = 20
PASSWORD = "a long enough password"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.slow
_TURNS: defaultdict[str, Iterator[bool]] = defaultdict(lambda: cycle((True, False)))


class ContractServer(LiveServer):
    # Ids that exist on this server: half the requests for one of them use it (the other
    # half keep the generated id), so answers with data are checked as well as 404s.
    known_ids: dict[str, str]


@pytest.fixture(scope="module")
def contract_server(
    sample_data_dir: Path, shared_container: Container, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContractServer]:
    data_dir = tmp_path_factory.mktemp("contract") / "data"
    shutil.copytree(sample_data_dir, data_dir)
    config = contract_settings(data_dir)
    container = Container(config)
    container.__dict__["embedder"] = shared_container.embedder
    container.staff.create(username="ada", password=PASSWORD, role=Role.ADMIN)
    container.staff.create(username="sam", password=PASSWORD, role=Role.CASEWORKER)
    with ContractServer(config, container) as live:
        # A real handoff, so the staff routes answer with data as well as with 404s (a
        # caseworker must be online for one to open).
        sign_in(live, "sam")
        reply = httpx.post(live.url + "/api/chat", json={"message": "I want to talk to a person"})
        handoff = reply.json()["handoff"]
        assert handoff is not None, reply.text
        snapshot = container.index_store.snapshot()
        assert snapshot is not None
        live.known_ids = {
            "handoff_id": handoff["id"],
            "doc_id": min(snapshot.manifest.documents),
        }
        assert httpx.get(live.url + "/openapi.json").json() == OPENAPI
        yield live


def sign_in(server: LiveServer, username: str = "ada") -> tuple[str, str]:
    """A session cookie and CSRF token (ada is an admin: staff and editor routes both)."""
    response = httpx.post(
        server.url + "/api/staff/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.cookies["ca_staff"], response.json()["csrf_token"]


@pytest.fixture(scope="module")
def session(contract_server: ContractServer) -> tuple[str, str]:
    return sign_in(contract_server)


def contract_settings(data_dir: Path) -> Settings:
    # SMS on, so the Twilio webhooks are in the schema too (unsigned posts: 403).
    config = Settings(data_dir=data_dir, environment="test", sms_enabled=True)
    config.staff_hours = "always"
    return config


# The schema is read from an app built like the server's (building one loads nothing), at
# import: schemathesis makes one test per operation from it. The test then checks that the
# running server serves this very schema.
OPENAPI = create_app(contract_settings(Path(tempfile.gettempdir()))).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_schema_says(
    case: schemathesis.Case, contract_server: ContractServer, session: tuple[str, str]
) -> None:
    for name, value in contract_server.known_ids.items():
        if name in (case.path_parameters or {}) and next(_TURNS[case.operation.label]):
            case.path_parameters[name] = value
    cookie, csrf = session
    if case.operation.path == "/api/staff/logout":
        cookie, csrf = sign_in(contract_server)  # a session of its own to end
    case.call_and_validate(
        base_url=contract_server.url,
        headers={"X-CSRF-Token": csrf},
        cookies={"ca_staff": cookie},
        checks=CHECKS,
    )


OPENAPI_OPERATIONS = [
    (method, path) for path, operations in OPENAPI["paths"].items() for method in operations
]
# A lone surrogate, escaped as JSON allows: valid UTF-8 on the wire, not Unicode text.
SURROGATE = b'{"message": "\\ud800", "text": "\\ud800", "session_id": "\\ud800"}'


def test_refusals_made_before_any_route_are_documented_where_they_happen(
    contract_server: ContractServer, session: tuple[str, str]
) -> None:
    """The 422 for a body that is not Unicode and the 431 for an oversized head come from
    the middleware, which schemathesis' generated requests hardly reach: each operation
    is sent both, and the answer is checked against what its schema declares."""
    cookie, csrf = session
    client = httpx.Client(
        base_url=contract_server.url,
        cookies={"ca_staff": cookie},
        headers={"X-CSRF-Token": csrf},
        timeout=30,
    )
    refused: dict[int, int] = defaultdict(int)
    for method, schema_path in OPENAPI_OPERATIONS:
        operation = schema[schema_path][method]
        path = operation.path
        for name in operation.path_parameters:
            path = path.replace(f"{{{name.name}}}", "x")
        if operation.path == "/api/staff/logout":
            continue  # would end the session the other requests ride on
        big = client.request(operation.method.upper(), path, headers={"X-Padding": "x" * 20 * 1024})
        cases = [(big, 431)]
        kinds = (operation.definition.raw.get("requestBody") or {}).get("content", {})
        if any(kind == "application/json" for kind in kinds):
            bad = client.request(
                operation.method.upper(),
                path,
                content=SURROGATE,
                headers={"Content-Type": "application/json"},
            )
            cases.append((bad, 422))
        for response, status in cases:
            assert response.status_code == status, (operation.label, response.text)
            case = operation.Case(path_parameters={p.name: "x" for p in operation.path_parameters})
            case.validate_response(response, checks=CHECKS)  # declared, with this body
            refused[status] += 1
    assert refused[431] == len(OPENAPI_OPERATIONS) - 1 and refused[422] >= 9, refused
