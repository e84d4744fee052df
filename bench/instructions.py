"""CPU instructions per request, server against baseline, counted by callgrind.

Wall-clock ratios move with whatever else the machine is doing; instruction counts
do not. This runs each read scenario in-process (both apps over httpx's ASGI
transport, no uvicorn, no load generator) under `valgrind --tool=callgrind`, twice
with a different number of requests, and takes the difference, so that start-up
cancels out. It needs the database `bench/run.py` prepares (bench/.data/run.db)
and valgrind (`apt-get install valgrind`). About ten minutes.

python bench/instructions.py          print the table and add it to bench/results.json
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

# (scenario, fewer requests, more requests): enough that the difference dwarfs the
# variation of start-up, few enough to finish under valgrind in a few minutes.
SCENARIOS = [("licence_summary", 5, 105), ("learner_page", 2, 12)]


async def drive(side: str, scenario: str, count: int, database: Path) -> None:
    """Send ``count`` requests of ``scenario`` to one app, in this process."""
    os.environ.update(
        APP_ENV="production",
        SECRET_KEY=run.SECRET,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        LOG_LEVEL="WARNING",
    )
    import httpx  # noqa: PLC0415 (after the environment the apps read)

    if side == "server":
        from server import create_app  # noqa: PLC0415

        app = create_app()
    else:
        from bench import baseline  # noqa: PLC0415

        app = baseline.app
    small = run.seed.SeededOrganisation(1, 1, "admin1@bench.example")
    calls = {
        call.name: call.server if side == "server" else call.baseline
        for call in run.read_scenarios(run.FULL, _organisations(small), 0, 0)
    }
    call = calls[scenario]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench"
    ) as client:
        for _ in range(count):
            response = await client.request(
                call.method, call.path, content=call.body, headers=call.headers
            )
            assert response.status_code == 200, response.text


def _organisations(small: run.seed.SeededOrganisation) -> run.Organisations:
    big = run.seed.SeededOrganisation(2, 2, "admin2@bench.example")
    return run.Organisations(small, big, [], [])


def count_instructions(side: str, scenario: str, count: int, database: Path) -> int:
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--drive",
            side,
            scenario,
            str(count),
            "--database",
            str(database),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if found is None:
        raise SystemExit(f"no callgrind total:\n{completed.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", type=Path, default=ROOT / "bench/.data/run.db")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench")
    parser.add_argument("--drive", nargs=3, metavar=("SIDE", "SCENARIO", "COUNT"))
    args = parser.parse_args()

    if args.drive:
        side, scenario, count = args.drive
        asyncio.run(drive(side, scenario, int(count), args.database))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install -y valgrind")
    if not args.database.exists():
        raise SystemExit(f"{args.database} is missing: run `make bench` first")

    rows = []
    for scenario, fewer, more in SCENARIOS:
        per_request = {}
        for side in ("server", "baseline"):
            low = count_instructions(side, scenario, fewer, args.database)
            high = count_instructions(side, scenario, more, args.database)
            per_request[side] = (high - low) // (more - fewer)
        ratio = round(per_request["baseline"] / per_request["server"], 3)
        rows.append({"name": scenario, **per_request, "ratio": ratio})
        print(
            f"{scenario:<16} server {per_request['server']:>12,} "
            f"baseline {per_request['baseline']:>12,} instructions/request  "
            f"ratio {ratio:.2f}",
            flush=True,
        )

    results = args.out_dir / "results.json"
    document = json.loads(results.read_text()) if results.exists() else {}
    document["instructions_per_request"] = rows
    results.write_text(json.dumps(document, indent=2) + "\n")
    run.add_instructions_section(args.out_dir / "RESULTS.md", rows)
    print(f"added instruction counts to {results} and RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
