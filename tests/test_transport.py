"""The HTTP transport: what browsers and other sites can and cannot make it do."""

import logging

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from models import Database
from models import Invitation as InvitationRow
from tests.factories import Factory, Scene

GRAPHQL = "/graphql"
GRAPHQL_RESPONSE = "application/graphql-response+json"

INVITE = """
mutation {
  inviteLearners(input: {organisationId: "%s", emails: ["csrf@example.com"]}) {
    userErrors { code }
  }
}
"""

LEARNERS = """
query Learners($id: ID!) {
  organisation(id: $id) { learners(first: 5) { nodes { email } } }
}
"""


async def invitations_written(db: Database) -> int:
    async with db.read_session() as session:
        count = await session.scalar(select(func.count(col(InvitationRow.id))))
    return int(count or 0)


async def admin(factory: Factory) -> tuple[Scene, dict[str, str]]:
    scene = await factory.scene()
    return scene, {"Authorization": f"Bearer {factory.token_for(scene.admin)}"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "%s"}'),
        ("application/x-www-form-urlencoded", "query=%s"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n'
            "%s\r\n--x--\r\n",
        ),
    ],
)
async def test_bodies_a_cross_site_form_can_send_are_refused(
    client: httpx.AsyncClient,
    factory: Factory,
    db: Database,
    content_type: str,
    body: str,
) -> None:
    scene, headers = await admin(factory)
    mutation = " ".join(INVITE.split()) % scene.organisation_gid

    answer = await client.post(
        GRAPHQL,
        content=body % mutation.replace('"', '\\"'),
        headers={**headers, "Content-Type": content_type},
    )

    assert answer.status_code == 415
    assert answer.json() == {
        "errors": [
            {
                "message": "POST a application/json body.",
                "extensions": {"code": "UNSUPPORTED_MEDIA_TYPE"},
            }
        ]
    }
    assert await invitations_written(db) == 0


async def test_a_mutation_over_get_is_refused(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    scene, headers = await admin(factory)

    answer = await client.get(
        GRAPHQL, params={"query": INVITE % scene.organisation_gid}, headers=headers
    )

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    assert await invitations_written(db) == 0


async def test_the_same_mutation_posted_as_json_runs(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    scene, headers = await admin(factory)

    answer = await client.post(
        GRAPHQL, json={"query": INVITE % scene.organisation_gid}, headers=headers
    )

    assert answer.json()["data"] == {"inviteLearners": {"userErrors": []}}
    assert await invitations_written(db) == 1


async def test_a_query_over_get_runs(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene, headers = await admin(factory)

    answer = await client.get(
        GRAPHQL,
        params={
            "query": LEARNERS,
            "variables": f'{{"id": "{scene.organisation_gid}"}}',
        },
        headers=headers,
    )

    assert answer.status_code == 200
    assert answer.json()["data"] == {"organisation": {"learners": {"nodes": []}}}


async def test_graphql_response_json_tells_request_errors_by_status(
    client: httpx.AsyncClient,
) -> None:
    accept = {"Accept": GRAPHQL_RESPONSE}

    unknown_field = await client.post(
        GRAPHQL, json={"query": "{ nothing }"}, headers=accept
    )
    bad_variable = await client.post(
        GRAPHQL,
        json={"query": "query Q($id: ID!) { node(id: $id) { id } }"},
        headers=accept,
    )
    unauthenticated = await client.post(
        GRAPHQL, json={"query": "{ viewer { email } }"}, headers=accept
    )

    assert unknown_field.status_code == 400
    assert unknown_field.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in unknown_field.json()
    assert bad_variable.status_code == 400
    assert bad_variable.json() == {
        "errors": [
            {
                "message": "Variable '$id' has invalid value: "
                "Expected a value of non-null type 'ID!' to be provided.",
                "locations": [{"line": 1, "column": 9}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
        "extensions": {"cost": {"requested": 1, "limit": 1000}},
    }
    # Execution started: a field error is an answer, with `data`.
    assert unauthenticated.status_code == 200
    assert unauthenticated.json()["data"] is None
    assert unauthenticated.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED"
    }


async def test_plain_json_clients_get_200_for_graphql_errors(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        GRAPHQL, json={"query": "{ nothing }"}, headers={"Accept": "application/json"}
    )

    assert answer.status_code == 200
    assert answer.json()["errors"][0]["extensions"] == {
        "code": "GRAPHQL_VALIDATION_FAILED"
    }


async def test_a_client_accepting_neither_json_type_is_refused(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        GRAPHQL, json={"query": "{ __typename }"}, headers={"Accept": "text/csv"}
    )

    assert answer.status_code == 406
    assert answer.json()["errors"][0]["extensions"] == {"code": "NOT_ACCEPTABLE"}


async def test_unexpected_errors_are_masked_and_logged_with_one_request_id(
    client: httpx.AsyncClient,
    factory: Factory,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scene, headers = await admin(factory)
    # A real failure: the learners table is gone from under the running service.
    async with db.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE learner RENAME TO learner_gone"))

    with caplog.at_level(logging.ERROR, logger="schema.http"):
        answer = await client.post(
            GRAPHQL,
            json={"query": LEARNERS, "variables": {"id": scene.organisation_gid}},
            headers=headers,
        )

    (error,) = answer.json()["errors"]
    request_id = error["extensions"]["requestId"]
    assert answer.status_code == 200
    # `learners` cannot be null, so the organisation around it is.
    assert answer.json()["data"] == {"organisation": None}
    assert error == {
        "message": "Unexpected error.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        "path": ["organisation", "learners"],
    }
    assert "learner" not in answer.text.replace("learners", "")
    (record,) = caplog.records
    assert record.getMessage() == (
        f"unexpected_error request_id={request_id} path=organisation.learners"
    )
    assert record.exc_info is not None
    assert "learner" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("accept", "answered_as"),
    [
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE),
        (
            "application/graphql-response+json;q=0.5, application/json",
            "application/json",
        ),
        ("application/graphql-response+json;q=0, */*", "application/json"),
        ("", "application/json"),
    ],
)
async def test_the_answer_has_the_media_type_the_client_prefers(
    client: httpx.AsyncClient, accept: str, answered_as: str
) -> None:
    answer = await client.post(
        GRAPHQL, json={"query": "{ __typename }"}, headers={"Accept": accept}
    )

    assert answer.headers["content-type"] == f"{answered_as}; charset=utf-8"
