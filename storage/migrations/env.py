"""Alembic environment: storage.migrate() passes a connection; the alembic CLI passes -x url=..."""
from alembic import context

from storage.tables import Base, described_here

config = context.config


def _configure(**kw) -> None:
    # render_as_batch: SQLite can only ALTER by copying tables, so autogenerate batch operations.
    context.configure(target_metadata=Base.metadata, include_name=described_here, render_as_batch=True,
                      compare_type=True, **kw)


def _cli_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("Say which database: alembic -c storage/alembic.ini -x url=sqlite:///walkbot.db ...")
    return url


connection = config.attributes.get("connection")
if context.is_offline_mode():
    _configure(url=_cli_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    from storage.db import make_engine

    with make_engine(_cli_url()).connect() as cli_connection:
        _configure(connection=cli_connection)
        with context.begin_transaction():
            context.run_migrations()
