"""The reports as documents: Markdown (from the same cards chat shows, so both say the same) and CSV.

Text out, nothing written: handlers/reports_cli.py writes the files. Person-written text (findings) is escaped for
Markdown, so a finding never becomes a link, an image or markup in whatever the school opens it with.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

from bot.domain.words import finding_words
from bot.reply.card import Card, Say
from bot.reports.cards import plural
from bot.reports.coverage import Coverage
from bot.reports.disclosure import Table
from bot.reports.equality import CLAUSE as EQUALITY_CLAUSE
from bot.reports.equality import EqualityReport
from bot.reports.summary import FindingsSummary

WITHHELD = "—"
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~!])")


def escaped(text: str) -> str:
    return _MARKUP.sub(r"\\\1", text)


def _line(parts) -> str:
    if isinstance(parts, str):
        return escaped(parts)
    return "".join(f"`{p.words}`" if isinstance(p, Say) else escaped(p) for p in parts)


def card_markdown(card: Card) -> str:
    out = [f"# {escaped(card.title)}", ""] if card.title else []
    for section in card.sections:
        if section.title:
            out += [f"## {escaped(section.title)}", ""]
        for said in section.lines:
            text = said if isinstance(said, str) else None
            indent = "  " if text is not None and text.startswith("  ") else ""
            out.append(f"{indent}- {_line(text.strip() if text is not None else said)}")
        out += [f"- **{escaped(f.label)}**: {escaped(f.value)}" for f in section.fields]
        if section.lines or section.fields:
            out.append("")
        out += [f"_{escaped(note)}_\n" for note in section.notes]
    return "\n".join(out).rstrip() + "\n"


def _csv(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        # A cell a spreadsheet would run as a formula is written as text (findings are person-written).
        writer.writerow(f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row)
    return buffer.getvalue()


def summary_csv(result: FindingsSummary) -> str:
    rows: list[list[object]] = [["level", "group", "focus", "learning walks", "classrooms visited",
                                 "records of dialogue agreed", "kind", "finding"]]
    for g in result.groups:
        for f in g.focus:
            base = [g.by, g.name, f.focus, f.walks, f.classrooms, f.records_agreed]
            said = [(finding_words(k), t) for k, texts in f.findings.items() for t in texts]
            rows += [[*base, kind, text] for kind, text in said] or [[*base, "", ""]]
    return _csv(rows)


def coverage_csv(result: Coverage) -> str:
    """Long form, one count a row: what, whose, which count, the count, and its cap where there is one."""
    rows: list[list[object]] = [["of", "name", "count", "value", "cap"]]
    for r in result.teachers:
        rows.append(["teacher", r.teacher.name, "visits", r.visits, ""])
        rows += [["teacher", r.teacher.name, u.label, u.used, u.cap] for u in r.lines]
    for d in result.departments:
        rows += [["department", d.name, "teachers", d.teachers, ""], ["department", d.name, "visits", d.visits, ""]]
        rows += [["department", d.name, u.label, u.used, u.cap] for u in d.lines]
    for t in result.terms:
        allowed = "" if t.allowed is None else t.allowed
        rows += [["term", t.term, "learning walks done", t.done, allowed],
                 ["term", t.term, "learning walks planned", t.planned, allowed]]
    rows.append(["school", result.school.name, "feedback dialogues overdue", result.dialogues_overdue, ""])
    return _csv(rows)


# --- equality monitoring -----------------------------------------------------------------------------

def table_rows(table: Table) -> list[list[str]]:
    """The table as cells, its header first, the whole school last."""
    def cell(value) -> str:
        return WITHHELD if value is None else str(value)

    head = [table.characteristic, "Staff", *table.measures, *(f"{m} per head" for m in table.measures)]
    return [head, *([r.group, cell(r.heads), *map(cell, r.counts), *map(cell, r.rates)]
                    for r in (*table.rows, table.total))]


def equality_markdown(result: EqualityReport) -> str:
    out = [f"# Equality monitoring — {escaped(result.school.name)}, session {escaped(result.session.name)}", "",
           f"_{escaped(EQUALITY_CLAUSE)}_", "",
           "Class teachers' visits this session (agreed or held), apart from learning walks, and the times a "
           "learning walk visited their rooms, per head in each group, against the school's rate (the whole school's "
           "row). Counts are rounded to the "
           f"nearest 5; a count under {result.threshold} is withheld ({WITHHELD}), and so is any count from which a "
           "withheld one could be worked out; no rate is given for fewer than 10 people. One characteristic per "
           "table.", "",
           "The HR file was read for this report only: walkbot kept none of it."
           + (f" {plural(result.unmatched, 'staff id')} in it matched no class teacher and "
              f"{'was' if result.unmatched == 1 else 'were'} left out." if result.unmatched else ""), ""]
    for table in result.tables:
        head, *rows = table_rows(table)
        out += [f"## By {escaped(table.characteristic)}", "",
                "| " + " | ".join(map(escaped, head)) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(map(escaped, r)) + " |" for r in rows]
        out.append("")
    return "\n".join(out)


def equality_csv(result: EqualityReport) -> str:
    """One header for every table (they share their columns), each row led by its characteristic."""
    rows: list[list[object]] = []
    for table in result.tables:
        head, *body = table_rows(table)
        rows = rows or [["characteristic", "group", *head[1:]]]
        rows += [[table.characteristic, *r] for r in body]
    return _csv(rows)
