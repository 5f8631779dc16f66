"""`walkbot`: the command line. Each subcommand builds what it needs, nothing at import time."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.domain.clock import FixedClock
from bot.domain.policy import PRESET_IDS, load_preset, policy_table
from bot.errors import InputError, Unavailable, WalkbotError


def _policy_show(args) -> int:
    if args.preset:
        print(policy_table(load_preset(args.preset)))
    else:
        print("Built-in policy presets (walkbot policy show PRESET for one in full):")
        for preset_id in PRESET_IDS:
            print(f"  {preset_id:<36} {load_preset(preset_id).title}")
    return 0


def _school_config(path: str | None):
    """The school.yml at `path` (else the demo school), checked in full before any database is opened:
    every problem in it is told at once, each at its line."""
    from bot.domain.school import parse_school_config, read_school_yaml
    from handlers.wiring import read_school_file

    if path is None:
        return parse_school_config(read_school_file(None))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Can't read {path}: {err.strerror}.")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file (UTF-8); a school.yml is YAML text.")
    return parse_school_config(read_school_yaml(text, source=path))


def _load(args) -> int:
    from bot.domain.clock import SystemClock
    from handlers.wiring import build, save_school

    config = _school_config(args.school)
    _, store = build(db_url=args.db, clock=SystemClock())
    try:
        loaded = save_school(store, config)
    finally:
        store.close()
    school = loaded.school
    print(f"Loaded {school.name} (key {school.key}, policy {school.policy.preset_id}).")
    moved = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in
             ((loaded.visits, "visit"), (loaded.dialogues, "feedback dialogue"), (loaded.walks, "learning walk")) if n]
    if moved:  # counts only: who and when went to the people themselves
        print(f"Its calendar no longer allows the time of {', '.join(moved)} already booked: the people in them "
              "have been told to choose a new time (walkbot notices lists the messages).")
    return 0


def _console(args) -> int:
    from bot.domain.clock import SystemClock
    from handlers.console import Console, _moment
    from handlers.wiring import build, save_school

    config = _school_config(args.school)
    clock = FixedClock(SystemClock().now())
    bot, store = build(db_url=args.db, clock=clock)
    school = save_school(store, config, clock).school
    if args.school is None:  # the demo school books visits against its timetable
        from handlers.import_cli import import_demo_timetable
        import_demo_timetable(store, school.key)
    if args.now:
        clock.set(_moment(args.now, school.calendar.tz))
    with store.uow() as uow:
        staff = uow.staff.all(school.id)
        if not staff:
            raise WalkbotError(f"{school.name} has nobody on its staff list: list the staff in its school.yml.")
        actor = uow.staff.find(school.id, args.as_) if args.as_ else next((s for s in staff if s.is_slt), staff[0])
    if actor is None:
        raise WalkbotError(f"There is nobody called {args.as_} on {school.name}'s staff list.")
    console = Console(bot=bot, store=store, school=school, clock=clock, actor=actor)
    interactive = sys.stdin.isatty()
    console.run(lambda: _read_line(interactive), interactive)
    store.close()
    return 0


def _slack(args) -> int:
    from handlers.scheduler import dispatch_beside_slack
    from handlers.slack.server import socket_mode
    from handlers.slack.settings import SlackSettings

    return socket_mode(settings=SlackSettings.from_env(), db_url=args.db, on_start=dispatch_beside_slack)


def _serve(args) -> int:
    from handlers.scheduler import dispatch_beside_slack
    from handlers.slack.server import serve
    from handlers.slack.settings import SlackSettings

    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers {args.workers}: give how many `walkbot work` processes to start, 0 or more.")
    return serve(settings=SlackSettings.from_env(), db_url=args.db, host=args.host, port=args.port,
                 on_start=dispatch_beside_slack, workers=args.workers)


def _work(args) -> int:
    from handlers.work import work

    return work(db_url=args.db, parent=args.parent, dispatch=args.dispatch)


def _read_line(interactive: bool) -> str | None:
    try:
        line = input() if interactive else sys.stdin.readline()
    except EOFError:
        return None
    if not interactive and line == "":
        return None
    return line


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="walkbot", description="Book classroom visits as the staff agreement says.")
    sub = p.add_subparsers(dest="command", required=True)

    con = sub.add_parser("console", help="chat with walkbot in this terminal (a demo school unless --school)")
    con.add_argument("--school", help="a school.yml (default: the bundled demo school)")
    con.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    con.add_argument("--as", dest="as_", metavar="@USER", help="who is speaking (default: the first SLT member)")
    con.add_argument("--now", help="fix the clock, e.g. 2027-02-01T08:30 (school time)")
    con.set_defaults(run=_console)

    pol = sub.add_parser("policy", help="the built-in policy presets")
    pol_sub = pol.add_subparsers(dest="action", required=True)
    show = pol_sub.add_parser("show", help="print a preset as a table")
    show.add_argument("preset", nargs="?", choices=PRESET_IDS, metavar="PRESET")
    show.set_defaults(run=_policy_show)

    load = sub.add_parser("load", help="load or re-load a school.yml into the database")
    load.add_argument("school", help="path to school.yml")
    load.add_argument("--db", help="database URL")
    load.set_defaults(run=_load)

    slack = sub.add_parser("slack", help="run the Slack app over Socket Mode (SLACK_APP_TOKEN, SLACK_BOT_TOKEN)")
    slack.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    slack.set_defaults(run=_slack)

    serve = sub.add_parser("serve", help="run the Slack app over HTTP (SLACK_SIGNING_SECRET; a bot token or OAuth)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000; 0: any free port)")
    serve.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    serve.add_argument("--workers", type=int, default=None, metavar="N",
                       help="work on requests in N `walkbot work` processes, this one only acknowledging them "
                            "(default: 1 on PostgreSQL; on SQLite 0, threads of this process)")
    serve.set_defaults(run=_serve)

    work = sub.add_parser("work", help="work on the requests `walkbot serve` or `walkbot slack` acknowledged "
                                       "(SLACK_BOT_TOKEN or the OAuth settings; needs the same database)")
    work.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    work.add_argument("--parent", type=int, metavar="PID",
                      help="stop once process PID has ended (walkbot serve starts its workers so)")
    work.add_argument("--dispatch", action="store_true",
                      help="send the notices too, as walkbot serve does beside its app (its first worker does)")
    work.set_defaults(run=_work)

    teams = sub.add_parser("teams", help="Microsoft Teams: `walkbot teams serve` runs the bot's endpoint; "
                                         "`walkbot teams package --out FILE.zip --app-id ID` writes the app package")
    teams.add_argument("job", choices=["serve", "package"],
                       help="serve: the bot's endpoint /api/messages (TEAMS_APP_ID, TEAMS_APP_SECRET, TEAMS_TENANT_ID; "
                            "teams serve --help); package: the app package (teams package --help)")

    from handlers.outbox_cli import (
        add_commands,  # walkbot dispatch, walkbot notices [--failed | retry ID]
    )
    add_commands(sub)
    from handlers.reports_cli import add_commands as add_reports  # walkbot report findings | coverage | equality
    add_reports(sub)
    from handlers import import_cli  # walkbot import staff | timetable | oneroster
    import_cli.add_commands(sub)
    from handlers import calendar_cli  # walkbot calendar rotate
    calendar_cli.add_commands(sub)
    from handlers import privacy_cli  # walkbot purge, export, sar, erase, rekey
    privacy_cli.add_commands(sub)
    return p


def _database_trouble(args, error: BaseException) -> str | None:
    """What to tell the operator when `error` means the database cannot be used as given, else None."""
    from sqlalchemy import exc
    from sqlalchemy.engine import make_url

    from handlers.wiring import database_url

    cause = error.__cause__ if isinstance(error, Unavailable) and error.__cause__ else error
    unreachable = isinstance(error, Unavailable) or isinstance(
        cause, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError))
    if not unreachable and not isinstance(cause, exc.ArgumentError):
        return None
    url = database_url(getattr(args, "db", None))
    try:
        parsed = make_url(url if "://" in url else f"sqlite:///{url}")
        shown, password = parsed.render_as_string(hide_password=True), parsed.password
        sqlite = parsed.get_backend_name() == "sqlite"
    except exc.ArgumentError:
        shown, password, sqlite = "a URL walkbot cannot read", None, False
    if not unreachable:
        return (f"walkbot: {shown} is not a database URL walkbot can use ({cause}). Give --db or DATABASE_URL "
                "as postgresql+psycopg://user@host/dbname or sqlite:///walkbot.db.")
    inner = getattr(cause, "orig", None) or cause
    reason = next((line.strip() for line in str(inner).splitlines() if line.strip()), type(inner).__name__)
    if password:
        reason = reason.replace(str(password), "***")
    check = ("its folder exists and walkbot may write there, and that --db or DATABASE_URL names the right "
             "file" if sqlite else "the database server is running and accepting connections, and that --db or "
             "DATABASE_URL gives its address")
    return (f"walkbot: the database cannot be reached ({reason}); nothing was changed. Check that {check} "
            f"(now {shown}); then run the command again.")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:2] == ["teams", "package"]:  # its options are the package writer's own (handlers/teams/package.py)
        from handlers.teams import package
        return package.main(given[2:])
    if given[:2] == ["teams", "serve"]:  # and the endpoint's (handlers/teams/server.py)
        from handlers.scheduler import dispatch_beside_teams
        from handlers.teams import server
        return server.main(given[2:], on_start=dispatch_beside_teams)
    args = parser().parse_args(given)
    try:
        return args.run(args)
    except WalkbotError as err:
        told = _database_trouble(args, err) if isinstance(err, Unavailable) else None
        print(told or f"walkbot: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # the database, as given, cannot be used: say so, not a traceback
        told = _database_trouble(args, err)
        if told is None:
            raise
        print(told, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
