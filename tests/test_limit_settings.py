"""Request limits come from the environment and are checked at start-up."""

import pytest

from resolvers.limits import Limits
from resolvers.settings import ConfigurationError, Settings


def test_the_defaults_are_the_documented_limits() -> None:
    assert Settings.from_env({}).limits == Limits(
        max_depth=10,
        max_aliases=15,
        max_tokens=2000,
        max_cost=1000,
        max_body_bytes=1048576,
        max_page_size=100,
        max_emails=1000,
        operation_timeout=10.0,
        batching=False,
        max_batch=10,
    )


def test_every_limit_is_read_from_its_variable() -> None:
    env = {
        "MAX_QUERY_DEPTH": "8",
        "MAX_ALIASES": "5",
        "MAX_TOKENS": "900",
        "MAX_QUERY_COST": "400",
        "MAX_BODY_BYTES": "65536",
        "MAX_PAGE_SIZE": "50",
        "MAX_EMAILS_PER_INVITE": "200",
        "OPERATION_TIMEOUT_SECONDS": "2.5",
        "BATCHING": "true",
        "MAX_BATCH_SIZE": "4",
    }

    assert Settings.from_env(env).limits == Limits(
        max_depth=8,
        max_aliases=5,
        max_tokens=900,
        max_cost=400,
        max_body_bytes=65536,
        max_page_size=50,
        max_emails=200,
        operation_timeout=2.5,
        batching=True,
        max_batch=4,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_QUERY_COST", "lots", "MAX_QUERY_COST must be a number, got 'lots'"),
        ("MAX_QUERY_DEPTH", "0", "MAX_QUERY_DEPTH must be positive, got '0'"),
        (
            "OPERATION_TIMEOUT_SECONDS",
            "-1",
            "OPERATION_TIMEOUT_SECONDS must be positive, got '-1'",
        ),
        ("BATCHING", "maybe", "BATCHING must be true or false, got 'maybe'"),
        ("MAX_PAGE_SIZE", "101", "MAX_PAGE_SIZE can be at most 100, got 101"),
        (
            "MAX_EMAILS_PER_INVITE",
            "1001",
            "MAX_EMAILS_PER_INVITE can be at most 1000, got 1001",
        ),
    ],
)
def test_a_limit_the_service_cannot_honour_stops_start_up(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({name: value})

    assert str(refused.value) == message
