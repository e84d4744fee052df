"""Schemathesis fuzzes every root field in-process: as staff, an admin and nobody.

Each generated operation is sent three times through the real ASGI app. Whatever
the input, the server must answer with a well-formed GraphQL response: never a
5xx, never a masked unexpected error, never a body outside the response shape.
FUZZ_EXAMPLES sets the examples per root field (default 100).
"""

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import get_introspection_query, graphql_sync
from hypothesis import HealthCheck, settings
from schemathesis import Case

from models import Database
from resolvers.context import Services
from resolvers.mail import MemoryMailer
from resolvers.settings import Settings
from schema import schema as graphql_schema
from server import create_app
from tests.conftest import TEST_SECRET
from tests.factories import Factory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
RESPONSE_KEYS = {"data", "errors", "extensions"}
ERROR_KEYS = {"message", "locations", "path", "extensions"}


def _introspection() -> dict[str, Any]:
    result = graphql_sync(graphql_schema._schema, get_introspection_query())
    assert result.errors is None
    assert result.data is not None
    return result.data


fuzzed = schemathesis.graphql.from_dict(_introspection())


@dataclass
class World:
    """One event loop, one app and one database for the whole fuzz run."""

    runner: asyncio.Runner
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    examples: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def send(self, body: dict[str, Any], role: str) -> httpx.Response:
        self.requests += 1
        response = self.runner.run(
            self.client.post("/graphql", json=body, headers=self.headers[role])
        )
        self.statuses[response.status_code] = (
            self.statuses.get(response.status_code, 0) + 1
        )
        return response


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app_settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}", secret_key=TEST_SECRET
    )
    with asyncio.Runner() as runner:
        db = Database(app_settings.database_url)
        runner.run(db.create_all())
        factory = Factory(Services(db, app_settings, MemoryMailer()))
        scene = runner.run(factory.scene(licences=50))
        runner.run(factory.learner(scene, "fuzzed.learner@example.com"))
        runner.run(factory.invite(scene, "fuzzed.invitee@example.com"))
        app = create_app(app_settings, mailer=MemoryMailer(), db=db)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        )
        world = World(
            runner,
            client,
            {
                "nobody": {},
                "admin": {"Authorization": f"Bearer {factory.token_for(scene.admin)}"},
                "staff": {"Authorization": f"Bearer {factory.token_for(scene.staff)}"},
            },
        )
        yield world
        print(  # noqa: T201 the totals belong in the test log
            f"fuzz: {world.examples} examples, {world.requests} requests, "
            f"statuses {world.statuses}"
        )
        runner.run(client.aclose())
        runner.run(db.dispose())


def check_shape(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    payload = response.json()
    assert isinstance(payload, dict), payload
    assert set(payload) <= RESPONSE_KEYS, payload
    assert "data" in payload or "errors" in payload, payload
    assert payload.get("data") is None or isinstance(payload["data"], dict), payload
    for error in payload.get("errors", []):
        assert isinstance(error, dict), payload
        assert set(error) <= ERROR_KEYS, payload
        assert isinstance(error["message"], str), payload
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", (
            payload
        )


@fuzzed.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_any_operation_gets_a_well_formed_answer(case: Case[Any], world: World) -> None:
    world.examples += 1
    body = {"query": case.body}

    for role in ("nobody", "admin", "staff"):
        check_shape(world.send(body, role))
