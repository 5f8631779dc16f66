"""Learning walks as a whole-school activity, typed into `walkbot console` as a subprocess, under each agreement
that speaks of walks: Durants (the demo school), the Trust protocol and LNCT 004.

The walk's life: planned with a purpose, all its rooms or none; announced; rooms agreed; no dialogue, nudge or
escalation for any room; walkers record findings about practice; teachers told; SLT share the report.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "bot" / "demo" / "school.yml"
PLAN = '/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" walkers @rachel @daniela rooms @tom @amy'
PURPOSE = 'purpose "share marking practice"'
FEEDBACK = 'feedback "a summary report at the staff meeting"'


def console(tmp_path, script: str, preset: str | None = None) -> str:
    args = [sys.executable, "-m", "handlers.cli", "console", "--now", "2027-01-11T08:30",
            "--db", f"sqlite:///{tmp_path / 'walks.db'}"]
    if preset:
        school = yaml.safe_load(DEMO.read_text())
        school["school"]["policy"] = preset
        school["school"].pop("overrides", None)
        (tmp_path / "school.yml").write_text(yaml.safe_dump(school, allow_unicode=True))
        args += ["--school", str(tmp_path / "school.yml")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(args, input=script, capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "Traceback" not in run.stdout and "Sorry" not in run.stdout, run.stdout
    return run.stdout


def answers(out: str) -> dict[str, str]:
    """Each command typed, with what followed it (its reply and the notices it sent), by the command: the first
    time it was typed."""
    parts = re.split(r"^(@\w+> .*)$", out, flags=re.M)
    found: dict[str, str] = {}
    for typed, said in zip(parts[1::2], parts[2::2]):
        found.setdefault(typed.split("> ", 1)[1], said)
    return found


def script(*lines: str) -> str:
    return "\n".join(lines) + "\n"


LIFE = script(
    "as @rachel",
    PLAN,  # no purpose: refused (Durants §2)
    f"{PLAN} @tom {PURPOSE}",  # Tom's room twice: refused
    f"{PLAN} @priya {PURPOSE}",  # a room with no class: the whole plan refused
    "/walk list",
    f"{PLAN} {PURPOSE}",
    "as @tom", "/visit agree 1",
    "as @amy", "/visit agree 2",
    "as @daniela",
    '/walk findings 1 strength "pupils respond to feedback"',  # before the walk
    "advance to 2027-02-03T11:05",
    "as @sam", '/walk findings 1 strength "pupils respond to feedback"',  # not a walker
    "/walk report 1",  # a colleague, before it is shared
    "as @daniela",
    '/walk findings 1 strength "Tom\'s marking is sharp"',
    '/walk findings 1 next "Score: 7/10"',
    '/walk findings 1 strength "pupils respond to feedback in purple pen" excellence "peer marking is routine in '
    'Year 9" next "share the marking codes across departments"',
    '/visit notes 2 "books show hinge questions in every set"',
    "/visit dialogue 1 2027-02-04 14:00",
    "/visit held 1",
    '/visit record 1 "we talked"',
    "as @amy", "/walk report 1",
    "as @rachel", "/walk report 1 share", "/walk report 1 share",
    "as @sam", "/walk report 1",
    "advance to 2027-03-01T09:00",
)


def test_durants_walk_life_planned_whole_announced_found_and_reported_with_no_one_followed_up(tmp_path):
    out = console(tmp_path, LIFE)
    said = answers(out)
    refused = said[PLAN]
    assert "A learning walk needs a purpose" in refused and 'Give it with purpose "...".' in refused
    assert '§2: "The purpose and the focus will be shared with the whole staff team' in refused
    assert "Tom Baker's room is named twice" in said[f"{PLAN} @tom {PURPOSE}"]
    assert "§9: \"counted towards the overall maximum of three observations per year\"" in said[f"{PLAN} @tom {PURPOSE}"]
    assert "Priya Shah is not a class teacher" in said[f"{PLAN} @priya {PURPOSE}"]
    assert "No learning walks are planned this session." in said["/walk list"]  # nothing written, nothing announced
    planned = said[f"{PLAN} {PURPOSE}"]
    assert "Planned Learning walk #1" in planned and "purpose: share marking practice" in planned
    # The invitation says who is walking (Trust §1, Durants §1) and why.
    assert "→ Tom Baker: Learning walk #1 would visit your class Wed 3 Feb 09:00" in planned
    assert "Walking: Rachel Carli, Daniela Barzanti" in planned and "Purpose: share marking practice" in planned
    assert out.count("→ #staff channel (C0STAFF): Learning walk #1 on Wednesday 3 February") == 1
    # The programme and the walkers' reminders: purpose, focus, and Durants §5 and §6.
    assert "Purpose: share marking practice" in out.split("→ #staff channel (C0STAFF): Learning walk #1")[1]
    assert out.count("• ‘Learning walks’ will be conducted with minimum disruption to teachers and pupils.") == 5
    assert out.count("• ‘Learning walks’ will be undertaken in a supportive and professional manner.") == 5
    assert "starts Wed 3 Feb 2027 at 09:00; its findings are recorded once it has begun" in out
    assert "→ Rachel Carli: Learning walk #1 is over. Record what it found" in out
    assert "Only the walkers on learning walk #1 record its findings." in out
    assert "The report of learning walk #1 is not shared yet: SLT share it with all staff." in out
    assert "names Tom Baker" in said['/walk findings 1 strength "Tom\'s marking is sharp"']
    assert "§8" in said['/walk findings 1 strength "Tom\'s marking is sharp"']
    assert "7/10" in said['/walk findings 1 next "Score: 7/10"'] and "doesn't allow" in said['/walk findings 1 next "Score: 7/10"']
    recorded = [v for k, v in said.items() if k.startswith("/walk findings 1 strength \"pupils respond to feedback in")][0]
    assert "The 2 teachers whose classes it visited have been told" in recorded
    assert recorded.count("The walkers recorded 3 findings from learning walk #1") == 2
    assert "§10: \"will be given the opportunity to see any written records" in recorded
    # A walker's note about one room goes to that room's teacher (Durants §10).
    assert "→ Amy Chen: Daniela Barzanti wrote a note about your class on learning walk #1 (visit #2)" in \
        said['/visit notes 2 "books show hinge questions in every set"']
    # No room has a dialogue or record of its own (Durants §8).
    for typed in ("/visit dialogue 1 2027-02-04 14:00", '/visit record 1 "we talked"'):
        assert "is a room on learning walk #1" in said[typed] and "§8: \"There shall be no evaluation" in said[typed]
    assert "no feedback dialogue of their own" in said["/visit held 1"]
    amy_reads = out.split("@amy> /walk report 1")[1].split("@amy>")[0]  # a teacher visited, before it is shared
    assert "Strengths:\n• pupils respond to feedback in purple pen" in amy_reads and "Not shared with staff yet." in amy_reads
    shared = said["/walk report 1 share"]
    assert "→ #staff channel (C0STAFF): Learning walk #1 report — Wed 3 Feb 2027, 2 classrooms visited" in shared
    assert "Areas of excellence:" in shared and "• peer marking is routine in Year 9" in shared
    assert "Short written report highlighting strengths and areas of excellence" in shared
    assert "Tom Baker" not in shared.split("→ #staff channel")[1] and "Amy Chen" not in shared.split("→ #staff channel")[1]
    assert "no finding has been added since" in out
    assert "Learning walk #1 report" in out.split("@sam> /walk report 1")[-1]
    # Nowhere in the walk's notices is a room followed up on its own.
    for individual in ("feedback dialogue (about", "Please follow it up", "was due to end", "still needs its feedback",
                       "write the record of dialogue"):
        assert individual not in out, individual
    assert "Learning-walk reports to share: none" in out


def test_a_walk_with_a_room_that_cannot_be_booked_is_refused_whole_with_that_rooms_nearest_times(tmp_path):
    out = console(tmp_path, script(
        "as @sam", '/visit propose @tom 2027-02-03 P1 60m kind formal focus "questioning" feedback "after school"',
        "as @rachel",
        '/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" purpose "p" walkers @rachel @daniela '
        "rooms @amy @tom",
        '/walk plan 2027-02-03 09:00-09:40 focus "feedback in books" purpose "p" walkers @rachel rooms @amy @tom @sam',
        "/walk list", "advance to 2027-02-01T09:00"))
    assert "Sorry" not in out
    assert "• Tom Baker's room (09:20): Tom Baker is already booked then (visit #1" in out
    assert "• Nearest times Tom Baker's room could be visited: Wed 3 Feb 2027 at 09:50" in out
    assert "3 rooms of 20 minutes need 60 minutes; the walk has 40, room for 2" in out
    assert "No learning walks are planned this session." in out
    assert "Learning walk #" not in out.split("advance to")[-1] and "would visit your class" not in out


def test_004_walk_needs_feedback_arrangements_and_a_purpose_and_refuses_tick_boxes(tmp_path):
    preset = "lnct-sharing-classroom-experience"
    out = console(tmp_path, script(
        "as @rachel",
        '/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" walkers @rachel rooms @tom @amy',
        f'/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" {PURPOSE} {FEEDBACK} walkers @rachel rooms @tom',
        "as @tom", "/visit agree 1",
        "advance to 2027-02-03T11:05",
        "as @rachel", '/walk findings 1 strength "[x] starter [ ] plenary"',
        '/walk findings 1 strength "pupils explain their next steps"', "/walk report 1 share",
        "advance to 2027-03-01T09:00"), preset)
    said = answers(out)
    refused = said['/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" walkers @rachel rooms @tom @amy']
    assert '§3: "Areas of focus and feedback arrangements are discussed and agreed before visits take place."' in refused
    assert 'Give them with feedback "...".' in refused
    assert '§1: "All participants are clear regarding the purpose of any specific visit' in refused
    assert refused.count("•") == 2  # the walk's missing feedback is said once, not again for each room
    planned = [v for k, v in said.items() if FEEDBACK in k][0]
    assert "Planned Learning walk #1" in planned and "Feedback: a summary report at the staff meeting" in planned
    assert "§5: \"The visitor should avoid a tick box and grades approach.\"" in said['/walk findings 1 strength "[x] starter [ ] plenary"']
    assert "Recorded your findings" in out and "→ #staff channel (C0STAFF): Learning walk #1 report" in out
    assert '§8: "It is good practice for a summary report of findings' in out
    for individual in ("feedback dialogue (about", "Please follow it up", "was due to end"):
        assert individual not in out, individual


def test_trust_walk_needs_no_purpose_beyond_its_focus_and_no_room_is_evaluated_alone(tmp_path):
    out = console(tmp_path, script(
        "as @rachel", PLAN, "as @tom", "/visit agree 1", "advance to 2027-02-03T11:05",
        "as @rachel", "/visit dialogue 1 2027-02-04 14:00",
        '/walk findings 1 next "Ms Chen should model more"', '/walk findings 1 next "more modelling of worked examples"',
        "advance to 2027-03-01T09:00"), "trust-learning-walks")
    said = answers(out)
    assert "Planned Learning walk #1" in said[PLAN]  # Trust §2: "purpose or focus"
    assert "Walking: Rachel Carli, Daniela Barzanti" in said[PLAN]  # Trust §1: who will be conducting it
    assert "§10: \"There shall be no performance evaluation of an individual teachers teaching" in \
        said["/visit dialogue 1 2027-02-04 14:00"]
    assert "doesn't allow" in said['/walk findings 1 next "Ms Chen should model more"']
    assert "→ Tom Baker: The walkers recorded 1 finding from learning walk #1" in out
    assert "Amy Chen: The walkers recorded" not in out  # her room was never agreed
    assert '§9: "will be given the opportunity to see any written records' in out
    assert "Learning-walk reports to share (1):" in out  # SLT's digest keeps the report in front of them
    for individual in ("feedback dialogue (about", "Please follow it up", "was due to end"):
        assert individual not in out, individual
