"""`walkbot calendar rotate --school KEY --person ID`: IT gives someone a new calendar feed address (the old one
then gets 404), when theirs got out or they lost it. Added to the CLI's parser by handlers.cli.
"""
from __future__ import annotations


def add_commands(sub) -> None:
    cal = sub.add_parser("calendar", help="people's private calendar feeds")
    rotate = cal.add_subparsers(dest="action", required=True).add_parser(
        "rotate", help="a new calendar feed address for someone; their old one stops working at once")
    rotate.add_argument("--school", required=True, metavar="KEY", help="the school's key, as in its school.yml")
    rotate.add_argument("--person", required=True, metavar="ID", help="their staff id (or handle)")
    rotate.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    rotate.set_defaults(run=_rotate)


def _rotate(args) -> int:
    from bot.domain.clock import SystemClock
    from bot.usecases.calendar import PATH, PUBLIC_URL_ENV, feed_url, rotate
    from handlers.feed import public_url
    from handlers.wiring import database_url
    from storage import open_store

    store = open_store(database_url(args.db))
    try:
        school, person, token, renewed = rotate(store.uow(), SystemClock(), school_key=args.school,
                                                person=args.person)
    finally:
        store.close()
    base = public_url()
    old = "Their old address no longer works. " if renewed else ""
    print(f"{old}New calendar feed address for {person.name} ({person.chat_id}) at {school.name}; give it to them "
          "privately, it is shown only now:")
    if base:
        print(f"  {feed_url(base, token)}")
    else:
        print(f"  {PATH}{token}.ics after the address people reach walkbot at ({PUBLIC_URL_ENV} is not set here, "
              "so it can't be printed whole)")
    return 0
