"""A scripted term replayed through `walkbot console` as a subprocess, as a school would preview one."""
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "data" / "spring_term.txt"
ROOT = Path(__file__).resolve().parents[2]


def test_a_scripted_term_replays_through_the_console(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "handlers.cli", "console", "--now", "2027-01-11T08:30",
         "--db", f"sqlite:///{tmp_path / 'term.db'}"],
        input=SCRIPT.read_text(), capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    out = run.stdout
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    # The walk: planned a fortnight ahead, two rooms proposed, announced the week before.
    assert "Planned Learning walk #1, Wed 3 Feb 2027 09:00–11:00" in out
    assert "The programme goes to all staff Mon 25 Jan 2027 at 08:50" in out
    assert "[Mon 25 Jan 08:50] → #staff channel (C0STAFF): Learning walk #1 on Wednesday 3 February" in out
    # A proposal, a refusal for short notice with alternatives, a counter-offer accepted.
    assert "Proposed #3 formal visit to Tom Baker's class, Thu 14 Jan 2027 at 09:50" in out
    assert "needs at least 2 school days' notice; this gives 1" in out
    assert "Nearest times that would be allowed:" in out
    assert "Agreed: #3 formal visit to Tom Baker's class, Fri 15 Jan 2027 at 11:10" in out
    # After the visit: dialogue, private notes, the record agreed by both.
    assert "Visit #3 marked as held" in out
    assert "Feedback dialogue for visit #3: Mon 18 Jan 2027 at 14:00 for 60 minutes" in out
    assert "The record of dialogue for visit #3 is agreed by everyone and kept." in out
    # Allowance: the walk visit and the formal visit both count (durants §9).
    assert "Tom Baker, session 2026-27: 2 of 3 observations used this year · 50 of 180 minutes" in out
    assert "→ Daniela Barzanti: Amy Chen has raised a concern" in out
    # The teacher and the visitor cannot be double-booked; nearest free times are offered.
    assert "Tom Baker is already booked then (visit #4, Wed 10 Feb 08:50, proposed)." in out
    assert "Nearest times that would be allowed: Wed 10 Feb 2027 at 09:50" in out
    # The third observation is agreed; the fourth is refused with the clause.
    assert "3 of 3 observations used this year · 110 of 180 minutes" in out
    assert "Tom Baker has already had 3 of 3 observations in session 2026-27." in out
    assert "counted towards the overall maximum of three observations per year" in out
    assert "Sorry" not in out and "Traceback" not in out
