"""Real server processes sharing the test database, for races and crashes.

Each server is ``python server.py serve`` on 127.0.0.1 and a free port, as an
operator would run it; with ``workers`` above 1 uvicorn forks that many processes
that share the port and the database.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback by the server, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def _wait_until_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready: {server.log.read_text()[-2000:]}")


def worker_pids(server: RunningServer) -> list[int]:
    """The processes uvicorn started to serve requests (Linux /proc).

    Its other child, multiprocessing's resource tracker, serves nothing.
    """
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"multiprocessing.spawn" in command:
            workers.append(int(child))
    return workers


def _wait_for_workers(server: RunningServer, workers: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while len(worker_pids(server)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {workers} workers: {worker_pids(server)}")
        time.sleep(0.1)


@contextmanager
def serving(
    database_url: str, secret_key: str, folder: Path, *, workers: int = 1
) -> Iterator[RunningServer]:
    port = free_port()
    log = folder / f"server-{port}.log"
    environment = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "server.py", "serve"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_ready(server)
        if workers > 1:
            _wait_for_workers(server, workers)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # The workers form the session this server started; end them too.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
