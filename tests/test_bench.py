"""A tiny run of `make bench`, so that the benchmark cannot rot.

It asserts that the harness ran end to end and wrote sane results; how fast
anything was is for the benchmark to report, not for a test to assert.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "licence_summary",
    "licence_summary_big",
    "learner_page",
    "licence_summary_scale",
    "invite_learners",
]


def test_quick_benchmark_writes_its_table_and_results(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--data-dir",
            str(tmp_path / "data"),
            "--out-dir",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for name in ("licence_summary", "licence_summary_big", "learner_page"):
        assert f"same answer  {name}:" in completed.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [row["name"] for row in results["scenarios"]] == SCENARIOS
    for row in results["scenarios"]:
        for side in ("server", "baseline"):
            assert set(row[side]) == {"rps", "p50_ms", "p99_ms"}
            assert row[side]["rps"] > 0
            assert 0 < row[side]["p50_ms"] <= row[side]["p99_ms"]
        assert row["ratio"] > 0
        assert isinstance(row["met"], bool)
    assert results["memory"]["server_peak_rss_mib"] > 0
    assert results["cores"] >= 1
    markdown = (tmp_path / "out" / "RESULTS.md").read_text()
    assert "| scenario | server req/s | baseline req/s | ratio |" in markdown
    for name in SCENARIOS:
        assert f"| {name} |" in markdown
