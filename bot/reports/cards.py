"""The summary of findings and coverage as cards: what SLT see in chat (each surface renders them), and what
`walkbot report` writes as Markdown (bot.reports.documents renders the same cards), in the same words."""
from __future__ import annotations

from bot.domain.words import finding_words
from bot.reply.card import Card, Field, Say, Section, line
from bot.rules.walk import walk_cite, walk_clauses
from bot.reports import summary as s
from bot.reports.coverage import Coverage, TeacherCoverage


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


# --- the summary of findings -------------------------------------------------------------------------

def summary_card(result: s.FindingsSummary) -> Card:
    sections = [_group_section(g) for g in result.groups]
    if not result.whole_school.focus:
        sections.insert(0, Section(lines=(line("No learning walk this session has findings yet, and no record of "
                                               "dialogue is agreed: walkers record findings with ",
                                               Say('walk findings ID strength "..."'), "."),)))
    # 004 §8 asks for the summary; the school's own agreement may say what its walks report too.
    policy = result.school.policy
    own = walk_cite(policy, walk_clauses(policy).report)
    sections.append(Section(notes=(
        s.CLAUSE, *((str(own),) if own and policy.preset_id != s.CLAUSE_PRESET else ()),
        f"About practice, never a named teacher, never a grade. A department or stage is shown only where walks "
        f"visited the classes of {s.MIN_TEACHERS} or more of its teachers; records of dialogue are counted, never "
        "quoted.")))
    cal = result.school.calendar
    return Card(f"Summary of findings — {result.school.name}, session {result.session.name} "
                f"(as of {cal.local(result.made_at):%-d %b %Y})", tuple(sections))


def _group_section(group: s.GroupSummary) -> Section:
    title = s.WHOLE_SCHOOL if group.by == s.WHOLE_SCHOOL else f"{group.by}: {group.name}"
    lines: list = []
    for f in group.focus:
        counts = ([plural(f.walks, "learning walk"), plural(f.classrooms, "classroom") + " visited"] if f.walks
                  else ["no learning walk"])
        if f.records_agreed:
            counts.append(plural(f.records_agreed, "record of dialogue", "records of dialogue") + " agreed")
        lines.append(f"Focus: {f.focus} — {', '.join(counts)}")
        for kind, texts in f.findings.items():
            lines += [f"  {finding_words(kind)}: {text}" for text in texts]
    return Section(title, tuple(lines) or ("Nothing to summarise yet.",))


# --- coverage ----------------------------------------------------------------------------------------

def _caps(row: TeacherCoverage) -> str:
    return " · ".join(map(str, row.lines)) or "no caps"


def coverage_card(result: Coverage) -> Card:
    cal = result.school.calendar
    sections = [
        Section("Visits per teacher this session (agreed or held):", tuple(
            f"  {r.teacher.name}: {plural(r.visits, 'visit')} · {_caps(r)}" for r in result.teachers)
            or ("No one on the staff list teaches.",)),
        Section("Per department:", tuple(
            f"  {d.name} ({plural(d.teachers, 'teacher')}): {plural(d.visits, 'visit')}"
            + "".join(f" · {u}" for u in d.lines) for d in result.departments) or ("No departments.",)),
        Section("No visit yet this session:", (
            "  " + ", ".join(t.name for t in result.none_yet) if result.none_yet else "  Everyone has had one.",)),
        Section("At or near a cap:", tuple(
            f"  {r.teacher.name}: {' · '.join(map(str, r.near))}" for r in result.near) or ("  No one.",)),
        Section("Learning walks per term:", tuple(
            f"  {t.term}: {t.done} done, {t.planned} planned"
            + (f" (the agreement: {t.allowed} a term)" if t.allowed is not None else "") for t in result.terms)),
        Section(fields=(Field("Feedback dialogues overdue", str(result.dialogues_overdue)),),
                notes=tuple(f"({c})" for c in result.citations) + ("Counts only: no judgement of anyone.",)),
    ]
    return Card(f"Coverage — {result.school.name}, session {result.session.name} "
                f"(as of {cal.local(result.made_at):%-d %b %Y})", tuple(sections))
