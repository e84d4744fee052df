"""A real uvicorn server in a child process, on a free loopback port."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent
SERVER_SECRET = "live-server-secret-that-is-long-enough"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(workdir: Path, **env: str) -> Iterator[str]:
    """Serve the app from ``workdir``'s database; yields the GraphQL URL."""
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/live.db",
        "SECRET_KEY": SERVER_SECRET,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    server = str(ROOT / "server.py")
    # Fixed arguments: this interpreter and the project's own server.py.
    migrate = [sys.executable, server, "migrate"]
    subprocess.run(migrate, env=environ, check=True, timeout=60)
    process = subprocess.Popen([sys.executable, server, "serve"], env=environ)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {url} within 30 s")
