"""The contract the frontend relies on, through HTTP against the real ASGI app."""

import logging
from typing import Any

import httpx
import pytest

from resolvers import pages
from tests.documents import (
    ACCEPT_INVITATION,
    INVITE_LEARNERS,
    ORGANISATION_SUMMARY,
    VIEWER,
)
from tests.factories import Factory, token_of


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def test_the_admin_flow_end_to_end(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene(licences=3)
    token = factory.token_for(scene.admin)

    invited = await post(
        client,
        INVITE_LEARNERS,
        {"input": {"organisationId": scene.organisation_gid, "emails": ["l@x.org"]}},
        token,
    )
    (message,) = await factory.deliver()
    accepted = await post(
        client,
        ACCEPT_INVITATION,
        {"input": {"token": token_of(message.accept_link), "name": "Lou"}},
    )
    summary = await post(
        client, ORGANISATION_SUMMARY, {"id": scene.organisation_gid}, token
    )

    assert invited.status_code == 200
    assert invited.json()["data"]["inviteLearners"]["results"][0]["status"] == "INVITED"
    assert accepted.json()["data"]["acceptInvitation"]["learner"]["name"] == "Lou"
    assert summary.json()["data"] == {
        "organisation": {
            "id": scene.organisation_gid,
            "name": scene.organisation_name,
            "licenceSummary": {
                "total": 3,
                "availableToAssign": 2,
                "pendingInvite": 0,
                "inUse": 1,
            },
        }
    }


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Send a bearer token in the Authorization header."),
        ("Bearer not-a-jwt", "The bearer token is invalid or has expired."),
    ],
)
async def test_requests_without_a_valid_token_are_unauthenticated(
    client: httpx.AsyncClient, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == message
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_signed_with_another_secret_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    forged = factory.token_for(scene.admin)[:-4] + "AAAA"

    response = await post(client, VIEWER, token=forged)

    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "query",
    ["{ viewer { email ", "{ viewer { shoeSize } }", "query { nosuchfield }"],
)
async def test_bad_documents_get_graphql_errors_not_500(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"]


async def test_bad_documents_are_400_for_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { shoeSize } }"},
        headers={"Accept": "application/graphql-response+json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(
        "application/graphql-response+json"
    )


async def test_unexpected_errors_are_masked_and_logged_with_a_request_id(
    client: httpx.AsyncClient,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scene = await factory.scene()

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(pages, "learners", broken)
    query = "query($id: ID!) { organisation(id: $id) { learners { nodes { id } } } }"
    with caplog.at_level(logging.ERROR, logger="schema.http"):
        response = await post(
            client,
            query,
            {"id": scene.organisation_gid},
            factory.token_for(scene.admin),
        )

    (error,) = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in response.text
    request_id = error["extensions"]["requestId"]
    (record,) = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_get_runs_queries_but_never_mutations(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    headers = {"Authorization": f"Bearer {factory.token_for(scene.admin)}"}

    query = await client.get("/graphql", params={"query": VIEWER}, headers=headers)
    mutation = await client.get(
        "/graphql",
        params={"query": ACCEPT_INVITATION, "variables": '{"input": {"token": "x"}}'},
    )

    assert query.json()["data"]["viewer"]["email"] == scene.admin.email
    assert mutation.status_code == 405
    assert "errors" in mutation.json()


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_first_outside_1_to_100_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    query = """
    query($id: ID!, $n: Int!) {
      organisation(id: $id) { learners(first: $n) { nodes { id } } }
    }
    """

    answers = [
        (
            await post(
                client,
                query,
                {"id": scene.organisation_gid, "n": n},
                factory.token_for(scene.admin),
            )
        ).json()
        for n in (0, 1, 100, 101)
    ]

    assert [("errors" in a) for a in answers] == [True, False, False, True]
    assert answers[0]["errors"][0]["extensions"]["code"] == "PAGE_SIZE_OUT_OF_RANGE"
