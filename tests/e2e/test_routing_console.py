"""Routing that never reaches the person concerned, each case a script through `walkbot console` as a subprocess:
concerns and objections to the line manager, unless they concern them, then to the head teacher, and the head's own
to whoever school.yml names (the chair of governors); unsafe practice to the head (000 Conduct); an objection
resolved at school level (004 §9) or withdrawn, both sides told; an empty concern refused with a sentence."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCHOOL = """\
school:
  key: routing-primary
  name: Routing Primary
  timezone: Europe/London
  policy: trust-learning-walks
  school_day: {start: "08:50", end: "15:20"}
  periods: {P1: "08:50-09:50", P2: "09:50-10:50", P3: "11:10-12:10"}
  announcements_channel: C0STAFF
  escalation: {head: U07GORDON}
sessions:
  - name: "2026-27"
    terms:
      - {name: Spring, start: 2027-01-05, end: 2027-03-26}
staff:
  - {id: U01HEAD, handle: rachel, name: Rachel Carli, roles: [head, teacher]}
  - {id: U02DEPUTY, handle: daniela, name: Daniela Barzanti, roles: [slt, promoted, teacher], line_manager: U01HEAD}
  - {id: U03TOM, handle: tom, name: Tom Baker, roles: [teacher], line_manager: U02DEPUTY}
  - {id: U04AMY, handle: amy, name: Amy Chen, roles: [teacher], line_manager: U02DEPUTY}
  - {id: U05SAM, handle: sam, name: Sam Patel, roles: [teacher, promoted], line_manager: U01HEAD}
  - {id: U07GORDON, handle: gordon, name: Gordon Reid, roles: [governor]}
