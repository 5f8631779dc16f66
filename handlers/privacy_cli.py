"""`walkbot purge`, `export`, `sar`, `erase` and `rekey`: the school's data protection duties from the command line
(docs/privacy.md). Added to the CLI's parser by handlers.cli; builds what it needs only when a command runs.

What these print is for SLT and the school's DPO at the terminal: counts and dates, never anyone's words.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import zipfile
from datetime import date
from pathlib import Path

from bot.errors import InputError

DB_HELP = "database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)"


def add_commands(sub) -> None:
    purge = sub.add_parser("purge", help="delete or de-identify what is past the retention periods in school.yml, "
                                         "and write the disposal log")
    purge.add_argument("--dry-run", action="store_true", help="say what is due, change nothing")
    purge.add_argument("--db", help=DB_HELP)
    purge.set_defaults(run=_purge)

    export = sub.add_parser("export", help="everything walkbot holds about one person, as JSON and CSV in a zip "
                                           "(a subject access request)")
    _person_args(export)
    export.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write (not overwritten)")
    export.set_defaults(run=_export)

    sar = sub.add_parser("sar", help="subject access requests: log one with its legal due date, list them, "
                                     "mark one answered")
    jobs = sar.add_subparsers(dest="job", required=True)
    log = jobs.add_parser("log", help="record a request received, due one calendar month on")
    _person_args(log)
    log.add_argument("--received", type=_day, metavar="DATE", help="the day it was received (default: today)")
    log.set_defaults(run=_sar_log)
    listing = jobs.add_parser("list", help="requests not answered yet, soonest due first")
    listing.add_argument("--school", metavar="KEY", help="one school's (default: every school's)")
    listing.add_argument("--all", action="store_true", help="answered ones too")
    listing.add_argument("--db", help=DB_HELP)
    listing.set_defaults(run=_sar_list)
    done = jobs.add_parser("done", help="the request was answered today")
    done.add_argument("--school", required=True, metavar="KEY", help="the school's key (school.key in school.yml)")
    done.add_argument("id", type=int, help="the request's number, from walkbot sar list")
    done.add_argument("--db", help=DB_HELP)
    done.set_defaults(run=_sar_done)

    erase = sub.add_parser("erase", help="erase a leaver once nothing of theirs must be kept, leaving counts true")
    _person_args(erase)
    erase.set_defaults(run=_erase)

    rekey = sub.add_parser("rekey", help="re-encrypt stored Slack tokens under the first key of WALKBOT_SECRET_KEY "
                                         "(the new key first, the old after it, comma-separated)")
    rekey.add_argument("--db", help=DB_HELP)
    rekey.set_defaults(run=_rekey)


def _person_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--school", required=True, metavar="KEY", help="the school's key (school.key in school.yml)")
    p.add_argument("--person", required=True, metavar="ID", help="their staff id from school.yml (or @handle)")
    p.add_argument("--db", help=DB_HELP)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it like 2027-02-01")


def _store(args):
    from handlers.wiring import database_url
    from storage.db import open_store

    return open_store(database_url(args.db))


def _clock():
    from bot.domain.clock import SystemClock

    return SystemClock()


def _purge(args) -> int:
    from bot.usecases.privacy import purge

    store = _store(args)
    try:
        done = purge(store.uow, _clock(), dry_run=args.dry_run)
        with store.uow() as uow:
            keys = {s.id: s.key for s in uow.schools.all()}
    finally:
        store.close()
    if not done:
        print("Nothing is past its retention period." if args.dry_run else
              "Nothing was past its retention period; nothing was changed.")
        return 0
    print(f"{'Due now (nothing changed: --dry-run)' if args.dry_run else 'Disposed of, and logged'}:")
    for d in done:
        where = keys.get(d.school_id, "no school")
        print(f"  {where:<20} {d.kind:<14} {d.count:>6} {'to be ' if args.dry_run else ''}{d.action}")
    return 0


def _export(args) -> int:
    from bot.usecases.privacy import export

    out = Path(args.out)
    if out.exists():
        raise InputError(f"{out} exists already; give a new file name (an export is never written over another).")
    store = _store(args)
    try:
        found = export(store.uow(), _clock(), args.school, args.person)
    finally:
        store.close()
    try:
        _write_zip(out, found)
    except OSError as err:
        raise InputError(f"can't write {out}: {err.strerror}. Check the folder exists and may be written to.")
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in found.sections.items() if name != "staff")
    print(f"Wrote {out}: what walkbot holds about {found.person.chat_id} at {found.school.name} ({counts}).")
    if found.withheld:
        held = " and ".join(f"{n} {what}" for what, n in found.withheld.items())
        print(f"Withheld: {held}. They would tell who raised them, which the agreements keep from the person "
              "(003 §13, 004 §9); the school's DPO decides whether any part can be given (UK GDPR Art. 15(4)).")
    return 0


def _write_zip(out: Path, found) -> None:
    """person.json with every section, a CSV for each, and a README saying what they are."""
    document = {"school": found.school.key, "person": found.person.chat_id, "made_at": found.made_at.isoformat(),
                **found.sections}
    with zipfile.ZipFile(out, "x", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("person.json", json.dumps(document, ensure_ascii=False, indent=2))
        for name, rows in found.sections.items():
            z.writestr(f"{name.replace(' ', '_')}.csv", _csv(rows))
        z.writestr("README.txt", README.format(school=found.school.name, made=found.made_at.isoformat()))


README = """What walkbot holds about you at {school}, as it was at {made}.

