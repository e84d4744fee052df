"""schema.graphql is the reviewed contract: it must match the code's schema."""

from schema import sdl
from server import SCHEMA_FILE


def test_schema_graphql_matches_the_code() -> None:
    on_disk = SCHEMA_FILE.read_text()

    assert sdl() == on_disk, (
        "The schema changed: run `make schema` and commit schema.graphql"
    )


def test_schema_graphql_holds_the_contract_types() -> None:
    on_disk = SCHEMA_FILE.read_text()

    for declaration in (
        "type Query {",
        "type Mutation {",
        "type LicenceSummary {",
        "enum ErrorCode {",
    ):
        assert declaration in on_disk