"""
PROPOSE = '/visit propose @tom {day} P2 30m kind formal focus "questioning" feedback "after school"'


def console(tmp_path: Path, script: str, school: str = SCHOOL) -> list[tuple[str, str]]:
    """Each line typed, with what the console printed for it (its reply and the notices sent meanwhile)."""
    (tmp_path / "school.yml").write_text(school)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [sys.executable, "-m", "handlers.cli", "console", "--school", "school.yml", "--now", "2027-01-11T08:30",
         "--db", f"sqlite:///{tmp_path / 'routing.db'}"],
        input=script, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "Sorry" not in run.stdout and "Traceback" not in run.stdout, run.stdout
    said = []
    for block in re.split(r"^@\w+> ", run.stdout, flags=re.MULTILINE)[1:]:
        typed, _, printed = block.partition("\n")
        said.append((typed, printed))
    return said


def answer(said: list[tuple[str, str]], typed: str) -> str:
    """What the console printed for the first line typed so (the reply and its notices)."""
    return next(printed for line, printed in said if line == typed)


def notices(printed: str) -> list[str]:
    """Whom each notice went to, in what it printed."""
    return re.findall(r"^\s+(?:\[[^\]]+\] )?→ ([^:]+):", printed, flags=re.MULTILINE)


def test_a_concern_goes_to_the_line_manager(tmp_path):
    said = console(tmp_path, 'as @tom\n/visit concern "two drop-ins in one week felt like a lot"\n')
    printed = answer(said, '/visit concern "two drop-ins in one week felt like a lot"')
    assert printed.startswith("Your concern has been passed to Daniela Barzanti (your line manager). "
                              "Only they can see it."), printed
    assert notices(printed) == ["Daniela Barzanti"]


def test_a_concern_about_the_line_manager_goes_to_the_head_and_never_to_them(tmp_path):
    said = console(tmp_path, "as @tom\n"
                             '/visit concern about @daniela "she drops in unannounced"\n'
                             '/visit concern "Daniela\'s drop-ins are unannounced"\n'
                             '/visit concern about @tom "me"\n')
    about = answer(said, '/visit concern about @daniela "she drops in unannounced"')
    assert about.startswith("Your concern has been passed to Rachel Carli (head teacher). Only they can see it. "
                            "It has not gone to Daniela Barzanti, whom it concerns."), about
    assert notices(about) == ["Rachel Carli"]
    assert "Tom Baker has raised a concern about classroom visits, concerning Daniela Barzanti" in about
    # Naming her without `about` does not reach her either.
    named = answer(said, '/visit concern "Daniela\'s drop-ins are unannounced"')
    assert "It names Daniela Barzanti, so it has not gone to them." in named and notices(named) == ["Rachel Carli"]
    assert answer(said, '/visit concern about @tom "me"').startswith("A concern is not about yourself")


def test_the_heads_own_concern_and_one_about_the_head_go_to_whoever_school_yml_names(tmp_path):
    said = console(tmp_path, "as @rachel\n"
                             '/visit concern "the visit timetable for next term"\n'
                             "as @sam\n"
                             '/visit concern about @rachel "three learning walks in my room"\n'
                             "as @tom\n"
                             '/visit concern about @rachel "three learning walks in my room"\n')
    own = answer(said, '/visit concern "the visit timetable for next term"')
    assert own.startswith("Your concern has been passed to Gordon Reid (named in school.yml for what concerns the "
                          "head teacher)."), own
    assert notices(own) == ["Gordon Reid"]
    [sam, tom] = [printed for line, printed in said if line == '/visit concern about @rachel "three learning walks '
                                                                'in my room"']
    assert notices(sam) == ["Gordon Reid"]  # Sam's line manager is the head it concerns
    assert notices(tom) == ["Daniela Barzanti"]  # Tom's line manager is not the one it concerns


def test_without_anyone_named_for_the_head_the_heads_own_concern_is_refused_with_a_sentence(tmp_path):
    said = console(tmp_path, 'as @rachel\n/visit concern "the visit timetable"\n',
                   SCHOOL.replace("  escalation: {head: U07GORDON}\n", ""))
    printed = answer(said, '/visit concern "the visit timetable"')
    assert printed.startswith("walkbot has nobody to pass this to who is not the person it concerns, so nothing was "
                              "recorded. Ask your IT lead to name"), printed
    assert notices(printed) == []  # not to her deputy


def test_unsafe_practice_goes_to_the_head_not_the_observers_line_manager(tmp_path):
    said = console(tmp_path, "as @amy\n"
                             f"{PROPOSE.format(day='2027-01-14')}\n"
                             "as @tom\n/visit agree 1\n"
                             "as @amy\n"
                             '/visit unsafe 1 "pupils left alone by the fume cupboard"\n'
                             "advance to 2027-01-14T10:00\n"
                             '/visit unsafe 1 ""\n'
                             '/visit unsafe 1 "pupils left alone by the fume cupboard"\n'
                             "as @tom\n"
                             '/visit unsafe 1 "nothing"\n'
                             "as @rachel\n"
                             '/visit unsafe 1 "nothing"\n')
    early, reported = [printed for line, printed in said
                       if line == '/visit unsafe 1 "pupils left alone by the fume cupboard"']
    assert early.startswith("Visit #1 has not taken place: practice seen on it can be reported once it has begun.")
    assert reported.startswith("Reported to Rachel Carli (head teacher), who will decide what happens next."), reported
    assert notices(reported) == ["Rachel Carli"]  # not Daniela, Amy's line manager; not Tom
    assert "Amy Chen reports practice seen as unsafe or below an acceptable standard" in reported
    assert answer(said, '/visit unsafe 1 ""').startswith('Say what you saw, in quotes, like /visit unsafe 1 "...".')
    assert answer(said, '/visit unsafe 1 "nothing"').startswith("Only a visitor reports practice seen on a visit.")


def test_an_objection_to_the_line_manager_goes_to_the_head_who_resolves_it_and_both_sides_are_told(tmp_path):
    said = console(tmp_path, "as @daniela\n"
                             f"{PROPOSE.format(day='2027-01-14')}\n"
                             "as @tom\n"
                             '/visit object 1 ""\n'
                             '/visit object 1 "she is my line manager"\n'
                             '/visit object 1 "again"\n'
                             "as @daniela\n"
                             f"{PROPOSE.format(day='2027-01-20')}\n"
                             '/visit object 1 resolve "we met"\n'
                             "as @tom\n"
                             '/visit object 1 resolve "we met"\n'
                             "as @rachel\n"
                             '/visit object 1 resolve ""\n'
                             '/visit object 1 resolve "we met; Daniela observes with Sam present"\n'
                             '/visit object 1 resolve "again"\n'
                             "as @daniela\n"
                             f"{PROPOSE.format(day='2027-01-21')}\n")
    assert answer(said, '/visit object 1 ""').startswith('Say why you object, in quotes, like '
                                                         '/visit object 1 "reason".')
    raised = answer(said, '/visit object 1 "she is my line manager"')
    assert raised.startswith("Recorded: you object to Daniela Barzanti observing your class. Until it is resolved "
                             "walkbot will not book Daniela Barzanti into your lessons, and Rachel Carli (head "
                             "teacher) has been asked to resolve it at school level."), raised
    assert notices(raised) == ["Rachel Carli"]  # never to the line manager it is about
    assert 'Please resolve it at school level, then say how: /visit object 1 resolve "...".' in raised
    assert answer(said, '/visit object 1 "again"').startswith(
        "You already object to Daniela Barzanti observing your class (visit #1); Rachel Carli has it to resolve.")
    # While it is open, Daniela is not booked into Tom's lessons.
    assert "Tom Baker has objected to Daniela Barzanti observing" in answer(said, PROPOSE.format(day="2027-01-20"))
    # Only whoever it went to resolves it: not the observer, not the teacher.
    for printed in [printed for line, printed in said if line == '/visit object 1 resolve "we met"']:
        assert printed.startswith("There is no open objection on visit #1 for you to resolve."), printed
    assert answer(said, '/visit object 1 resolve ""').startswith("Say how it was resolved, in quotes")
    resolved = answer(said, '/visit object 1 resolve "we met; Daniela observes with Sam present"')
    assert resolved.startswith("Resolved: Tom Baker's objection to Daniela Barzanti observing their class (visit #1). "
                               "Tom Baker has been told how;"), resolved
    assert notices(resolved) == ["Tom Baker"]
    assert "Rachel Carli has resolved your objection to Daniela Barzanti observing your class (visit #1): “we met; " \
           "Daniela observes with Sam present”" in resolved
    assert answer(said, '/visit object 1 resolve "again"').startswith("There is no open objection on visit #1")
    assert answer(said, PROPOSE.format(day="2027-01-21")).startswith("Proposed #")  # no longer blocked


def test_an_objection_withdrawn_by_the_teacher_tells_whoever_had_it_to_resolve(tmp_path):
    said = console(tmp_path, "as @amy\n"
                             f"{PROPOSE.format(day='2027-01-14')}\n"
                             "as @tom\n"
                             '/visit object 1 "we have history"\n'
                             "as @daniela\n"
                             "/visit object 1 withdraw\n"
                             "as @tom\n"
                             "/visit object 1 withdraw\n"
                             "/visit object 1 withdraw\n"
                             "as @amy\n"
                             f"{PROPOSE.format(day='2027-01-20')}\n")
    assert notices(answer(said, '/visit object 1 "we have history"')) == ["Daniela Barzanti"]  # Tom's line manager
    by_manager, withdrawn, again = [printed for line, printed in said if line == "/visit object 1 withdraw"]
    assert by_manager.startswith("There is no open objection on visit #1 for you to withdraw."), by_manager
    assert withdrawn.startswith("Withdrawn: your objection to Amy Chen observing your class (visit #1). Amy Chen may "
                                "be proposed for your lessons again. Daniela Barzanti, who had it to resolve, has been "
                                "told."), withdrawn
    assert notices(withdrawn) == ["Daniela Barzanti"]
    assert "Tom Baker has withdrawn their objection to Amy Chen observing their class (visit #1)" in withdrawn
    assert again.startswith("There is no open objection on visit #1 for you to withdraw.")
    assert answer(said, PROPOSE.format(day="2027-01-20")).startswith("Proposed #2")


def test_an_empty_concern_is_refused_with_a_sentence_and_passed_to_nobody(tmp_path):
    said = console(tmp_path, 'as @tom\n/visit concern ""\n/visit concern "   "\n/visit concern\n'
                             '/visit concern about @daniela ""\n')
    for typed, printed in said[1:]:
        assert notices(printed) == [], (typed, printed)
        assert printed.startswith(('Say what your concern is, in quotes, like /visit concern "...".',
                                   "Say your concern, in quotes.")), (typed, printed)
