"""Benchmarks: a seeded local authority, and what walkbot costs over it."""
import sys
from pathlib import Path

# The stand-ins and request shapes are the tests' own (tests/support): one of each for tests and benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
