"""The operator's command line, run as a real process, and a real server."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parent.parent
SECRET = "cli-test-secret-long-enough-for-hs256-signing"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "server.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "server.py"), "serve"],
        env={**env, "PORT": str(port)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_prints_tokens_that_work_against_the_server(
    env: dict[str, str], served: str
) -> None:
    assert cli(env, "migrate").returncode == 0

    first = cli(env, "demo")
    second = cli(env, "demo")
    tokens = {
        line.split()[1].rstrip(":"): line.rsplit(" ", 1)[1]
        for line in first.stdout.splitlines()
    }
    response = httpx.post(
        f"{served}/graphql",
        json={"query": "{ viewer { email role } }"},
        headers={"Authorization": f"Bearer {tokens['admin@demo.example']}"},
    )

    assert first.returncode == second.returncode == 0
    assert set(tokens) == {"admin@demo.example", "staff@demo.example"}
    assert response.json()["data"] == {
        "viewer": {"email": "admin@demo.example", "role": "ADMIN"}
    }


def test_add_staff_and_token(env: dict[str, str]) -> None:
    cli(env, "migrate")

    added = cli(env, "add-staff", "Ops@Example.com")
    token = cli(env, "token", "ops@example.com")
    unknown = cli(env, "token", "nobody@example.com")

    assert added.stdout.startswith("staff user ops@example.com")
    assert token.returncode == 0
    assert token.stdout.count(".") == 2
    assert unknown.returncode == 1
    assert "no admin or staff user" in unknown.stderr


def test_production_refuses_the_development_secret(env: dict[str, str]) -> None:
    del env["SECRET_KEY"]

    result = cli({**env, "APP_ENV": "production"}, "serve")

    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
