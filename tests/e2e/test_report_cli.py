"""`walkbot report findings | coverage | equality` on the demo school, as from a fresh clone: the database is
seeded by typing a term into `walkbot console`, then each report is run as a subprocess."""
from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2027-03-01T09:00"
TERM = "\n".join([
    "as @rachel",
    '/walk plan 2027-02-03 09:50-11:00 focus "feedback in books" purpose "share marking practice" '
    "walkers @rachel @daniela rooms @tom @sam @amy",
    "as @tom", "/visit agree 1", "as @sam", "/visit agree 2", "as @amy", "/visit agree 3",
    "as @rachel", '/visit propose @tom 2027-01-20 P2 30m kind formal focus "questioning" feedback "after school"',
    "as @tom", "/visit agree 4",
    "advance to 2027-02-03T11:05",
    "as @daniela",
    '/walk findings 1 strength "pupils respond to feedback in purple pen" excellence "peer marking is routine in '
    'Year 9" next "share the <marking> codes *across* departments"',
    "as @rachel", "/walk summary", "/visit coverage",
]) + "\n"


def walkbot(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "handlers.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=180, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, str]:
    """The demo school's spring term, typed into the console (its db file, and what the console showed)."""
    folder = tmp_path_factory.mktemp("reports")
    db = f"sqlite:///{folder / 'demo.db'}"
    run = walkbot("console", "--now", "2027-01-11T08:30", "--db", db, cwd=folder, stdin=TERM)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "Traceback" not in run.stdout and "Sorry" not in run.stdout, run.stdout
    return folder, db


def rows(folder: Path) -> dict[str, int]:
    with sqlite3.connect(folder / "demo.db") as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_the_chat_commands_show_the_reports_to_slt(seeded):
    folder, db = seeded
    out = walkbot("console", "--now", AS_OF, "--db", db, cwd=folder, stdin="/walk summary\n/visit coverage\n").stdout
    assert "Summary of findings — Durants Demo School, session 2026-27" in out
    assert "Department: Maths" in out and "Stage: KS3" in out and "Department: English" not in out
    assert "Coverage — Durants Demo School" in out and "Tom Baker: 2 visits" in out


def test_findings_as_markdown_and_csv(seeded):
    folder, db = seeded
    before = rows(folder)
    run = walkbot("report", "findings", "--school", "demo", "--db", db, "--now", AS_OF, "--out", "out/findings.md",
                  cwd=folder)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "1 learning walk with findings" in run.stdout
    md = (folder / "out" / "findings.md").read_text()
    assert md.startswith("# Summary of findings — Durants Demo School, session 2026-27")
    assert "## Department: Maths" in md and "## Stage: KS3" in md
    assert r"share the \<marking\> codes \*across\* departments" in md  # person-written text escaped
    assert not [name for name in ("Tom", "Sam", "Amy", "Rachel", "Daniela") if name in md]
    run = walkbot("report", "findings", "--school", "demo", "--db", db, "--now", AS_OF, "--out", "findings.csv",
                  cwd=folder)
    assert run.returncode == 0, run.stderr
    table = list(csv.DictReader((folder / "findings.csv").open()))
    assert {(r["level"], r["group"]) for r in table} == {("Whole school", "Whole school"), ("Department", "Maths"),
                                                         ("Stage", "KS3")}
    assert rows(folder) == before  # a report only reads


def test_coverage_writes_a_csv_and_a_chart(seeded):
    folder, db = seeded
    run = walkbot("report", "coverage", "--school", "demo", "--db", db, "--now", AS_OF, "--out", "coverage",
                  cwd=folder)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    table = list(csv.DictReader((folder / "coverage" / "coverage.csv").open()))
    tom = {r["count"]: (r["value"], r["cap"]) for r in table if r["name"] == "Tom Baker"}
    assert tom == {"visits": ("2", ""), "observations used this year": ("2", "3"), "minutes": ("50", "180")}
    with Image.open(folder / "coverage" / "coverage.png") as chart:
        assert chart.format == "PNG" and chart.width > 500 and chart.height > 200


def test_equality_reads_the_hr_file_and_keeps_nothing_of_it(seeded):
    folder, db = seeded
    (folder / "hr.csv").write_text("Staff ID,Sex\nU01HEAD,Female\nU02DEPUTY,Female\nU03TOM,Male\n"
                                   "U04AMY,Prefer not to say\nU05SAM,Male\n")
    before = rows(folder)
    run = walkbot("report", "equality", "--school", "demo", "--db", db, "--now", AS_OF, "--groups", "hr.csv",
                  "--threshold", "5", "--out", "equality.md", cwd=folder)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    report = (folder / "equality.md").read_text()
    assert "## By Sex" in report and "| Prefer not to say | — | — | — | — | — |" in report
    assert "U03TOM" not in report and "Tom" not in report
    assert rows(folder) == before  # nothing of the file is stored


@pytest.mark.parametrize(("args", "told"), [
    (["--groups", "bad.csv"], "bad.csv has 2 problems; nothing was written. line 3: 3 values where the first line "
                              "names 2 columns. line 4: the staff id is empty."),
    (["--groups", "missing.csv"], "Can't read missing.csv"),
    (["--groups", "bad.csv", "--threshold", "4"], "'4' can't be the threshold: give a whole number, 5 or more"),
])
def test_a_bad_equality_run_says_what_was_wrong_and_writes_nothing(seeded, args, told):
    folder, db = seeded
    (folder / "bad.csv").write_text("Staff ID,Sex\nU03TOM,Male\nU04AMY,Female,extra\n,Male\n")
    run = walkbot("report", "equality", "--school", "demo", "--db", db, "--out", "never.md", *args, cwd=folder)
    assert run.returncode == 2 and told in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not (folder / "never.md").exists()


@pytest.mark.parametrize(("args", "told"), [
    (["findings", "--school", "nope", "--out", "x.md"], "There is no school with the key 'nope'"),
    (["findings", "--school", "demo", "--out", "x.txt"], "give a file ending .md (Markdown) or .csv"),
])
def test_a_report_that_cannot_run_says_why(seeded, args, told):
    folder, db = seeded
    run = walkbot("report", *args, "--db", db, cwd=folder)
    assert run.returncode == 2 and told in run.stderr and "Traceback" not in run.stderr, run.stderr
