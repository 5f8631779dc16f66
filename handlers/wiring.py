"""The composition root: the one place that chooses the store, the clock and the school."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import yaml

from bot.chat.router import Walkbot
from bot.domain.clock import SystemClock
from bot.domain.school import School, SchoolConfig, parse_school_config
from bot.errors import InputError
from bot.ports import Clock
from bot.usecases import roster
from storage.db import Store, open_store

DEFAULT_DB = "sqlite:///walkbot.db"


def database_url(given: str | None = None) -> str:
    """--db, else DATABASE_URL, else a SQLite file in the current folder."""
    return given or os.environ.get("DATABASE_URL") or DEFAULT_DB


def read_school_file(path: str | Path | None) -> dict:
    """school.yml as a mapping; without a path, the bundled demo school."""
    if path is None:
        text = resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(f"Can't read {path}: {err.strerror}.")
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise InputError(f"{path or 'The demo school'} is not valid YAML: {err}")


def load_school(store: Store, path: str | Path | None, clock: Clock | None = None) -> School:
    """Load (or re-load: it updates, never duplicates) a school.yml into the store."""
    return save_school(store, parse_school_config(read_school_file(path)), clock).school


def save_school(store: Store, config: SchoolConfig, clock: Clock | None = None) -> roster.Loaded:
    """A school.yml's school and staff, saved; what its calendar no longer allows ahead is told to the people in it."""
    return roster.load_school(config, store.uow(), clock or SystemClock())


def build(*, db_url: str | None = None, clock: Clock) -> tuple[Walkbot, Store]:
    store = open_store(database_url(db_url))
    from handlers.feed import public_url

    return Walkbot(uow_factory=store.uow, clock=clock, public_url=public_url()), store
