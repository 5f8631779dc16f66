"""The timetable's rules, where a school has imported one: a visit is to a lesson the class teacher teaches,
and a visitor who is teaching then goes only when cover for their own class is arranged.

No agreement gives these a number; each is cited to the clause that makes a visit a visit to a lesson (or to
cover), quoted as the agreement words it (docs/agreements.md, "The timetable").
"""
from __future__ import annotations

from bot.domain.model import Staff, VisitKind
from bot.domain.policy import Citation, Param, Policy
from bot.domain.timetable import Lesson, Timetable
from bot.rules.verdict import Context, Facts, Subject, Violation, VisitPlan

# The clause of each agreement that makes a visit an observation of a lesson, by its source document.
LESSON_CLAUSES = {
    "000_8c7263112acbdf1e.txt": ("Conduct", "Learning visits should not interfere with on-going work in the "
                                            "classroom."),
    "001_9f102a9238302ff5.txt": ("§4", "Each classroom will be visited by identified members of staff who will spend "
                                       "approximately 15-20 minutes visiting lessons"),
    "002_cf766f3820b4c679.txt": ("Principles and Good Practice", "The lessons shared should reflect the learning and "
                                                                 "teaching routinely undertaken in the learning "
                                                                 "environment."),
    "003_0255d307c2fb6076.txt": ("Preamble", "This Trust agrees that 'Learning walks' (or other short visits to "
                                             "classes such as drop-ins) will be carried out in accordance with the "
                                             "Trust classroom observation protocol whenever possible."),
    "004_a26e7e7449eb27fa.txt": ("§4", "The visitor is given the opportunity to play an active part in the lesson."),
}
# The one clause of the five about freeing a teacher to visit (peer visits, 004 §7); the others say nothing of cover.
COVER_CLAUSES = {
    "004_a26e7e7449eb27fa.txt": ("§7", "The school will facilitate these visits where possible."),
}


def _cite(policy: Policy, clauses: dict[str, tuple[str, str]], name: str) -> Citation | None:
    found = clauses.get(policy.document)
    if found is None:
        return None
    clause, quote = found
    return Citation(policy.title, policy.document, Param(name, True, clause, quote))


def lesson_citation(policy: Policy) -> Citation | None:
    return _cite(policy, LESSON_CLAUSES, "visit_is_to_a_lesson")


def cover_citation(policy: Policy) -> Citation | None:
    return _cite(policy, COVER_CLAUSES, "cover")


def lesson_of(plan: VisitPlan, timetable: Timetable, ctx: Context) -> Lesson | None:
    """The class teacher's lesson the visit lies within."""
    cal = ctx.calendar
    return timetable.holding(plan.teacher.chat_id, cal.local(plan.start), cal.local(plan.end))


def teaching(person: Staff, plan: VisitPlan, timetable: Timetable, ctx: Context) -> list[Lesson]:
    """The lessons `person` teaches during the visit."""
    cal = ctx.calendar
    return timetable.overlapping(person.chat_id, cal.local(plan.start), cal.local(plan.end))


def lesson_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    """With a timetable: the visit lies within one of the teacher's lessons, and no visitor leaves a class of their
    own uncovered. The lesson visited is named as a note (a warning that refuses nothing). Without one: nothing."""
    timetable = facts.timetable
    if timetable is None or plan.kind is VisitKind.INSPECTION:
        return []
    cal, teacher = ctx.calendar, plan.teacher
    start, end = cal.local(plan.start), cal.local(plan.end)
    week = timetable.week(start.date())
    in_week = f" (week {week})" if week else ""
    found = []
    lesson = lesson_of(plan, timetable, ctx)
    if lesson is not None:
        found.append(Violation("lesson", f"The lesson: {lesson.label()}.", field=Subject.START, warning=True))
    else:
        that_day = timetable.on(teacher.chat_id, start.date())
        taught = "; ".join(f"{x.label()} {x.start:%H:%M}–{x.end:%H:%M}" for x in that_day)
        runs_over = [x for x in that_day if x.overlaps(start.time(), end.time())]
        if runs_over:
            x = runs_over[0]
            said = (f"{start:%H:%M}–{end:%H:%M} is not within one of {teacher.name}'s lessons: {x.label()} runs "
                    f"{x.start:%H:%M}–{x.end:%H:%M}. A visit stays within the lesson it is to.")
        else:
            said = (f"{teacher.name} teaches no lesson at {start:%H:%M} on {start:%a %-d %b}{in_week}: it is a free "
                    f"period on their timetable, and a visit is to a lesson. "
                    + (f"That day they teach {taught}." if taught else "They teach no lessons that day."))
        found.append(Violation("lesson.free", said, lesson_citation(ctx.policy), field=Subject.START))
    for visitor in plan.visitors:
        own = teaching(visitor, plan, timetable, ctx) if visitor.chat_id != teacher.chat_id else []
        if own and visitor.chat_id in timetable.cover:
            found.append(Violation(
                "lesson.cover", f"{visitor.name}'s own class then, {own[0].label()}, is to be covered: SLT are told "
                                "a cover request is needed when the visit is agreed.",
                cover_citation(ctx.policy), field=Subject.VISITORS, warning=True))
        elif own and plan.kind is VisitKind.LEARNING_WALK:  # a walk is planned whole: no cover word to say
            found.append(Violation(
                "lesson.walker", f"{visitor.name} is teaching {own[0].label()} then{in_week}: choose walkers who are "
                                 "free then, or another time.", field=Subject.VISITORS))
        elif own:
            found.append(Violation(
                "lesson.visitor",
                f"{visitor.name} is teaching {own[0].label()} then{in_week}. They can visit if cover for that "
                "class is arranged: SLT are then told a cover request is needed.",
                cover_citation(ctx.policy), field=Subject.VISITORS))
    return found


def covered_lessons(plan: VisitPlan, timetable: Timetable | None, ctx: Context) -> list[tuple[Staff, Lesson]]:
    """Each visitor's own lesson that the visit takes them from, cover arranged: what SLT must cover."""
    if timetable is None:
        return []
    return [(v, x) for v in plan.visitors if v.chat_id in timetable.cover and v.chat_id != plan.teacher.chat_id
            for x in teaching(v, plan, timetable, ctx)]
