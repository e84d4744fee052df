"""Safe retries: a mutation repeated with its idempotency key is done once."""

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlmodel import col

from models import (
    Database,
    IdempotencyKey,
    Invitation,
    LicenceRequest,
    Organisation,
    utcnow,
)
from models import idempotency as keys
from resolvers import licence_requests
from resolvers.auth import Viewer
from resolvers.context import Services
from schema import schema
from schema.relay import to_global_id
from tests.documents import (
    ADD_ADMIN,
    DECLINE_LICENCE_REQUEST,
    REMOVE_LEARNER,
    REQUEST_LICENCES,
    RESEND_INVITATION,
    REVOKE_INVITATION,
)
from tests.factories import Factory, Scene
from tests.outbox_helpers import outbox_rows
from tests.recount import kept, recount

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email status invitation { id email status createdAt expiresAt } }
    licenceSummary { total availableToAssign pendingInvite inUse }
    missingLicences
    userErrors { field message code }
  }
}
"""

ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    learner { id email name status }
    licenceSummary { total availableToAssign pendingInvite inUse }
    userErrors { field message code }
  }
}
"""

APPROVE_LICENCE_REQUEST = """
mutation Approve($input: ApproveLicenceRequestInput!) {
  approveLicenceRequest(input: $input) {
    licenceRequest { id status quantity }
    licenceSummary { total availableToAssign pendingInvite inUse }
    userErrors { field message code }
  }
}
"""

CREATE_ORGANISATION = """
mutation Create($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) {
    organisation { id name licenceSummary { total availableToAssign } }
    licenceSummary { total availableToAssign pendingInvite inUse }
    userErrors { field message code }
  }
}
"""

MUTATION_INPUT_FIELDS = """
{
  __schema {
    mutationType { fields { name args { name type { ofType { name inputFields {
      name type { name kind }
    } } } } } }
  }
}
"""


async def requested(services: Services, scene: Scene, quantity: int) -> int:
    """A pending licence request's id."""
    change = await licence_requests.request_licences(
        services, scene.admin, scene.organisation_id, quantity, None
    )
    assert change.licence_request.id is not None
    return change.licence_request.id


async def invitation_count(db: Database) -> int:
    async with db.read_session() as session:
        count = await session.scalar(select(func.count()).select_from(Invitation))
    assert count is not None
    return count


async def test_a_repeat_with_the_same_key_returns_the_first_answer_and_does_nothing(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=5)
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "emails": ["ana@example.com", "bo@example.com"],
            "idempotencyKey": "invite-1",
        }
    }

    first = await factory.execute(INVITE_LEARNERS, scene.admin, variables)
    repeat = await factory.execute(INVITE_LEARNERS, scene.admin, variables)

    assert first.errors is None
    assert first.data is not None
    assert first.data["inviteLearners"]["licenceSummary"] == {
        "total": 5,
        "availableToAssign": 3,
        "pendingInvite": 2,
        "inUse": 0,
    }
    assert repeat.data == first.data
    assert await invitation_count(db) == 2
    # One email queued per invitation, not two.
    assert len(await outbox_rows(db)) == 2
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_a_repeated_create_organisation_makes_one_organisation(
    db: Database, factory: Factory
) -> None:
    staff = await factory.staff()
    variables = {"input": {"name": "Acme", "licences": 4, "idempotencyKey": "acme"}}

    first = await factory.execute(CREATE_ORGANISATION, staff, variables)
    repeat = await factory.execute(CREATE_ORGANISATION, staff, variables)

    assert first.data is not None
    assert first.data["createOrganisation"]["organisation"]["name"] == "Acme"
    assert first.data["createOrganisation"]["licenceSummary"] == {
        "total": 4,
        "availableToAssign": 4,
        "pendingInvite": 0,
        "inUse": 0,
    }
    assert repeat.data == first.data
    async with db.read_session() as session:
        count = await session.scalar(select(func.count()).select_from(Organisation))
    assert count == 1


