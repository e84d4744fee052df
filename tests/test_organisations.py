"""Staff tooling: organisations and their admins."""

from tests.documents import ADD_ADMIN, CREATE_ORGANISATION, VIEWER
from tests.factories import Factory
from tests.recount import kept, recount


async def test_staff_create_an_organisation_and_its_admin(factory: Factory) -> None:
    staff = await factory.staff()

    created = await factory.execute(
        CREATE_ORGANISATION, staff, {"input": {"name": " Acme ", "licences": 40}}
    )
    assert created.data is not None
    organisation = created.data["createOrganisation"]["organisation"]
    added = await factory.execute(
        ADD_ADMIN,
        staff,
        {"input": {"organisationId": organisation["id"], "email": "Boss@Acme.example"}},
    )
    assert added.data is not None
    admin = added.data["addAdmin"]["admin"]

    assert organisation["name"] == "Acme"
    assert created.data["createOrganisation"]["licenceSummary"] == {
        "total": 40,
        "availableToAssign": 40,
        "pendingInvite": 0,
        "inUse": 0,
    }
    assert admin["email"] == "boss@acme.example"
    assert admin["role"] == "ADMIN"
    assert added.data["addAdmin"]["userErrors"] == []


async def test_a_new_admin_sees_their_organisation(factory: Factory) -> None:
    scene = await factory.scene(licences=7)

    result = await factory.execute(VIEWER, scene.admin)

    assert result.data is not None
    assert result.data["viewer"]["organisation"] == {"name": scene.organisation_name}
    figures = await kept(factory.services.db, scene.organisation_id)
    assert figures == await recount(factory.services.db, scene.organisation_id)
    assert figures.total == figures.available_to_assign == 7