person.json holds every part; each CSV file holds one of them, one row per item: staff (your entry on the
staff list), visits (as teacher or visitor), notes (made on those visits: everyone in a visit may see them),
records (records of dialogue), walks (you planned or walked), lessons (your timetable, if the school imported
one), findings (you wrote), concerns (you raised), objections (you raised), messages (every message walkbot sent
you, or will), and subject access requests (yours). Words removed at the end of their retention period read
"(removed: past the school's retention period)".
"""


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        # A spreadsheet runs a cell that starts with =, +, - or @: such text is opened as text.
        writer.writerows({k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in row.items()}
                         for row in rows)
    return buffer.getvalue()


def _sar_log(args) -> int:
    from bot.usecases.privacy import log_request

    store = _store(args)
    try:
        school, staff, request = log_request(store.uow(), _clock(), args.school, args.person, args.received)
    finally:
        store.close()
    print(f"Logged subject access request #{request.id} from {staff.chat_id} at {school.name}, received "
          f"{request.received_on:%-d %B %Y}: the answer is due by {request.due_on:%A %-d %B %Y} (one calendar month; "
          f"a public holiday that day gives one more working day). Make it with: walkbot export --school "
          f"{school.key} --person {staff.chat_id} --out FILE.zip")
    return 0


def _sar_list(args) -> int:
    from bot.usecases.privacy import list_requests

    store = _store(args)
    try:
        found = list_requests(store.uow(), args.school, everything=args.all)
        with store.uow() as uow:
            keys = {s.id: s.key for s in uow.schools.all()}
    finally:
        store.close()
    if not found:
        print("No subject access requests." if args.all else "No subject access request is waiting for an answer.")
        return 0
    today = date.today()
    for r in found:
        state = (f"answered {r.answered_on}" if r.answered_on else
                 f"OVERDUE since {r.due_on}" if r.due_on < today else f"due {r.due_on}")
        print(f"  #{r.id:<4} {keys.get(r.school_id, '?'):<20} {r.person:<20} received {r.received_on}  {state}")
    return 0


def _sar_done(args) -> int:
    from bot.usecases.privacy import answer_request

    store = _store(args)
    try:
        r = answer_request(store.uow(), _clock(), args.school, args.id)
    finally:
        store.close()
    print(f"Subject access request #{r.id} answered on {r.answered_on} (it was due {r.due_on}).")
    return 0


def _erase(args) -> int:
    from bot.usecases.privacy import erase

    store = _store(args)
    try:
        school, touched = erase(store.uow(), _clock(), args.school, args.person)
    finally:
        store.close()
    said = ", ".join(f"{n} {kind}" for kind, n in touched.items())
    print(f"Erased {args.person} at {school.name}: their name, handle and email are gone and a pseudonym stands for "
          f"them everywhere ({said}), so caps and reports still count what happened. Take them off school.yml for "
          "good: listed again, they would be a new entry.")
    return 0


def _rekey(args) -> int:
    from cryptography.fernet import InvalidToken

    from handlers.slack.oauth import SEALED_COLUMNS, Undecryptable, token_cipher
    from handlers.slack.settings import KEY_HELP
    from storage.repos.privacy import reseal

    given = os.environ.get("WALKBOT_SECRET_KEY", "")
    if not given.strip():
        raise InputError("WALKBOT_SECRET_KEY is not set. Give the new key first and the old one after it, "
                         f"comma-separated (make a key with: {KEY_HELP}).")
    cipher = token_cipher(given)

    def rotate(sealed: str) -> str:
        try:
            return cipher.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise Undecryptable("A stored Slack token cannot be decrypted with any key in WALKBOT_SECRET_KEY; "
                                "nothing was changed. Give the key it was stored with after the new one, "
                                "comma-separated.") from None

    store = _store(args)
    try:
        with store.uow() as uow:
            count = reseal(uow.session, SEALED_COLUMNS, rotate)
            uow.commit()
    finally:
        store.close()
    keys = len([k for k in given.split(",") if k.strip()])
    after = " The keys after the first may now be removed from WALKBOT_SECRET_KEY." if keys > 1 else ""
    print(f"Re-encrypted {count} stored credential{'s' if count != 1 else ''} under the first key of "
          f"WALKBOT_SECRET_KEY, in one transaction.{after}")
    return 0