async def test_the_same_key_with_different_input_is_refused_and_writes_nothing(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=5)
    first_input = {
        "organisationId": scene.organisation_gid,
        "emails": ["ana@example.com"],
        "idempotencyKey": "k",
    }
    await factory.execute(INVITE_LEARNERS, scene.admin, {"input": first_input})
    other_input = first_input | {"emails": ["cy@example.com"]}

    result = await factory.execute(INVITE_LEARNERS, scene.admin, {"input": other_input})

    assert result.data is not None
    assert result.data["inviteLearners"] == {
        "results": [],
        "licenceSummary": None,
        "missingLicences": 0,
        "userErrors": [
            {
                "field": ["idempotencyKey"],
                "message": "This idempotency key was used for a different request; "
                "use a new key for new input.",
                "code": "IDEMPOTENCY_KEY_REUSED",
            }
        ],
    }
    assert await invitation_count(db) == 1


async def test_keys_belong_to_their_caller(db: Database, factory: Factory) -> None:
    one = await factory.scene(licences=2)
    other = await factory.scene(licences=2, staff=one.staff)

    for scene in (one, other):
        result = await factory.execute(
            INVITE_LEARNERS,
            scene.admin,
            {
                "input": {
                    "organisationId": scene.organisation_gid,
                    "emails": ["same@example.com"],
                    "idempotencyKey": "shared-key",
                }
            },
        )
        assert result.data is not None
        assert result.data["inviteLearners"]["userErrors"] == []

    assert await invitation_count(db) == 2


async def test_accepting_with_a_key_is_scoped_by_the_invitation_token(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=2)
    (token,) = await factory.invite(scene, "ana@example.com")
    variables = {"input": {"token": token, "name": "Ana", "idempotencyKey": "acc"}}

    first = await factory.execute(ACCEPT_INVITATION, None, variables)
    repeat = await factory.execute(ACCEPT_INVITATION, None, variables)

    assert first.data is not None
    assert first.data["acceptInvitation"]["userErrors"] == []
    assert first.data["acceptInvitation"]["licenceSummary"] == {
        "total": 2,
        "availableToAssign": 1,
        "pendingInvite": 0,
        "inUse": 1,
    }
    # Without the key, the second accept would say INVITATION_NOT_PENDING.
    assert repeat.data == first.data


async def test_a_refused_answer_is_kept_too(db: Database, factory: Factory) -> None:
    scene = await factory.scene(licences=1)
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "emails": ["a@example.com", "b@example.com"],
            "idempotencyKey": "grow",
        }
    }
    refused = await factory.execute(INVITE_LEARNERS, scene.admin, variables)
    assert refused.data is not None
    assert refused.data["inviteLearners"]["missingLicences"] == 1
    request_id = await requested(factory.services, scene, 1)
    await licence_requests.decide_licence_request(
        factory.services, scene.staff, request_id, approve=True
    )

    repeat = await factory.execute(INVITE_LEARNERS, scene.admin, variables)
    fresh_key = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {"input": variables["input"] | {"idempotencyKey": "grow-2"}},
    )

    assert repeat.data == refused.data
    assert fresh_key.data is not None
    assert fresh_key.data["inviteLearners"]["userErrors"] == []
    assert await invitation_count(db) == 2


async def test_a_dry_run_answer_is_kept_and_writes_nothing(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=2)
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "emails": ["a@example.com"],
            "dryRun": True,
            "idempotencyKey": "try",
        }
    }

    first = await factory.execute(INVITE_LEARNERS, scene.admin, variables)
    repeat = await factory.execute(INVITE_LEARNERS, scene.admin, variables)

    assert first.data is not None
    assert first.data["inviteLearners"]["results"] == [
        {"email": "a@example.com", "status": "INVITED", "invitation": None}
    ]
    assert repeat.data == first.data
    assert await invitation_count(db) == 0
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_a_key_longer_than_255_characters_is_refused(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=1)

    result = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {
            "input": {
                "organisationId": scene.organisation_gid,
                "emails": ["a@example.com"],
                "idempotencyKey": "k" * 256,
            }
        },
    )

    assert result.data is not None
    assert result.data["inviteLearners"]["userErrors"] == [
        {
            "field": ["idempotencyKey"],
            "message": "An idempotency key has 1 to 255 characters.",
            "code": "INVALID_IDEMPOTENCY_KEY",
        }
    ]
    assert await invitation_count(db) == 0


