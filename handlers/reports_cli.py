"""`walkbot report findings | coverage | equality`: SLT's reports written to files.

Added to the CLI's parser by handlers.cli; like it, builds what it needs only when a command runs. Reports only
read: nothing is written to the database, and the HR file given to `report equality` is read into memory for the
one run and kept nowhere.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bot.errors import InputError, NotFound

MARKDOWN, CSV = ".md", ".csv"


def add_commands(sub) -> None:
    report = sub.add_parser("report", help="SLT's reports: findings (summary, 004 §8), coverage (counts against the "
                                           "caps, with a chart), equality (Trust §14, from the school's HR export)")
    kinds = report.add_subparsers(dest="report", required=True)

    def common(p) -> None:
        p.add_argument("--school", required=True, metavar="KEY", help="the school's key, as in its school.yml")
        p.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
        p.add_argument("--now", help="the moment the report is as of, e.g. 2027-03-01T09:00 (school time; "
                                     "default: now); it covers that moment's session")

    findings = kinds.add_parser("findings", help="the summary of findings by department, stage and whole school")
    common(findings)
    findings.add_argument("--out", required=True, metavar="FILE", help="FILE.md (Markdown) or FILE.csv")
    findings.set_defaults(run=_findings)

    coverage = kinds.add_parser("coverage", help="visits against each cap this session: coverage.csv and coverage.png")
    common(coverage)
    coverage.add_argument("--out", required=True, metavar="DIR", help="the folder to write coverage.csv and "
                                                                      "coverage.png in (made if missing)")
    coverage.set_defaults(run=_coverage)

    equality = kinds.add_parser("equality", help="the yearly equality impact report, from the school's HR export")
    common(equality)
    equality.add_argument("--groups", required=True, metavar="FILE.csv",
                          help="the HR export: staff id, then one column per characteristic; read, never kept")
    equality.add_argument("--threshold", type=_threshold, default=10,
                          help="withhold counts under this (default: 10; never below 5)")
    equality.add_argument("--out", required=True, metavar="FILE", help="FILE.md (Markdown) or FILE.csv")
    equality.set_defaults(run=_equality)


def _threshold(text: str) -> int:
    from bot.reports.disclosure import LOWEST_THRESHOLD

    if not text.isdigit() or int(text) < LOWEST_THRESHOLD:
        raise argparse.ArgumentTypeError(f"'{text}' can't be the threshold: give a whole number, "
                                         f"{LOWEST_THRESHOLD} or more")
    return int(text)


def _document(out: str) -> Path:
    path = Path(out)
    if path.suffix.lower() not in (MARKDOWN, CSV):
        raise InputError(f"{out}: give a file ending {MARKDOWN} (Markdown) or {CSV}.")
    if path.is_dir():
        raise InputError(f"{out} is a folder: give a file ending {MARKDOWN} or {CSV}.")
    return path


def _read(args, build):
    """build(uow, school, now) in one read-only unit of work on the school with this key."""
    from bot.domain.clock import SystemClock
    from handlers.console import _moment
    from handlers.wiring import database_url
    from storage.db import open_store

    store = open_store(database_url(args.db))
    try:
        with store.uow() as uow:
            school = uow.schools.by_key(args.school)
            if school is None:
                raise NotFound(f"There is no school with the key '{args.school}' in this database: load its "
                               "school.yml first (walkbot load school.yml).")
            now = _moment(args.now, school.calendar.tz) if args.now else SystemClock().now()
            return build(uow, school, now)
    finally:
        store.close()


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"Can't write {path}: {err.strerror}.")


def _findings(args) -> int:
    from bot.reports.cards import summary_card
    from bot.reports.documents import card_markdown, summary_csv
    from bot.reports.summary import findings_summary

    path = _document(args.out)
    result = _read(args, findings_summary)
    _write(path, summary_csv(result) if path.suffix.lower() == CSV else card_markdown(summary_card(result)))
    walks = sum(f.walks for f in result.whole_school.focus)
    print(f"Wrote the summary of findings for session {result.session.name} ({walks} learning walk"
          f"{'s' if walks != 1 else ''} with findings) to {path}.")
    return 0


def _coverage(args) -> int:
    from bot.reports.coverage import coverage
    from bot.reports.documents import coverage_csv

    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{args.out} is a file: give a folder for coverage.csv and coverage.png.")
    result = _read(args, coverage)
    _write(folder / "coverage.csv", coverage_csv(result))
    try:
        chart(result).savefig(folder / "coverage.png", format="png", dpi=120)
    except OSError as err:
        raise InputError(f"Can't write {folder / 'coverage.png'}: {err.strerror}.")
    print(f"Wrote coverage for session {result.session.name} ({len(result.teachers)} teachers) to "
          f"{folder / 'coverage.csv'} and {folder / 'coverage.png'}.")
    return 0


def chart(result):
    """Visits per teacher against the first cap, and learning walks per term against the agreement.

    matplotlib's Figure on its own (no pyplot): no window, no global state, the Agg renderer for PNG."""
    from matplotlib.figure import Figure

    rows = list(reversed(result.teachers))  # top to bottom by name
    height = 2.5 + 0.35 * max(len(rows), 1)
    figure = Figure(figsize=(9, height), layout="constrained")
    bars, walks = figure.subplots(1, 2, width_ratios=(3, 2))
    names = [r.teacher.name for r in rows]
    first = rows[0].lines[0] if rows and rows[0].lines else None
    used = [r.lines[0].used if first else r.visits for r in rows]
    bars.barh(names, used, color="#4878a8")
    if first:
        bars.axvline(first.cap, color="#b03030", linestyle="--", label=f"cap: {first.cap}")
        bars.set_xlim(0, max([first.cap, *used]) + 1)
        bars.legend(loc="lower right")
        bars.set_title(f"{first.label.capitalize()}, session {result.session.name}")
    else:
        bars.set_title(f"Visits this session ({result.session.name})")
    bars.xaxis.get_major_locator().set_params(integer=True)
    terms = [t.term for t in result.terms]
    walks.bar(terms, [t.done for t in result.terms], color="#4878a8", label="done")
    walks.bar(terms, [t.planned for t in result.terms], bottom=[t.done for t in result.terms], color="#a8c4e0",
              label="planned")
    allowed = {t.allowed for t in result.terms} - {None}
    for cap in allowed:
        walks.axhline(cap, color="#b03030", linestyle="--", label=f"agreement: {cap} a term")
    walks.set_ylim(0, max([*allowed, *(t.done + t.planned for t in result.terms), 0]) + 1)
    walks.set_title("Learning walks per term")
    walks.yaxis.get_major_locator().set_params(integer=True)
    walks.legend(loc="upper right")
    figure.suptitle(f"{result.school.name}: coverage (counts only); feedback dialogues overdue: "
                    f"{result.dialogues_overdue}")
    return figure


def _equality(args) -> int:
    from bot.reports.documents import equality_csv, equality_markdown
    from bot.reports.equality import equality_report, read_groups

    path = _document(args.out)
    try:
        text = Path(args.groups).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Can't read {args.groups}: {err.strerror}.")
    except UnicodeDecodeError:
        raise InputError(f"{args.groups} is not a text file (UTF-8): save the HR export as CSV (UTF-8).")
    groups = read_groups(text, source=args.groups)
    result = _read(args, lambda uow, school, now: equality_report(uow, school, now, groups, args.threshold))
    _write(path, equality_csv(result) if path.suffix.lower() == CSV else equality_markdown(result))
    print(f"Wrote the equality monitoring report for session {result.session.name} ({len(result.tables)} "
          f"characteristic{'s' if len(result.tables) != 1 else ''}, counts under {result.threshold} withheld) "
          f"to {path}. Nothing from {args.groups} was kept.")
    return 0
