"""What inviteLearners answers for each email, read through the schema."""

from tests.factories import Factory

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email status invitation { email status } }
    invitations { email status }
    licenceSummary { availableToAssign pendingInvite }
    userErrors { code }
  }
}
"""


async def test_each_email_gets_its_result_and_invitation(factory: Factory) -> None:
    scene = await factory.scene(licences=5)
    emails = ["Ann@Example.com", "not an email", "ann@example.com", "bo@example.com"]

    result = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {"input": {"organisationId": scene.organisation_gid, "emails": emails}},
    )

    assert result.errors is None
    assert result.data == {
        "inviteLearners": {
            "results": [
                {
                    "email": "ann@example.com",
                    "status": "INVITED",
                    "invitation": {"email": "ann@example.com", "status": "PENDING"},
                },
                {
                    "email": "not an email",
                    "status": "INVALID_EMAIL",
                    "invitation": None,
                },
                {
                    "email": "ann@example.com",
                    "status": "DUPLICATE_IN_REQUEST",
                    "invitation": None,
                },
                {
                    "email": "bo@example.com",
                    "status": "INVITED",
                    "invitation": {"email": "bo@example.com", "status": "PENDING"},
                },
            ],
            "invitations": [
                {"email": "ann@example.com", "status": "PENDING"},
                {"email": "bo@example.com", "status": "PENDING"},
            ],
            "licenceSummary": {"availableToAssign": 3, "pendingInvite": 2},
            "userErrors": [],
        }
    }


# The rows are made only when the query reads them; a fragment must count as reading.
INVITE_THROUGH_FRAGMENTS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email ...WithInvitation }
    ... on InviteLearnersPayload { invitations { email } }
  }
}
fragment WithInvitation on InviteLearnerResult { invitation { email status } }
"""


async def test_invitations_read_through_fragments_are_answered(
    factory: Factory,
) -> None:
    scene = await factory.scene(licences=2)

    result = await factory.execute(
        INVITE_THROUGH_FRAGMENTS,
        scene.admin,
        {"input": {"organisationId": scene.organisation_gid, "emails": ["cy@x.org"]}},
    )

    assert result.errors is None
    assert result.data == {
        "inviteLearners": {
            "results": [
                {
                    "email": "cy@x.org",
                    "invitation": {"email": "cy@x.org", "status": "PENDING"},
                }
            ],
            "invitations": [{"email": "cy@x.org"}],
        }
    }
