#!/usr/bin/env python3
"""Set-up and the two everyday jobs, needing nothing but Python 3.11+:

    python3 dev.py demo    # make .venv, install walkbot, open the demo console
    python3 dev.py test    # make .venv, install walkbot with its test tools, run every test
    python3 dev.py bench   # the same, then every benchmark, written to docs/benchmarks.md (PostgreSQL)

Anything after the job name is passed on (to `walkbot console`, pytest or `python -m bench`).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_venv() -> None:
    """Create .venv and install walkbot into it; re-install only when pyproject.toml changes."""
    if sys.version_info < (3, 11):
        sys.exit(f"walkbot needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".walkbot-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("Installing walkbot and its dependencies into .venv ...", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"], check=True)
    stamp.write_text(wanted)


def main() -> int:
    job, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if job not in ("demo", "test", "bench"):
        print(__doc__)
        return 2
    ensure_venv()
    if job == "demo":
        return subprocess.call([str(BIN / "walkbot"), "console", *rest], cwd=ROOT)
    if job == "bench":
        return subprocess.call([str(BIN / "python"), "-m", "bench", *rest], cwd=ROOT)
    # The core must stay free of frameworks and storage (DESIGN.md §4): checked before the tests.
    lint = subprocess.call([str(BIN / "lint-imports")], cwd=ROOT)
    tests = subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
    return lint or tests


if __name__ == "__main__":
    sys.exit(main())