async def test_concurrent_requests_with_one_key_do_the_work_once(
    db: Database, factory: Factory, client: httpx.AsyncClient
) -> None:
    scene = await factory.scene(licences=3)
    request_id = await requested(factory.services, scene, 4)
    headers = {"Authorization": f"Bearer {factory.token_for(scene.staff)}"}
    body = {
        "query": APPROVE_LICENCE_REQUEST,
        "variables": {
            "input": {
                "licenceRequestId": to_global_id("LicenceRequest", request_id),
                "idempotencyKey": "approve-once",
            }
        },
    }

    responses = await asyncio.gather(
        *(client.post("/graphql", json=body, headers=headers) for _ in range(10))
    )

    answers = [response.json() for response in responses]
    assert [response.status_code for response in responses] == [200] * 10
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["data"]["approveLicenceRequest"]["userErrors"] == []
    assert answers[0]["data"]["approveLicenceRequest"]["licenceSummary"]["total"] == 7
    assert (await kept(db, scene.organisation_id)).total == 7
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_keys_older_than_a_day_are_forgotten(db: Database) -> None:
    now = utcnow()
    async with db.write() as session:
        for name, age in (("old", timedelta(hours=25)), ("new", timedelta(hours=23))):
            session.add(
                IdempotencyKey(
                    scope="user:1",
                    key=name,
                    operation="inviteLearners",
                    request_hash="0" * 64,
                    response="{}",
                    created_at=now - age,
                )
            )

    async with db.write() as session:
        forgotten = await keys.forget_expired(session, now)

    async with db.read_session() as session:
        left = list(await session.scalars(select(col(IdempotencyKey.key))))
    assert forgotten == 1
    assert left == ["new"]


async def test_every_mutation_input_takes_an_idempotency_key() -> None:
    result = await schema.execute(MUTATION_INPUT_FIELDS)

    assert result.data is not None
    fields = result.data["__schema"]["mutationType"]["fields"]
    assert len(fields) == 10
    for field in fields:
        (argument,) = field["args"]
        input_fields = {
            f["name"]: f["type"] for f in argument["type"]["ofType"]["inputFields"]
        }
        assert input_fields["idempotencyKey"] == {"name": "String", "kind": "SCALAR"}


async def test_every_other_mutation_answers_a_repeat_from_its_first_answer(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=5)
    await factory.invite(scene, "ana@example.com", "bo@example.com")
    learner_id = await factory.learner(scene, "cy@example.com")
    ana = to_global_id("Invitation", await factory.invitation_id("ana@example.com"))
    bo = to_global_id("Invitation", await factory.invitation_id("bo@example.com"))
    first_request = to_global_id(
        "LicenceRequest", await requested(factory.services, scene, 1)
    )
    second_request = to_global_id(
        "LicenceRequest", await requested(factory.services, scene, 2)
    )
    calls: list[tuple[str, dict[str, object], Viewer]] = [
        (RESEND_INVITATION, {"invitationId": ana}, scene.admin),
        (REVOKE_INVITATION, {"invitationId": bo}, scene.admin),
        (
            REMOVE_LEARNER,
            {"learnerId": to_global_id("Learner", learner_id)},
            scene.admin,
        ),
        (
            REQUEST_LICENCES,
            {"organisationId": scene.organisation_gid, "quantity": 3},
            scene.admin,
        ),
        (APPROVE_LICENCE_REQUEST, {"licenceRequestId": first_request}, scene.staff),
        (DECLINE_LICENCE_REQUEST, {"licenceRequestId": second_request}, scene.staff),
        (
            ADD_ADMIN,
            {"organisationId": scene.organisation_gid, "email": "dee@example.com"},
            scene.staff,
        ),
    ]

    for number, (document, fields, viewer) in enumerate(calls):
        variables = {"input": fields | {"idempotencyKey": f"key-{number}"}}
        first = await factory.execute(document, viewer, variables)
        repeat = await factory.execute(document, viewer, variables)

        assert first.errors is None
        assert first.data is not None
        (payload,) = first.data.values()
        assert payload["userErrors"] == [], document
        assert repeat.data == first.data

    # Each change happened once: a second revoke or approval would have been refused,
    # a second request or resend would show here.
    figures = await kept(db, scene.organisation_id)
    assert figures.total == 6
    assert figures == await recount(db, scene.organisation_id)
    async with db.read_session() as session:
        requests = await session.scalar(
            select(func.count()).select_from(LicenceRequest)
        )
    assert requests == 3
