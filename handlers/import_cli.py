"""`walkbot import staff|timetable|oneroster`: the school's MIS exports into walkbot (bot.usecases.imports).

Added to the CLI's parser by handlers.cli; like it, builds what it needs only when a command runs. It prints
counts only: who is in a file stays in the file and the database.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from bot.errors import InputError


def add_commands(sub) -> None:
    imp = sub.add_parser("import", help="staff or a timetable from the school's MIS (CSV), or a OneRoster 1.1 export; "
                                        "every bad line is told, and nothing changes until none is")
    kinds = imp.add_subparsers(dest="kind", required=True)
    for kind, what, path in (
            ("staff", "staff_id,name,email,roles,line_manager,department,slack_id,teams_id (roles separated by ;)",
             "FILE.csv"),
            ("timetable", "staff_id,week,day,period,start,end,class,subject,room (week A, B or blank)", "FILE.csv"),
            ("oneroster", "a OneRoster 1.1 CSV export (folder or zip): its teachers become staff; pupils are never "
                          "read", "PATH")):
        one = kinds.add_parser(kind, help=what)
        one.add_argument("path", metavar=path)
        one.add_argument("--school", required=True, metavar="KEY", help="the school's key (school.key in school.yml)")
        one.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
        one.set_defaults(run=_run)


def import_demo_timetable(store, key: str) -> None:
    """The demo school's timetable (bot/demo/timetable.csv), so the console demo books visits to lessons."""
    from importlib import resources

    from bot.usecases.imports import import_timetable

    text = resources.files("bot").joinpath("demo/timetable.csv").read_text(encoding="utf-8")
    import_timetable(key, text, "bot/demo/timetable.csv", store.uow())


def _text(path: Path, name: str | None = None) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Can't read {path}: {err.strerror}.")
    except UnicodeDecodeError:
        raise InputError(f"{name or path} is not UTF-8 text: save it from your spreadsheet as CSV UTF-8.")


def _oneroster(path: Path) -> dict[str, str]:
    """The files of a OneRoster export walkbot reads, from a folder or a zip (in it, or in a folder inside it)."""
    from bot.usecases.imports import ONEROSTER_FILES

    if path.is_dir():
        return {name: _text(path / name, name) for name in ONEROSTER_FILES if (path / name).is_file()}
    try:
        with zipfile.ZipFile(path) as archive:
            found = {}
            for info in archive.infolist():
                name = Path(info.filename).name
                if name in ONEROSTER_FILES and not info.is_dir():
                    try:
                        found[name] = archive.read(info).decode("utf-8")
                    except UnicodeDecodeError:
                        raise InputError(f"{name} in {path} is not UTF-8 text.")
            return found
    except OSError as err:
        raise InputError(f"Can't read {path}: {err.strerror or err}.")
    except zipfile.BadZipFile:
        raise InputError(f"{path} is neither a folder nor a zip file: give the OneRoster export's folder or zip.")


def _run(args) -> int:
    from bot.usecases import imports
    from handlers.wiring import database_url
    from storage.db import open_store

    path = Path(args.path)
    files = _oneroster(path) if args.kind == "oneroster" else None
    text = None if files is not None else _text(path)
    store = open_store(database_url(args.db))
    try:
        if args.kind == "staff":
            done = imports.import_staff(args.school, text, str(path), store.uow())
        elif args.kind == "timetable":
            done = imports.import_timetable(args.school, text, str(path), store.uow())
        else:
            done = imports.import_oneroster(args.school, files, str(path), store.uow())
    finally:
        store.close()
    print(said(done))
    return 0


def said(done) -> str:
    """What an import did, in counts."""
    c, what = done.changes, done.what
    parts = [f"{c.added} added", f"{c.changed} changed", f"{c.unchanged} unchanged",
             f"{c.removed} {'retired' if what == 'staff' else 'taken away'}"]
    text = f"Imported {what} for {done.school.name} (key {done.school.key}): {', '.join(parts)}."
    if c.kept:
        text += (f" {c.kept} {'person is' if c.kept == 1 else 'people are'} kept as school.yml (or chat) lists "
                 "them; their MIS id is recorded, so a timetable can name them.")
    if done.skipped:
        text += f" {done.skipped} rows that are not staff (pupils, parents and the like) were passed over unread."
    return text
