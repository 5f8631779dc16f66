"""The timetable, the staff an MIS export lists, and the visitors whose cover is arranged."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.timetable import Lesson
from bot.ports import Changes, ImportedStaff, Listed
from storage.repos.schools import FROM_CHAT, FROM_FILE, _roles_text, has_no_lessons, school_changed, timetabled
from storage.tables import StaffRow, TimetableLessonRow, VisitCoverRow

# Where a staff row comes from when an import wrote it: school.yml re-loads leave it be (they retire only their own).
FROM_IMPORT = "import"


def _lesson(row: TimetableLessonRow) -> Lesson:
    return Lesson(row.chat_id, row.day, row.start_time, row.end_time, row.week, row.period, row.class_name,
                  row.subject, row.room)


def _fill(row: TimetableLessonRow, lesson: Lesson) -> None:
    row.chat_id, row.week, row.day = lesson.teacher, lesson.week, lesson.day
    row.start_time, row.end_time, row.period = lesson.start, lesson.end, lesson.period
    row.class_name, row.subject, row.room = lesson.group, lesson.subject, lesson.room


class SqlTimetableRepo:
    def __init__(self, session: Session):
        self.session = session

    def lessons(self, school_id: int, chat_ids: Iterable[str]) -> list[Lesson] | None:
        """In one query: these people's lessons, and one lesson of the school's, whoever's, to tell a school with a
        timetable (a list, empty if they teach nothing) from one without (None)."""
        if not timetabled(self.session, school_id):
            return None
        people = sorted(set(chat_ids))
        any_one = select(func.min(TimetableLessonRow.id)).where(TimetableLessonRow.school_id == school_id)
        rows = self.session.scalars(select(TimetableLessonRow).where(
            TimetableLessonRow.school_id == school_id,
            or_(TimetableLessonRow.chat_id.in_(people), TimetableLessonRow.id == any_one.scalar_subquery()))
            .order_by(TimetableLessonRow.chat_id, TimetableLessonRow.day, TimetableLessonRow.start_time)).all()
        if not rows:
            has_no_lessons(self.session, school_id)
            return None
        return [_lesson(r) for r in rows if r.chat_id in people]

    def replace(self, school_id: int, lessons: Iterable[Lesson]) -> Changes:
        """The school's timetable becomes `lessons`: rows that did not change are left as they are."""
        rows = {_lesson(r).key(): r for r in self.session.scalars(
            select(TimetableLessonRow).where(TimetableLessonRow.school_id == school_id))}
        changes = Changes()
        wanted = {lesson.key(): lesson for lesson in lessons}
        for key, lesson in wanted.items():
            row = rows.pop(key, None)
            if row is None:
                row = TimetableLessonRow(school_id=school_id)
                self.session.add(row)
                changes.added += 1
            elif _lesson(row) != lesson:
                changes.changed += 1
            else:
                changes.unchanged += 1
                continue
            _fill(row, lesson)
        for row in rows.values():
            self.session.delete(row)
            changes.removed += 1
        if changes.added or changes.removed:
            school_changed(self.session, school_id)  # whether it has lessons is read with the school
        self.session.flush()
        return changes

    def cover(self, visit_id: int) -> frozenset[str]:
        return frozenset(self.session.scalars(select(VisitCoverRow.chat_id).where(VisitCoverRow.visit_id == visit_id)))

    def set_cover(self, visit_id: int, chat_ids: Iterable[str]) -> None:
        self.session.execute(delete(VisitCoverRow).where(VisitCoverRow.visit_id == visit_id))
        self.session.add_all(VisitCoverRow(visit_id=visit_id, chat_id=c) for c in sorted(set(chat_ids)))
        self.session.flush()


class SqlImportedStaffRepo:
    def __init__(self, session: Session):
        self.session = session

    def listed(self, school_id: int) -> list[Listed]:
        rows = self.session.scalars(select(StaffRow).where(StaffRow.school_id == school_id).order_by(StaffRow.id))
        return [Listed(r.chat_id, r.mis_id, r.email, r.source, r.active) for r in rows]

    def save(self, school_id: int, people: Iterable[ImportedStaff]) -> Changes:
        """Insert or update each person by their MIS id (else their staff id); retire whom an earlier import
        brought and this one does not list. Someone school.yml or chat keeps on the list stays as they keep them:
        only their MIS id is recorded, so a timetable can name them."""
        rows = list(self.session.scalars(select(StaffRow).where(StaffRow.school_id == school_id)))
        by_mis = {r.mis_id: r for r in rows if r.mis_id}
        by_chat = {r.chat_id: r for r in rows}
        changes, seen, recorded = Changes(), set(), False
        for person in people:
            spec = person.spec
            row = by_mis.get(person.mis_id) or by_chat.get(spec.chat_id)
            if row is not None and row.active and row.source in (FROM_FILE, FROM_CHAT):
                if row.mis_id != person.mis_id:
                    row.mis_id, recorded = person.mis_id, True
                changes.kept += 1
                seen.add(row.id)
                continue
            if row is None:
                row = StaffRow(school_id=school_id, chat_id=spec.chat_id)
                self.session.add(row)
                changes.added += 1
            before = (row.name, row.roles, row.handle, row.line_manager, row.email, row.department, row.stage,
                      row.mis_id, row.active, row.source)
            # A person's staff id is kept once given: their visits refer to it.
            row.name, row.roles, row.handle = spec.name, _roles_text(spec.roles), spec.handle
            row.line_manager, row.email = spec.line_manager, spec.email
            row.department, row.stage, row.mis_id = spec.department, spec.stage, person.mis_id
            row.active, row.source = True, FROM_IMPORT
            if row.id is not None:
                seen.add(row.id)
                after = (row.name, row.roles, row.handle, row.line_manager, row.email, row.department, row.stage,
                         row.mis_id, row.active, row.source)
                if after != before:
                    changes.changed += 1
                else:
                    changes.unchanged += 1
        for row in rows:
            if row.source == FROM_IMPORT and row.active and row.id not in seen:
                row.active = False
                changes.removed += 1
        if recorded or changes.added or changes.changed or changes.removed:
            school_changed(self.session, school_id)  # every process reads the staff list afresh
        self.session.flush()
        return changes
