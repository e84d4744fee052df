"""GraphQL-over-HTTP conformance: graphql-http's server audits against uvicorn.

`make test` installs the audits (tests/conformance, npm ci) before pytest runs.
"""

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.live_server import live_server

CONFORMANCE = Path(__file__).parent / "conformance"


@pytest.fixture(scope="module")
def audit_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    node = shutil.which("node")
    assert node is not None, "Node.js runs the graphql-http audits; install it"
    assert (CONFORMANCE / "node_modules" / "graphql-http").is_dir(), (
        "run `make conformance-deps` (part of `make test`) to install the audits"
    )
    with live_server(tmp_path_factory.mktemp("conformance")) as url:
        finished = subprocess.run(
            [node, str(CONFORMANCE / "audit.mjs"), url],
            capture_output=True,
            check=True,
            text=True,
            timeout=120,
        )
    results: list[dict[str, str]] = json.loads(finished.stdout)
    counts = Counter(result["status"] for result in results)
    print(  # noqa: T201 the counts belong in the test log
        f"graphql-http audits: {len(results)} run, {counts['ok']} passed, "
        f"{counts['error']} MUST failed, {counts['warn']} SHOULD failed, "
        f"{counts['notice']} MAY failed"
    )
    return results


def failures(results: list[dict[str, str]], status: str) -> list[str]:
    return [
        f"{result['id']} {result['name']}: {result['reason']}"
        for result in results
        if result["status"] == status
    ]


def test_every_must_audit_passes(audit_results: list[dict[str, str]]) -> None:
    assert failures(audit_results, "error") == []


def test_every_should_audit_passes(audit_results: list[dict[str, str]]) -> None:
    assert failures(audit_results, "warn") == []


def test_every_may_audit_passes(audit_results: list[dict[str, str]]) -> None:
    assert failures(audit_results, "notice") == []


def test_the_audits_ran(audit_results: list[dict[str, str]]) -> None:
    musts = [r for r in audit_results if r["name"].startswith("MUST")]
    shoulds = [r for r in audit_results if r["name"].startswith("SHOULD")]

    assert len(audit_results) == 61
    assert (len(musts), len(shoulds)) == (13, 23)
