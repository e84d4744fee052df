"""APP_ENV=production: no GraphiQL, no introspection but for staff, no hints."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from models import Database
from resolvers.mail import MemoryMailer
from resolvers.settings import ConfigurationError, Settings
from server import create_app, main
from tests.conftest import TEST_SECRET
from tests.factories import Factory

GRAPHQL = "/graphql"

INTROSPECTION = "{ __schema { queryType { name } } }"
MISSPELT_FIELD = "{ viewr { email } }"
MISSPELT_ENUM = """
query Misspelt($id: ID!) {
  organisation(id: $id) { learners(status: ACTIV) { nodes { email } } }
}
"""

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(database_url: str, db: Database) -> Client:
    @asynccontextmanager
    async def open_client(**env: str) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings.from_env(
            {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, **env}
        )
        app = create_app(settings, mailer=MemoryMailer(), db=db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            yield client

    return open_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"APP_ENV": "production"})

    assert str(refused.value) == (
        "APP_ENV=production needs SECRET_KEY: the development secret is public"
    )


def test_the_server_will_not_start_on_the_development_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    status = main(["serve"])

    assert status == 2
    assert capsys.readouterr().err == (
        "configuration error: APP_ENV=production needs SECRET_KEY: "
        "the development secret is public\n"
    )


async def test_graphiql_is_off_in_production_unless_enabled(
    client_for: Client,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

    async with client_for(APP_ENV="production") as production:
        hidden = await production.get(GRAPHQL, headers=browser)
    async with client_for(APP_ENV="production", GRAPHIQL="true") as enabled:
        shown = await enabled.get(GRAPHQL, headers=browser)
    async with client_for() as development:
        default = await development.get(GRAPHQL, headers=browser)

    assert hidden.headers["content-type"] == "application/json; charset=utf-8"
    assert hidden.status_code == 400
    assert shown.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Strawberry GraphiQL</title>" in shown.text
    assert default.headers["content-type"] == "text/html; charset=utf-8"


async def test_only_staff_may_introspect_in_production(
    client_for: Client, factory: Factory
) -> None:
    scene = await factory.scene()

    async with client_for(APP_ENV="production") as production:
        anonymous = await production.post(GRAPHQL, json={"query": INTROSPECTION})
        admin = await production.post(
            GRAPHQL,
            json={"query": INTROSPECTION},
            headers=bearer(factory.token_for(scene.admin)),
        )
        staff = await production.post(
            GRAPHQL,
            json={"query": INTROSPECTION},
            headers=bearer(factory.token_for(scene.staff)),
        )
    async with client_for() as development:
        anyone = await development.post(GRAPHQL, json={"query": INTROSPECTION})

    for refused in (anonymous, admin):
        assert "data" not in refused.json()
        assert [
            (error["message"], error["extensions"]["code"])
            for error in refused.json()["errors"]
        ] == [
            (
                "GraphQL introspection has been disabled, but the requested query "
                f"contained the field '{field}'.",
                "INTROSPECTION_DISABLED",
            )
            for field in ("__schema", "queryType")
        ]
    assert staff.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert anyone.json()["data"] == staff.json()["data"]


async def test_production_errors_carry_no_suggestions(
    client_for: Client, factory: Factory
) -> None:
    scene = await factory.scene()
    headers = bearer(factory.token_for(scene.admin))
    misspelt_enum = {
        "query": MISSPELT_ENUM,
        "variables": {"id": scene.organisation_gid},
    }

    async with client_for(APP_ENV="production") as production:
        field = await production.post(
            GRAPHQL, json={"query": MISSPELT_FIELD}, headers=headers
        )
        enum = await production.post(GRAPHQL, json=misspelt_enum, headers=headers)
    async with client_for() as development:
        hinted = await development.post(
            GRAPHQL, json={"query": MISSPELT_FIELD}, headers=headers
        )

    assert field.json()["errors"][0]["message"] == (
        "Cannot query field 'viewr' on type 'Query'."
    )
    assert enum.json()["errors"][0]["message"] == (
        "Value 'ACTIV' does not exist in 'LearnerStatus' enum."
    )
    assert hinted.json()["errors"][0]["message"] == (
        "Cannot query field 'viewr' on type 'Query'. Did you mean 'viewer'?"
    )
