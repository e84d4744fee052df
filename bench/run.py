"""`make bench`: the GraphQL server against the plain-Starlette limit.

Builds a throwaway SQLite database (cached under bench/.data/), starts the real
server (`python server.py serve`, APP_ENV=production, one uvicorn worker) and the
plain baseline (bench/baseline.py) on free loopback ports, checks that both answer
every read scenario with the same bytes, then drives them in turn with wrk,
alternating which goes first, for several rounds. Prints a table of medians and
writes bench/RESULTS.md and bench/results.json.

python bench/run.py            the full benchmark (installs wrk with apt-get if needed)
python bench/run.py --quick    tiny data, about a second per scenario; uses wrk when
                               it is on PATH and a small Python load loop otherwise
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402
from models import Role, User, utcnow  # noqa: E402
from resolvers.auth import issue_token  # noqa: E402
from resolvers.settings import Settings  # noqa: E402
from schema.relay import to_global_id  # noqa: E402

SECRET = "bench-secret-key-that-is-only-for-this-throwaway-database"  # noqa: S105

SUMMARY = """
query Summary($id: ID!) {
  organisation(id: $id) {
    licenceSummary { total availableToAssign pendingInvite inUse }
  }
}
"""

LEARNER_PAGE = """
query LearnerPage($id: ID!, $first: Int!) {
  organisation(id: $id) {
    learners(first: $first) {
      edges {
        cursor
        node { id email name status invitation { status invitedBy { email } } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

INVITE = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email status }
    licenceSummary { total availableToAssign pendingInvite inUse }
    userErrors { field message code }
  }
}
"""


@dataclass(frozen=True)
class Profile:
    rounds: int
    duration: float
    connections: int
    small: int
    big: int
    page_size: int
    invite_runs: int
    invite_size: int


FULL = Profile(
    rounds=5,
    duration=5,
    connections=8,
    small=1_000,
    big=1_000_000,
    page_size=100,
    invite_runs=7,
    invite_size=1_000,
)
QUICK = Profile(
    rounds=1,
    duration=1,
    connections=2,
    small=20,
    big=2_000,
    page_size=10,
    invite_runs=2,
    invite_size=50,
)


@dataclass(frozen=True)
class Call:
    """One HTTP request, as wrk and the equality check both send it."""

    method: str
    port: int
    path: str
    headers: dict[str, str]
    body: bytes | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Scenario:
    name: str
    description: str
    server: Call
    baseline: Call
    baseline_is: str
    target: float
    target_text: str
    server_samples: list[Sample] = field(default_factory=list)
    baseline_samples: list[Sample] = field(default_factory=list)


# --- data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Organisations:
    small: seed.SeededOrganisation
    big: seed.SeededOrganisation
    server_invites: list[seed.SeededOrganisation]
    baseline_invites: list[seed.SeededOrganisation]


def prepare_database(profile: Profile, data_dir: Path) -> tuple[Path, Organisations]:
    data_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = seed.schema_fingerprint()
    base = data_dir / f"base-{profile.small}-{profile.big}-{fingerprint}.db"
    if not base.exists():
        started = time.monotonic()
        building = base.with_suffix(".building")
        building.unlink(missing_ok=True)
        seed.create_schema(building)
        connection = seed.open_for_loading(building)
        seed.add_organisation(connection, "Bench Small", profile.small, 0)
        seed.add_organisation(connection, "Bench Big", profile.big, 0)
        seed.finish_loading(connection)
        building.rename(base)
        print(f"built {base.name} in {time.monotonic() - started:.1f}s")

    # Each run works on a copy, so that the invitations it writes do not pile up in
    # the cached file.
    run = data_dir / "run.db"
    for stale in (run, run.with_suffix(".db-wal"), run.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(base, run)
    small = seed.SeededOrganisation(1, 1, "admin1@bench.example")
    big = seed.SeededOrganisation(2, 2, "admin2@bench.example")

    connection = seed.open_for_loading(run)
    server_invites = [
        seed.add_organisation(connection, f"Invite server {n}", 0, profile.invite_size)
        for n in range(profile.invite_runs)
    ]
    baseline_invites = [
        seed.add_organisation(
            connection, f"Invite baseline {n}", 0, profile.invite_size
        )
        for n in range(profile.invite_runs)
    ]
    seed.finish_loading(connection)
    return run, Organisations(small, big, server_invites, baseline_invites)


def token_for(organisation: seed.SeededOrganisation) -> str:
    user = User(
        id=organisation.admin_id,
        email=organisation.admin_email,
        role=Role.ADMIN.value,
        organisation_id=organisation.organisation_id,
        created_at=utcnow(),
    )
    return issue_token(user, Settings(secret_key=SECRET))


# --- processes ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    def peak_rss_mib(self) -> float:
        """The kernel's high-water mark of the process's resident memory."""
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start(name: str, argv: list[str], database: Path, log_dir: Path) -> Process:
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # Access logs and the console mailer's lines would be written for one side
        # and not the other's equivalent; both run quiet.
        "LOG_LEVEL": "WARNING",
    }
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    process = Process(name, popen, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"{name} exited at start:\n{log.read_text()[-3000:]}")
        try:
            status, _ = fetch(Call("GET", port, "/healthz", {}))
            if status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.stop()
    raise SystemExit(f"{name} did not answer on port {port} within 60s")


def fetch(call: Call) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", call.port, timeout=120)
    try:
        connection.request(call.method, call.path, body=call.body, headers=call.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- load -----------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = "{method}"
{body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,'
    .. '"p50_us":%d,"p99_us":%d}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return f"[==[{text}]==]"


def ensure_wrk(quick: bool) -> str | None:
    """The path of wrk, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found or quick:
        return found
    print("wrk is missing: apt-get install -y wrk")
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run([*prefix, *command], check=True, timeout=600)
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk could not be installed")
    return found


def run_wrk(wrk: str, call: Call, profile: Profile, duration: float) -> Sample:
    lines = []
    if call.body is not None:
        lines.append(f"wrk.body = {_lua_string(call.body.decode())}")
    headers = "\n".join(
        # The spaces matter: "[[" would open a Lua long string.
        f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}"
        for k, v in call.headers.items()
    )
    script = WRK_SCRIPT.format(
        method=call.method, body="\n".join(lines), headers=headers
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{profile.connections}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                call.url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 60,
        )
    finally:
        os.unlink(handle.name)
    lines = [row for row in completed.stdout.splitlines() if row.startswith("BENCH ")]
    if not lines:
        raise SystemExit(f"wrk gave no summary:\n{completed.stdout}{completed.stderr}")
    line = lines[0]
    report = json.loads(line.removeprefix("BENCH "))
    if report["errors"] or report["non2xx"]:
        raise SystemExit(f"wrk saw failures against {call.url}: {report}")
    return Sample(
        rps=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
    )


def run_python_loop(call: Call, profile: Profile, duration: float) -> Sample:
    """A small closed-loop load, one keep-alive connection per thread (quick only)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", call.port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            connection.request(
                call.method, call.path, body=call.body, headers=call.headers
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{call.url} answered {response.status}")
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(profile.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return Sample(
        rps=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    )


# --- scenarios ------------------------------------------------------------------


def graphql_call(port: int, token: str, query: str, variables: dict[str, Any]) -> Call:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return Call(
        "POST",
        port,
        "/graphql",
        {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        },
        body,
    )


def plain_call(port: int, token: str, path: str, params: dict[str, Any]) -> Call:
    return Call(
        "GET", port, f"{path}?{urlencode(params)}", {"Authorization": f"Bearer {token}"}
    )


def read_scenarios(
    profile: Profile, orgs: Organisations, server: int, baseline: int
) -> list[Scenario]:
    small_token, big_token = token_for(orgs.small), token_for(orgs.big)
    small_id = to_global_id("Organisation", orgs.small.organisation_id)
    big_id = to_global_id("Organisation", orgs.big.organisation_id)
    page = {"id": small_id, "first": profile.page_size}
    return [
        Scenario(
            "licence_summary",
            f"organisation(id) {{ licenceSummary }}, {profile.small:,} learners",
            graphql_call(server, small_token, SUMMARY, {"id": small_id}),
            plain_call(baseline, small_token, "/summary", {"id": small_id}),
            "plain Starlette route, same SQL",
            0.7,
            ">= 0.7 of baseline",
        ),
        Scenario(
            "licence_summary_big",
            f"organisation(id) {{ licenceSummary }}, {profile.big:,} learners",
            graphql_call(server, big_token, SUMMARY, {"id": big_id}),
            plain_call(baseline, big_token, "/summary", {"id": big_id}),
            "plain Starlette route, same SQL",
            0.7,
            ">= 0.7 of baseline",
        ),
        Scenario(
            "learner_page",
            f"learners(first: {profile.page_size}) with invitation "
            "{ status invitedBy { email } }",
            graphql_call(server, small_token, LEARNER_PAGE, page),
            plain_call(baseline, small_token, "/learners", page),
            "plain Starlette route, same SQL",
            0.5,
            ">= 0.5 of baseline",
        ),
    ]


def check_same_answers(scenarios: list[Scenario]) -> None:
    for scenario in scenarios:
        server_status, server_body = fetch(scenario.server)
        baseline_status, baseline_body = fetch(scenario.baseline)
        if (server_status, server_body) != (baseline_status, baseline_body):
            raise SystemExit(
                f"{scenario.name}: the two answers differ\n"
                f"server   {server_status} {server_body[:600]!r}\n"
                f"baseline {baseline_status} {baseline_body[:600]!r}"
            )
        if b'"errors"' in server_body or b'"organisation":null' in server_body:
            raise SystemExit(
                f"{scenario.name}: not a real answer: {server_body[:600]!r}"
            )
        print(f"same answer  {scenario.name}: {len(server_body):,} bytes")


@dataclass
class InviteTimes:
    server_ms: list[float] = field(default_factory=list)
    baseline_ms: list[float] = field(default_factory=list)


def time_invites(
    profile: Profile, orgs: Organisations, server: int, baseline: int
) -> InviteTimes:
    """One batch of fresh emails per run, alternating which side goes first."""
    times = InviteTimes()
    pairs = zip(orgs.server_invites, orgs.baseline_invites, strict=True)
    for run, (server_org, baseline_org) in enumerate(pairs):
        emails = [f"new{run}-{n}@invite.example" for n in range(profile.invite_size)]
        server_input = {
            "organisationId": to_global_id("Organisation", server_org.organisation_id),
            "emails": emails,
        }
        server_call = graphql_call(
            server, token_for(server_org), INVITE, {"input": server_input}
        )
        baseline_body = {
            "organisationId": to_global_id(
                "Organisation", baseline_org.organisation_id
            ),
            "emails": emails,
        }
        baseline_call = Call(
            "POST",
            baseline,
            "/invite",
            {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token_for(baseline_org)}",
            },
            json.dumps(baseline_body).encode(),
        )
        sides = [("server", server_call), ("baseline", baseline_call)]
        if run % 2:
            sides.reverse()
        for side, call in sides:
            started = time.perf_counter()
            status, body = fetch(call)
            elapsed = (time.perf_counter() - started) * 1000
            check_invite(side, status, body, profile.invite_size)
            (times.server_ms if side == "server" else times.baseline_ms).append(elapsed)
    return times


def print_invites(invites: InviteTimes) -> None:
    for side, values in (
        ("server", invites.server_ms),
        ("baseline", invites.baseline_ms),
    ):
        print(
            f"invite_learners {side:<8} median {_median(values):7.1f} ms  "
            f"runs {', '.join(f'{value:.1f}' for value in values)}"
        )
    print(f"invite_learners ratio {_ratio(invites.baseline_ms, invites.server_ms)}")


def check_invite(side: str, status: int, body: bytes, size: int) -> None:
    answer = json.loads(body)
    if side == "baseline":
        ok = status == 200 and answer == {"inserted": size}
    else:
        payload = (answer.get("data") or {}).get("inviteLearners") or {}
        invited = [r for r in payload.get("results", []) if r["status"] == "INVITED"]
        ok = status == 200 and not payload.get("userErrors") and len(invited) == size
    if not ok:
        raise SystemExit(f"{side} invite failed: {status} {body[:600]!r}")


# --- report ---------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _side(samples: list[Sample]) -> dict[str, float]:
    return {
        "rps": round(_median([s.rps for s in samples]), 1),
        "p50_ms": round(_median([s.p50_ms for s in samples]), 2),
        "p99_ms": round(_median([s.p99_ms for s in samples]), 2),
    }


def _ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of the per-round ratios: each round compares like with like."""
    return round(
        _median([n / d for n, d in zip(numerators, denominators, strict=True)]), 3
    )


def summarise(
    scenarios: list[Scenario], invites: InviteTimes, profile: Profile
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for scenario in scenarios:
        ratio = _ratio(
            [s.rps for s in scenario.server_samples],
            [s.rps for s in scenario.baseline_samples],
        )
        rows.append(
            {
                "name": scenario.name,
                "description": scenario.description,
                "server": _side(scenario.server_samples),
                "baseline": _side(scenario.baseline_samples),
                "baseline_is": scenario.baseline_is,
                "ratio": ratio,
                "target": scenario.target_text,
                "target_ratio": scenario.target,
                "met": ratio >= scenario.target,
            }
        )

    small, big = scenarios[0], scenarios[1]
    scale = _ratio(
        [s.rps for s in big.server_samples], [s.rps for s in small.server_samples]
    )
    rows.append(
        {
            "name": "licence_summary_scale",
            "description": f"licenceSummary: {profile.big:,} learners "
            f"against {profile.small:,}, both on the GraphQL server",
            "server": _side(big.server_samples),
            "baseline": _side(small.server_samples),
            "baseline_is": (
                f"the GraphQL server, {profile.small:,}-learner organisation"
            ),
            "ratio": scale,
            "target": "within 1.2 (ratio >= 0.833)",
            "target_ratio": round(1 / 1.2, 3),
            "met": scale >= 1 / 1.2,
        }
    )

    def timed(values: list[float]) -> dict[str, float]:
        median = _median(values)
        return {
            "rps": round(1000 / median, 2),
            "p50_ms": round(median, 1),
            # With a handful of runs the slowest stands in for the 99th percentile.
            "p99_ms": round(max(values), 1),
        }

    invite_ratio = _ratio(invites.baseline_ms, invites.server_ms)
    rows.append(
        {
            "name": "invite_learners",
            "description": f"inviteLearners of {profile.invite_size:,} emails, "
            f"end to end, {len(invites.server_ms)} runs each",
            "server": timed(invites.server_ms),
            "baseline": timed(invites.baseline_ms),
            "baseline_is": "raw bulk INSERT of the same rows, same driver",
            "ratio": invite_ratio,
            "target": "within 2 (ratio >= 0.5)",
            "target_ratio": 0.5,
            "met": invite_ratio >= 0.5,
        }
    )
    return rows


def table(rows: list[dict[str, Any]], memory: dict[str, float]) -> str:
    lines = [
        "| scenario | server req/s | baseline req/s | ratio | server p50 / p99 ms "
        "| baseline p50 / p99 ms | target | met |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        server, baseline = row["server"], row["baseline"]
        lines.append(
            f"| {row['name']} | {server['rps']:,} | {baseline['rps']:,} "
            f"| {row['ratio']:.2f} | {server['p50_ms']} / {server['p99_ms']} "
            f"| {baseline['p50_ms']} / {baseline['p99_ms']} | {row['target']} "
            f"| {'yes' if row['met'] else 'NO'} |"
        )
    lines.append("")
    lines.append(
        f"Peak memory (VmHWM): server {memory['server_peak_rss_mib']:.1f} MiB, "
        f"baseline {memory['baseline_peak_rss_mib']:.1f} MiB."
    )
    return "\n".join(lines)


def write_results(
    out_dir: Path,
    rows: list[dict[str, Any]],
    memory: dict[str, float],
    meta: dict[str, Any],
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {**meta, "memory": memory, "scenarios": rows}
    (out_dir / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    descriptions = "\n".join(
        f"- `{row['name']}`: {row['description']}; baseline: {row['baseline_is']}."
        for row in rows
    )
    quick = " (quick run)" if meta["quick"] else ""
    markdown = f"""# Benchmark results

- Date: {meta["date"]}
- Machine: {meta["cores"]} cores, {meta["cpu"]}, Python {meta["python"]}
- Load: {meta["load_generator"]}, {meta["connections"]} connections,
  {meta["rounds"]} rounds of {meta["duration_s"]} s per side and scenario,
  alternating which side goes first; medians of rounds{quick}
- Server: `python server.py serve`, APP_ENV=production, one uvicorn worker, SQLite.
  Baseline: `bench/baseline.py`, plain Starlette, same SQL, same driver, same JSON.

{table(rows, memory)}

Ratio is the server's speed over the baseline's (higher is better): requests per
second for the read scenarios, batches per second (1 / median time) for
`invite_learners`; for `licence_summary_scale` it is the 1,000,000-learner
organisation's speed over the 1,000-learner one's, both on the GraphQL server.
`licence_summary` and `licence_summary_big` do the same work (one primary-key
read); the difference between their ratios is the noise of the machine the run
was on.

{descriptions}

## Targets

{_verdicts(rows)}

See bench/PROFILE.md for what the profile shows is in the way, and what was
changed.
"""
    (out_dir / "RESULTS.md").write_text(markdown)


def render(out_dir: Path) -> None:
    """Rewrite RESULTS.md from results.json, for example after editing notes."""
    results = out_dir / "results.json"
    document = json.loads(results.read_text())
    rows, memory = document.pop("scenarios"), document.pop("memory")
    instructions = document.pop("instructions_per_request", None)
    write_results(out_dir, rows, memory, document)
    if instructions is not None:
        written = json.loads(results.read_text())
        written["instructions_per_request"] = instructions
        results.write_text(json.dumps(written, indent=2) + "\n")
        add_instructions_section(out_dir / "RESULTS.md", instructions)


INSTRUCTIONS_HEADING = "## Instructions per request (callgrind, in-process)"


def add_instructions_section(path: Path, rows: list[dict[str, Any]]) -> None:
    """Add (or replace) the table `bench/instructions.py` measured."""
    lines = [
        INSTRUCTIONS_HEADING,
        "",
        "Counted by `python bench/instructions.py` over ASGI, without uvicorn or a",
        "load generator; the same code gives the same counts however busy the",
        "machine is.",
        "",
        "| scenario | server | baseline | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {row['name']} | {row['server']:,} | {row['baseline']:,} "
            f"| {row['ratio']:.2f} |"
            for row in rows
        ),
        "",
    ]
    text = path.read_text() if path.exists() else ""
    text = text.split(INSTRUCTIONS_HEADING)[0].rstrip("\n") + "\n\n" if text else ""
    path.write_text(text + "\n".join(lines))


def _verdicts(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        floor = row["target_ratio"]
        if row["met"]:
            lines.append(
                f"- `{row['name']}`: met, {row['ratio']:.2f} ({row['target']})."
            )
        else:
            short = (floor - row["ratio"]) / floor
            lines.append(
                f"- `{row['name']}`: missed, {row['ratio']:.2f} against "
                f"{row['target']}: {short:.0%} short of the target ratio."
            )
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny, fast run")
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="with --quick: use the Python load loop even when wrk is installed",
    )
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--duration", type=float, help="seconds per measurement")
    parser.add_argument("--connections", type=int)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / ".data")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench")
    parser.add_argument(
        "--only",
        choices=["invite_learners"],
        help="time only this scenario, print its numbers and write no results",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite RESULTS.md from the results.json in --out-dir",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.render:
        render(args.out_dir)
        return 0

    profile = QUICK if args.quick else FULL
    overrides = {
        "rounds": args.rounds,
        "duration": args.duration,
        "connections": args.connections,
    }
    profile = Profile(
        **{
            **profile.__dict__,
            **{k: v for k, v in overrides.items() if v is not None},
        }
    )
    if args.python_load and not args.quick:
        parser.error("--python-load is for --quick runs only")
    wrk = None if args.python_load else ensure_wrk(args.quick)
    database, orgs = prepare_database(profile, args.data_dir)

    processes: list[Process] = []
    try:
        server = start(
            "server", [sys.executable, "server.py", "serve"], database, args.data_dir
        )
        processes.append(server)
        baseline = start(
            "baseline",
            [sys.executable, "bench/baseline.py"],
            database,
            args.data_dir,
        )
        processes.append(baseline)

        if args.only == "invite_learners":
            invites = time_invites(profile, orgs, server.port, baseline.port)
            print_invites(invites)
            return 0
        scenarios = read_scenarios(profile, orgs, server.port, baseline.port)
        check_same_answers(scenarios)

        def measure(call: Call, duration: float) -> Sample:
            if wrk is not None:
                return run_wrk(wrk, call, profile, duration)
            return run_python_loop(call, profile, duration)

        if not args.quick:
            for scenario in scenarios:
                measure(scenario.server, 2)
                measure(scenario.baseline, 2)

        for round_number in range(profile.rounds):
            for scenario in scenarios:
                sides = [
                    (scenario.server, scenario.server_samples),
                    (scenario.baseline, scenario.baseline_samples),
                ]
                if round_number % 2:
                    sides.reverse()
                for call, samples in sides:
                    sample = measure(call, profile.duration)
                    samples.append(sample)
                    side = "server" if call is scenario.server else "baseline"
                    print(
                        f"round {round_number + 1} {scenario.name:<20} {side:<8} "
                        f"{sample.rps:9.1f} req/s  p50 {sample.p50_ms:7.2f} ms  "
                        f"p99 {sample.p99_ms:7.2f} ms",
                        flush=True,
                    )

        invites = time_invites(profile, orgs, server.port, baseline.port)
        memory = {
            "server_peak_rss_mib": round(server.peak_rss_mib(), 1),
            "baseline_peak_rss_mib": round(baseline.peak_rss_mib(), 1),
        }
    finally:
        for process in processes:
            process.stop()

    rows = summarise(scenarios, invites, profile)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": _cpu_name(),
        "python": platform.python_version(),
        "quick": args.quick,
        "load_generator": "wrk" if wrk else "python loop (quick mode, no wrk)",
        "connections": profile.connections,
        "rounds": profile.rounds,
        "duration_s": profile.duration,
        "profile": profile.__dict__,
    }
    print()
    print(table(rows, memory))
    write_results(args.out_dir, rows, memory, meta)
    print(f"\nwrote {args.out_dir / 'RESULTS.md'} and {args.out_dir / 'results.json'}")
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
