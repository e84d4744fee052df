"""A throwaway PostgreSQL server for the test suite.

PostgreSQL refuses to run as root, and CI runs as root, so the server runs as an
unprivileged user that owns a data directory in a temporary folder. It listens on
127.0.0.1 only, on a free port, trusts local connections, and is stopped (and its
files deleted) when the test session ends.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
# Durability settings that only matter if the machine itself crashes; a test server
# lives for minutes, so it trades them for speed.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=300 -c shared_buffers=64MB"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unprivileged_user() -> str | None:
    """Who runs the server: ourselves, unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("no unprivileged user to run PostgreSQL as")


@dataclass
class PostgresServer:
    port: int
    folder: Path
    user: str | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = [] if self.user is None else ["runuser", "-u", self.user, "--"]
        subprocess.run(
            [*prefix, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.folder,
        )

    def psql(self, sql: str) -> None:
        self._run(
            str(BIN / "psql"),
            "--host=127.0.0.1",
            f"--port={self.port}",
            "--username=postgres",
            "--dbname=postgres",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            f"--command={sql}",
        )

    def start(self) -> None:
        data = self.folder / "data"
        self._run(
            str(BIN / "initdb"),
            f"--pgdata={data}",
            "--username=postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} {SERVER_OPTIONS}"
        self._run(
            str(BIN / "pg_ctl"),
            f"--pgdata={data}",
            f"--log={self.folder / 'server.log'}",
            f"--options={options}",
            "--wait",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(
                str(BIN / "pg_ctl"),
                f"--pgdata={self.folder / 'data'}",
                "--mode=immediate",
                "--wait",
                "stop",
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    if not (BIN / "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL server binaries not found in {BIN}:"
            " install them with `apt-get install -y postgresql`"
        )
    user = _unprivileged_user()
    folder = Path(tempfile.mkdtemp(prefix="licence-pg-"))
    if user is not None:
        record = pwd.getpwnam(user)
        os.chown(folder, record.pw_uid, record.pw_gid)
    server = PostgresServer(_free_port(), folder, user)
    try:
        server.start()
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        detail = log.read_text() if log.exists() else ""
        server.stop()
        raise RuntimeError(
            f"PostgreSQL did not start: {error.stderr!r} {detail}"
        ) from error
    return server
