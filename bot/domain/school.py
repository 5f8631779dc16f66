"""A school as configured in school.yml: calendar, chosen preset with overrides, staff list."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.calendar import Period, SchoolCalendar, Session, Term
from bot.domain.model import Role
from bot.domain.policy import Policy, load_preset
from bot.errors import InputError


@dataclass(frozen=True)
class StaffSpec:
    chat_id: str
    name: str
    roles: frozenset[Role]
    handle: str | None = None
    line_manager: str | None = None


@dataclass(frozen=True)
class School:
    id: int | None
    key: str
    name: str
    calendar: SchoolCalendar
    policy: Policy
    announcements_channel: str | None
    config: Mapping[str, Any]  # the school.yml document it was built from, kept to rebuild it
    slack_team_id: str | None = None  # the Slack workspace whose members are this school's staff

    def __deepcopy__(self, memo: dict) -> School:
        # Nothing changes a School once built, so a copy may be itself; copying its calendar and policy
        # whenever a chat framework copies a request (Bolt does, for work after an ack) costs milliseconds.
        return self


@dataclass(frozen=True)
class SchoolConfig:
    school: School
    staff: tuple[StaffSpec, ...]


def _time(value: Any, where: str) -> time:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InputError(f"school.yml {where}: '{value}' is not a time; write it like \"08:50\".")


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"school.yml {where}: '{value}' is not a date; write it like 2026-09-02.")


def _holiday(value: Any) -> tuple[date, date]:
    text = value.isoformat() if isinstance(value, date) else str(value)
    first, _, last = text.partition("/")
    return _date(first, "holidays"), _date(last or first, "holidays")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "school"


def parse_school_config(data: Mapping[str, Any]) -> SchoolConfig:
    """Build a school from a school.yml document, saying plainly what is wrong if anything is."""
    if not isinstance(data, Mapping) or not isinstance(data.get("school"), Mapping):
        raise InputError("school.yml must start with a 'school:' section (name, timezone, policy, ...).")
    s = data["school"]
    name = str(s.get("name") or "").strip()
    if not name:
        raise InputError("school.yml: school.name is missing.")
    tz = str(s.get("timezone", "Europe/London"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"school.yml: '{tz}' is not a timezone; use one like Europe/London.")
    policy = load_preset(str(s.get("policy", ""))).with_overrides(s.get("overrides") or {})
    day = s.get("school_day") or {}
    periods = []
    for pname, span in (s.get("periods") or {}).items():
        first, _, last = str(span).partition("-")
        periods.append(Period(str(pname), _time(first, f"period {pname}"), _time(last, f"period {pname}")))
    sessions = []
    for sess in data.get("sessions") or []:
        terms = tuple(
            Term(str(t["name"]), _date(t["start"], "term start"), _date(t["end"], "term end"))
            for t in sess.get("terms") or []
        )
        if not terms:
            raise InputError(f"school.yml: session {sess.get('name')} has no terms.")
        sessions.append(Session(str(sess["name"]), tuple(sorted(terms, key=lambda t: t.start))))
    if not sessions:
        raise InputError("school.yml: list at least one session with its terms under 'sessions:'.")
    holidays = tuple(_holiday(h) for sess in data.get("sessions") or [] for h in sess.get("holidays") or [])
    calendar = SchoolCalendar(
        timezone=tz,
        day_start=_time(day.get("start", "08:50"), "school_day.start"),
        day_end=_time(day.get("end", "15:20"), "school_day.end"),
        sessions=tuple(sorted(sessions, key=lambda x: x.start)),
        holidays=holidays,
        periods=tuple(periods),
    )
    staff, seen = [], set()
    for row in data.get("staff") or []:
        try:
            roles = frozenset(Role(r) for r in row.get("roles") or ["teacher"])
        except ValueError as err:
            raise InputError(f"school.yml staff {row.get('name')}: {err}; roles are {', '.join(r.value for r in Role)}.")
        if not row.get("id") or not row.get("name"):
            raise InputError("school.yml: every staff entry needs an id (the chat user id) and a name.")
        if str(row["id"]) in seen:
            raise InputError(f"school.yml lists the staff id {row['id']} twice; each person needs their own id.")
        seen.add(str(row["id"]))
        handle = str(row["handle"]).strip().lstrip("@") or None if row.get("handle") else None
        staff.append(StaffSpec(str(row["id"]), str(row["name"]), roles, handle, row.get("line_manager")))
    school = School(
        id=None,
        key=str(s.get("key") or _slug(name)),
        name=name,
        calendar=calendar,
        policy=policy,
        announcements_channel=s.get("announcements_channel"),
        config=dict(data),
        slack_team_id=s.get("slack_team_id"),
    )
    return SchoolConfig(school, tuple(staff))
