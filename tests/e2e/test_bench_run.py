"""`python -m bench --quick`: every benchmark, at toy sizes, end to end, so that `python3 dev.py bench`
keeps working. Over a minute of processes starting, so it runs with the long tests (CI runs them)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("WALKBOT_LONG_TESTS") == "1"


@pytest.mark.postgres
@pytest.mark.skipif(not LONG, reason="with WALKBOT_LONG_TESTS=1")
def test_the_benchmarks_run_and_write_their_page(tmp_path):
    base = os.environ.get("WALKBOT_TEST_POSTGRES_URL")
    if not base:
        pytest.fail("the benchmarks need PostgreSQL: set WALKBOT_TEST_POSTGRES_URL")
    page = tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--db", base, "--out", str(page)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = page.read_text()
    for heading in ("## Targets", "## Ack latency", "## Teams: walkbot against a bare Teams SDK bot", "## Scaling",
                    "## Dispatch: notices through Slack's", "## Dispatch: notices through the connector"):
        assert heading in text
    assert "| walkbot | 8 |" in text and "| bare Bolt | 8 |" in text
    assert "| bare Teams SDK | 8 | 20 |" in text  # Teams: every timed activity answered over HTTP
    assert "| walkbot | 8 | **all** |" in text and "| bare Teams SDK | 8 | **all** |" in text  # and its reply awaited
    assert "| Teams HTTP answer p99 at concurrency 8" in text and "| Teams dispatch" in text
    assert "Index Scan" in text  # the booking check's plan uses an index
    assert "Traceback" not in done.stderr
