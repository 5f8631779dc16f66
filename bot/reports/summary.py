"""The summary of findings (004 §8): "a summary report of findings for discussions at departmental/stage or whole
school level", against the session's focus areas.

It is about practice, never about a teacher: findings are a learning walk's, written naming nobody and with no
grade (bot.rules.walk.check_findings). A walk's findings go under a department or stage only when the walk visited
the classes of two or more of its teachers; with one, the group would point at that teacher, so they count for
the whole school alone. Records of dialogue are the teacher's and visitors' (004 §5): no part of one is written
for sharing, so the summary counts the records agreed against each focus area and quotes none.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time

from bot.domain.calendar import Session
from bot.domain.model import FindingKind, Role
from bot.domain.school import School
from bot.ports import Clock, UnitOfWork, WalkFindings
from bot.reports.commands import ShowSummary
from bot.reports.period import report_session
from bot.usecases.kernel import open_scope, require

MIN_TEACHERS = 2  # a group's findings and counts are shown only across this many teachers' classes
OTHER_FOCUS = "another focus"  # a visit's focus that is none of the session's focus areas
WHOLE_SCHOOL = "Whole school"
CLAUSE_PRESET = "lnct-sharing-classroom-experience"  # the agreement CLAUSE is from
CLAUSE = ("LNCT Agreement on Sharing Classroom Experience §8: “It is good practice for a summary report of findings "
          "for discussions at departmental/stage or whole school level to be produced.”")


@dataclass(frozen=True)
class FocusFindings:
    """What walks with one focus found, in one group."""

    focus: str
    walks: int
    classrooms: int
    findings: dict[FindingKind, tuple[str, ...]]
    records_agreed: int  # visits with this focus whose record of dialogue everyone agreed


@dataclass(frozen=True)
class GroupSummary:
    by: str  # "Department", "Stage" or WHOLE_SCHOOL
    name: str
    focus: tuple[FocusFindings, ...]  # those with findings or records, in the order of the session's focus areas


@dataclass(frozen=True)
class FindingsSummary:
    school: School
    session: Session
    groups: tuple[GroupSummary, ...]  # the whole school first, then departments, then stages
    made_at: datetime

    @property
    def whole_school(self) -> GroupSummary:
        return self.groups[0]


def show_summary(cmd: ShowSummary, uow: UnitOfWork, clock: Clock) -> FindingsSummary:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, "The summary of findings is for SLT, for discussion at departmental, stage or "
                                    "whole school level.")
        return findings_summary(uow, scope.school, scope.now)


def findings_summary(uow: UnitOfWork, school: School, now: datetime) -> FindingsSummary:
    """The session's summary, read inside an open unit of work (the chat command and `walkbot report findings`)."""
    session = report_session(school, now)
    cal = school.calendar
    walks = uow.reports.walk_findings(school.id, session.start, session.end)
    records = uow.reports.records_agreed(school.id, cal.at(session.start, time.min), cal.at(session.end, time.max))
    staff = {s.chat_id: s for s in uow.staff.all(school.id, with_leavers=True)}
    areas = session.focus_areas
    groups = [_group(WHOLE_SCHOOL, WHOLE_SCHOOL, walks, records, areas, lambda _: True)]
    for by, of in (("Department", lambda s: s.department), ("Stage", lambda s: s.stage)):
        names = sorted({of(s) for s in staff.values() if of(s) and s.has(Role.TEACHER)})
        for name in names:
            def inside(chat_id: str, of=of, name=name) -> bool:
                person = staff.get(chat_id)
                return person is not None and of(person) == name
            group = _group(by, name, walks, records, areas, inside)
            if group.focus:
                groups.append(group)
    return FindingsSummary(school, session, tuple(groups), now)


def _area(focus: str | None, areas: tuple[str, ...]) -> str:
    """The focus area a focus is; a school.yml that lists none: the focus itself."""
    said = " ".join((focus or "").split())
    if not areas:
        return said or OTHER_FOCUS
    return next((a for a in areas if " ".join(a.split()).casefold() == said.casefold()), OTHER_FOCUS)


def _group(by: str, name: str, walks: list[WalkFindings], records: list[tuple[str, str | None]],
           areas: tuple[str, ...], inside) -> GroupSummary:
    whole = by == WHOLE_SCHOOL
    found: dict[str, dict[FindingKind, list[str]]] = defaultdict(lambda: defaultdict(list))
    walked: dict[str, int] = defaultdict(int)
    rooms: dict[str, int] = defaultdict(int)
    for w in walks:
        teachers = {t for t in w.rooms if inside(t)}
        if not w.findings or len(teachers) < (1 if whole else MIN_TEACHERS):
            continue
        area = _area(w.walk.focus, areas)
        walked[area] += 1
        rooms[area] += len(teachers)
        for f in w.findings:
            found[area][f.kind].append(f.text)
    agreed: dict[str, set[str]] = defaultdict(set)
    counted: dict[str, int] = defaultdict(int)
    for teacher, focus in records:
        if inside(teacher):
            area = _area(focus, areas)
            agreed[area].add(teacher)
            counted[area] += 1
    shown_records = {a: n for a, n in counted.items() if whole or len(agreed[a]) >= MIN_TEACHERS}
    order = [*areas, *sorted((set(walked) | set(shown_records)) - {*areas, OTHER_FOCUS}), OTHER_FOCUS]
    focus = tuple(
        FocusFindings(a, walked.get(a, 0), rooms.get(a, 0),
                      {k: tuple(found[a][k]) for k in FindingKind if found[a][k]} if a in found else {},
                      shown_records.get(a, 0))
        for a in order if a in walked or a in shown_records)
    return GroupSummary(by, name, focus)
