"""One 1,000-email batch, server against baseline, timed in this process.

Both apps run over httpx's ASGI transport (no uvicorn, no sockets) on a small
throwaway SQLite database, alternating which goes first; the first batch of each
side warms up and is not counted. Less noisy than `bench/run.py --only
invite_learners`, and it can profile the server's batches.

python bench/invite_inprocess.py [--runs 9] [--side server] [--profile cprofile]
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run, seed  # noqa: E402
from schema.relay import to_global_id  # noqa: E402


def _calls(org: seed.SeededOrganisation, emails: list[str]) -> dict[str, run.Call]:
    body = {
        "organisationId": to_global_id("Organisation", org.organisation_id),
        "emails": emails,
    }
    token = run.token_for(org)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return {
        "server": run.graphql_call(0, token, run.INVITE, {"input": body}),
        "baseline": run.Call("POST", 0, "/invite", headers, json.dumps(body).encode()),
    }


async def drive(args: argparse.Namespace, directory: Path) -> None:
    database = directory / "run.db"
    seed.create_schema(database)
    connection = seed.open_for_loading(database)
    orgs = [
        seed.add_organisation(connection, f"Invite {n}", 0, args.size)
        for n in range(2 * args.runs)
    ]
    seed.finish_loading(connection)
    os.environ.update(
        APP_ENV="production",
        SECRET_KEY=run.SECRET,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        LOG_LEVEL="WARNING",
    )
    import gc  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    from bench import baseline  # noqa: PLC0415 (after the environment it reads)
    from server import create_app  # noqa: PLC0415

    apps = {"server": create_app(), "baseline": baseline.app}
    # As the server's start-up does.
    gc.collect()
    gc.freeze()
    profiler = cProfile.Profile() if args.profile else None
    times: dict[str, list[float]] = {"server": [], "baseline": []}
    for n in range(args.runs):
        sides = ["server", "baseline"] if n % 2 == 0 else ["baseline", "server"]
        for side in sides if args.side == "both" else [args.side]:
            org = orgs[2 * n + (side == "baseline")]
            emails = [f"new{n}-{i}@invite.example" for i in range(args.size)]
            call = _calls(org, emails)[side]
            transport = httpx.ASGITransport(app=apps[side])
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench"
            ) as client:
                profiling = profiler is not None and side == "server" and n > 0
                if profiler is not None and profiling:
                    profiler.enable()
                started = time.perf_counter()
                response = await client.request(
                    call.method, call.path, content=call.body, headers=call.headers
                )
                elapsed = (time.perf_counter() - started) * 1000
                if profiler is not None and profiling:
                    profiler.disable()
            run.check_invite(side, response.status_code, response.content, args.size)
            if n > 0:
                times[side].append(elapsed)

    for side, values in times.items():
        if values:
            print(
                f"{side:<9} median {statistics.median(values):7.1f} ms  "
                f"min {min(values):7.1f}  max {max(values):7.1f}  n={len(values)}"
            )
    if times["server"] and times["baseline"]:
        ratio = statistics.median(times["baseline"]) / statistics.median(
            times["server"]
        )
        print(f"ratio (baseline / server medians) {ratio:.3f}")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument(
        "--side", choices=["both", "server", "baseline"], default="both"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the server's batches"
    )
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    try:
        asyncio.run(drive(args, directory))
    finally:
        shutil.rmtree(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
