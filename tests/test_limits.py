"""Each request limit refuses the first request over it and accepts the last under it.

Refusals come before any resolver runs: no `data`, a stable `extensions.code`,
and nothing written.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
from graphql import get_introspection_query
from sqlalchemy import func, select
from sqlmodel import col

from models import Database
from models import Invitation as InvitationRow
from resolvers.licences import Figures
from resolvers.limits import Limits
from resolvers.mail import MemoryMailer
from resolvers.settings import Settings
from server import create_app
from tests.factories import Factory, Scene
from tests.recount import kept, recount

GRAPHQL = "/graphql"

VIEWER_ORGANISATION = "{ viewer { organisation { name } } }"

ORGANISATIONS_PAGE = """
query OrganisationsPage($size: Int!) {
  organisations(first: $size) { nodes { name } }
}
"""

LEARNERS_PAGE = """
query LearnersPage($id: ID!, $size: Int = 20) {
  organisation(id: $id) { learners(first: $size) { nodes { email } } }
}
"""

INVITE_LEARNERS = """
mutation InviteLearners($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { status }
    userErrors { code }
  }
}
"""

# Costs 1 + organisations * (nodes 1 + licenceSummary 1 + learners (1 + learners)).
PRICED = """
query Priced($organisations: Int!, $learners: Int!) {
  organisations(first: $organisations) {
    nodes {
      licenceSummary { total }
      learners(first: $learners) { nodes { email } }
    }
  }
}
"""


def nested(depth: int) -> str:
    """A query whose object fields nest ``depth`` levels below the root."""
    fields = ["viewer", "organisation", "learners(first: 1)", "nodes"]
    fields += ["invitation" if n % 2 == 0 else "learner" for n in range(depth - 4)]
    selection = "id"
    for field in reversed(fields):
        selection = f"{field} {{ {selection} }}"
    return f"{{ {selection} }}"


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{n}: __typename" for n in range(count)) + " }"


def tokens(count: int) -> str:
    """A valid document of exactly ``count`` tokens.

    Most of them sit in directives: two thousand bare ``__typename`` fields would
    overflow graphql-core's overlapping-fields check before the token limit.
    """
    wordy = "__typename @skip(if: false) @include(if: true) "  # 15 tokens
    plain = "__typename "
    body = count - 2  # the braces
    return "{ " + wordy * (body // 15) + plain * (body % 15) + "}"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@asynccontextmanager
async def client_with(
    db: Database, settings: Settings, **limits: Any
) -> AsyncIterator[httpx.AsyncClient]:
    tuned = replace(settings, limits=replace(Limits(), **limits))
    app = create_app(tuned, mailer=MemoryMailer(), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def post(
    client: httpx.AsyncClient,
    query: str,
    token: str | None = None,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return await client.post(
        GRAPHQL, json={"query": query, "variables": variables}, headers=headers
    )


async def admin_token(factory: Factory) -> tuple[Scene, str]:
    scene = await factory.scene()
    return scene, factory.token_for(scene.admin)


async def test_depth_ten_is_answered_and_eleven_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    _scene, token = await admin_token(factory)

    deepest = await post(client, nested(10), token)
    too_deep = await post(client, nested(11), token)

    assert deepest.json() == {
        "data": {"viewer": {"organisation": {"learners": {"nodes": []}}}},
        # One object per level; the page of one multiplies by 1.
        "extensions": {"cost": {"requested": 10, "limit": 1000}},
    }
    assert codes(too_deep.json()) == ["QUERY_TOO_DEEP"]
    assert "data" not in too_deep.json()


async def test_fifteen_aliases_are_answered_and_sixteen_refused(
    client: httpx.AsyncClient,
) -> None:
    most = await post(client, aliased(15))
    too_many = await post(client, aliased(16))

    assert most.json()["data"] == {f"a{n}": "Query" for n in range(15)}
    assert too_many.json() == {
        "errors": [
            {
                "message": "16 aliases found. Allowed: 15",
                "extensions": {"code": "TOO_MANY_ALIASES"},
            }
        ]
    }


async def test_aliases_inside_fragments_count_once_per_spread(
    client: httpx.AsyncClient,
) -> None:
    fragment = "fragment Names on Query { " + aliased(8)[2:-2] + " }"
    once = await post(client, "{ ...Names } " + fragment)
    twice = await post(client, "{ ...Names ... on Query { ...Names } } " + fragment)

    assert "errors" not in once.json()
    assert codes(twice.json()) == ["TOO_MANY_ALIASES"]


async def test_two_thousand_tokens_are_answered_and_one_more_refused(
    client: httpx.AsyncClient,
) -> None:
    most = await post(client, tokens(2000))
    too_many = await post(client, tokens(2001))

    assert most.json()["data"] == {"__typename": "Query"}
    assert too_many.json()["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )
    assert codes(too_many.json()) == ["TOO_MANY_TOKENS"]


async def test_a_one_mebibyte_body_is_answered_and_one_byte_more_refused(
    client: httpx.AsyncClient,
) -> None:
    def body(size: int) -> bytes:
        document = json.dumps({"query": "{ __typename }"}).encode()
        # JSON whitespace after the object: it pads the body, not the document.
        return document + b" " * (size - len(document))

    headers = {"Content-Type": "application/json"}
    largest = await client.post(GRAPHQL, content=body(1024 * 1024), headers=headers)
    too_large = await client.post(
        GRAPHQL, content=body(1024 * 1024 + 1), headers=headers
    )

    assert largest.status_code == 200
    assert largest.json()["data"] == {"__typename": "Query"}
    assert too_large.status_code == 413
    assert too_large.json() == {
        "errors": [
            {
                "message": "The body is larger than 1048576 bytes.",
                "extensions": {"code": "BODY_TOO_LARGE"},
            }
        ]
    }


async def test_page_sizes_from_1_to_100_are_answered_and_0_and_101_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene, token = await admin_token(factory)
    gid = scene.organisation_gid

    answers = {
        size: (await post(client, LEARNERS_PAGE, token, {"id": gid, "size": size}))
        for size in (0, 1, 100, 101)
    }

    assert answers[1].json()["data"] == {"organisation": {"learners": {"nodes": []}}}
    assert answers[100].json()["data"] == answers[1].json()["data"]
    for size in (0, 101):
        assert answers[size].json() == {
            "errors": [
                {
                    "message": f"`first` must be between 1 and 100; got {size}.",
                    "locations": [{"line": 3, "column": 27}],
                    "extensions": {"code": "PAGE_SIZE_OUT_OF_RANGE"},
                }
            ],
            "extensions": {"cost": {"requested": 102, "limit": 1000}},
        }


async def test_a_literal_page_size_over_the_limit_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    staff = factory.token_for(scene.staff)

    too_large = await post(
        client, "{ organisations(first: 101) { nodes { id } } }", staff
    )

    assert codes(too_large.json()) == ["PAGE_SIZE_OUT_OF_RANGE"]


async def test_a_cost_of_1000_is_answered_and_1001_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    staff = factory.token_for(scene.staff)

    # 1 + 27 * (3 + 34) = 1000 and 1 + 40 * (3 + 22) = 1001
    most = await post(client, PRICED, staff, {"organisations": 27, "learners": 34})
    too_costly = await post(
        client, PRICED, staff, {"organisations": 40, "learners": 22}
    )

    assert "errors" not in most.json()
    assert most.json()["extensions"] == {"cost": {"requested": 1000, "limit": 1000}}
    assert too_costly.json() == {
        "errors": [
            {
                "message": "This operation costs 1001 points; the limit is 1000. "
                "Ask for fewer items.",
                "locations": [{"line": 2, "column": 1}],
                "extensions": {"code": "QUERY_TOO_COSTLY"},
            }
        ],
        "extensions": {"cost": {"requested": 1001, "limit": 1000}},
    }


async def test_nested_connections_multiply_their_cost(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene = await factory.scene()
    staff = factory.token_for(scene.staff)
    query = """
    query Nested($outer: Int!, $inner: Int!) {
      organisations(first: $outer) {
        nodes { learners(first: $inner) { nodes { email } } }
      }
    }
    """

    small = await post(client, query, staff, {"outer": 10, "inner": 10})
    large = await post(client, query, staff, {"outer": 100, "inner": 100})

    # 1 + outer * (nodes 1 + learners 1 + inner * nodes 1)
    assert small.json()["extensions"]["cost"]["requested"] == 1 + 10 * (2 + 10)
    assert large.json()["extensions"]["cost"]["requested"] == 1 + 100 * (2 + 100)
    assert codes(large.json()) == ["QUERY_TOO_COSTLY"]
    assert "data" not in large.json()


async def test_every_answered_operation_reports_its_cost(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    scene, token = await admin_token(factory)

    answer = await post(client, VIEWER_ORGANISATION, token)

    assert answer.json() == {
        "data": {"viewer": {"organisation": {"name": "Org 2"}}},
        "extensions": {"cost": {"requested": 2, "limit": 1000}},
    }
    assert scene.organisation_id > 0


async def test_1000_emails_are_answered_and_1001_refused_without_a_write(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    scene, token = await admin_token(factory)

    def invite(count: int) -> dict[str, Any]:
        emails = [f"person{n}@example.com" for n in range(count)]
        return {"input": {"organisationId": scene.organisation_gid, "emails": emails}}

    most = await post(client, INVITE_LEARNERS, token, invite(1000))
    too_many = await post(client, INVITE_LEARNERS, token, invite(1001))

    # Ten licences: the largest batch runs, and is refused by the licence rule.
    assert most.json()["data"]["inviteLearners"]["userErrors"] == [
        {"code": "NOT_ENOUGH_LICENCES"}
    ]
    assert too_many.json()["errors"][0]["message"] == (
        "At most 1000 emails per call; got 1001."
    )
    assert codes(too_many.json()) == ["TOO_MANY_EMAILS"]
    assert "data" not in too_many.json()
    async with db.read_session() as session:
        count = await session.scalar(select(func.count(col(InvitationRow.id))))
    assert count == 0


async def test_configured_limits_replace_the_defaults(
    db: Database, settings: Settings, factory: Factory
) -> None:
    scene = await factory.scene()
    staff = factory.token_for(scene.staff)
    tight = {
        "max_depth": 5,
        "max_aliases": 2,
        "max_tokens": 50,
        "max_cost": 20,
        "max_page_size": 10,
    }

    async with client_with(db, settings, **tight) as client:
        depth = await post(client, nested(6), staff)
        aliases = await post(client, aliased(3), staff)
        size = await post(client, tokens(51), staff)
        page = await post(client, ORGANISATIONS_PAGE, staff, {"size": 11})
        cost = await post(client, ORGANISATIONS_PAGE, staff, {"size": 10})
        under = await post(
            client, "{ organisations(first: 9) { nodes { id } } }", staff
        )

    assert codes(depth.json()) == ["QUERY_TOO_DEEP"]
    assert codes(aliases.json()) == ["TOO_MANY_ALIASES"]
    assert codes(size.json()) == ["TOO_MANY_TOKENS"]
    assert codes(page.json()) == ["PAGE_SIZE_OUT_OF_RANGE"]
    assert "errors" not in cost.json()
    assert cost.json()["extensions"] == {"cost": {"requested": 11, "limit": 20}}
    assert under.json()["data"] == {
        "organisations": {"nodes": [{"id": scene.organisation_gid}]}
    }


async def test_an_operation_over_the_time_limit_is_stopped(
    db: Database, settings: Settings, factory: Factory, client: httpx.AsyncClient
) -> None:
    _scene, token = await admin_token(factory)

    # A limit already past by the first database round trip: the operation is
    # stopped at its first wait, whatever the speed of the machine.
    async with client_with(db, settings, operation_timeout=1e-9) as hurried:
        stopped = await post(hurried, VIEWER_ORGANISATION, token)
    in_time = await post(client, VIEWER_ORGANISATION, token)

    error = stopped.json()["errors"][0]
    assert stopped.status_code == 200
    assert stopped.json()["data"] is None
    assert error["message"] == (
        "The operation ran longer than 1e-09 seconds and was stopped."
    )
    assert error["extensions"]["code"] == "OPERATION_TIMEOUT"
    assert len(error["extensions"]["requestId"]) == 32
    assert in_time.json()["data"] == {"viewer": {"organisation": {"name": "Org 2"}}}


async def test_a_stopped_mutation_writes_nothing(
    db: Database, settings: Settings, factory: Factory, client: httpx.AsyncClient
) -> None:
    scene, token = await admin_token(factory)

    def invite(email: str) -> dict[str, Any]:
        return {"input": {"organisationId": scene.organisation_gid, "emails": [email]}}

    async with client_with(db, settings, operation_timeout=1e-9) as hurried:
        stopped = await post(hurried, INVITE_LEARNERS, token, invite("a@example.com"))
    after = await post(client, INVITE_LEARNERS, token, invite("b@example.com"))

    assert codes(stopped.json()) == ["OPERATION_TIMEOUT"]
    assert after.json()["data"]["inviteLearners"]["results"] == [{"status": "INVITED"}]
    assert await kept(db, scene.organisation_id) == Figures(
        total=10, available_to_assign=9, pending_invite=1, in_use=0
    )
    assert await recount(db, scene.organisation_id) == await kept(
        db, scene.organisation_id
    )


async def test_batches_are_refused_unless_enabled(
    db: Database, settings: Settings, client: httpx.AsyncClient
) -> None:
    batch: Callable[[int], list[dict[str, str]]] = lambda size: [  # noqa: E731
        {"query": "{ __typename }"} for _ in range(size)
    ]

    refused = await client.post(GRAPHQL, json=batch(2))
    async with client_with(db, settings, batching=True, max_batch=3) as batching:
        largest = await batching.post(GRAPHQL, json=batch(3))
        too_large = await batching.post(GRAPHQL, json=batch(4))

    assert refused.status_code == 400
    assert codes(refused.json()) == ["BATCHING_DISABLED"]
    assert [answer["data"] for answer in largest.json()] == [
        {"__typename": "Query"}
    ] * 3
    assert too_large.status_code == 400
    assert codes(too_large.json()) == ["BATCH_TOO_LARGE"]


async def test_the_introspection_graphiql_sends_fits_every_limit(
    client: httpx.AsyncClient,
) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    answer = await post(client, query)

    assert "errors" not in answer.json()
    assert answer.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    assert answer.json()["extensions"] == {"cost": {"requested": 71, "limit": 1000}}
