"""The README's example operations run, as written, against the demo data."""

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from models import Database, User
from resolvers.auth import issue_token
from resolvers.settings import Settings
from server import DEMO_ADMIN, DEMO_STAFF, load_demo

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```graphql\n# as: (\w+)\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize(("who", "document"), BLOCKS, ids=[b[1][:20] for b in BLOCKS])
async def test_readme_example_runs(
    who: str,
    document: str,
    db: Database,
    settings: Settings,
    client: httpx.AsyncClient,
) -> None:
    await load_demo(settings, db)
    headers = {}
    if who != "nobody":
        email = {"admin": DEMO_ADMIN, "staff": DEMO_STAFF}[who]
        async with db.read_session() as session:
            user = await session.scalar(select(User).where(col(User.email) == email))
        assert user is not None
        headers["Authorization"] = f"Bearer {issue_token(user, settings)}"

    response = await client.post("/graphql", json={"query": document}, headers=headers)

    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    user_errors = payload.get("userErrors", []) if isinstance(payload, dict) else []
    expected = ["INVALID_INVITATION_TOKEN"] if who == "nobody" else []
    assert [e["code"] for e in user_errors] == expected


async def test_demo_data_loads_once(db: Database, settings: Settings) -> None:
    await load_demo(settings, db)
    await load_demo(settings, db)

    async with db.read_session() as session:
        users = list(await session.scalars(select(col(User.email))))

    assert sorted(users) == sorted([DEMO_ADMIN, DEMO_STAFF])
