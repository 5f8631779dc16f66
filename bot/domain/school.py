"""A school as configured in school.yml: calendar, chosen preset with overrides, staff list.

`read_school_yaml` reads the file keeping each entry's line number; `parse_school_config` then checks
the whole document and reports every problem at once, each at its line (a plain dict has no lines).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.domain.calendar import InspectionPeriod, Period, SchoolCalendar, Session, Term
from bot.domain.model import Role
from bot.domain.policy import PRESET_IDS, Policy, load_preset
from bot.domain.retention import DEFAULT_RETENTION, Retention, parse_retention
from bot.errors import InputError

KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# What the database keeps of each (storage/tables.py): longer would be refused there, not here.
MOST = {"key": 100, "name": 200, "slack_team_id": 32, "id": 64, "handle": 100, "email": 254, "teams_id": 200,
        "department": 100, "stage": 100}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A Teams team or channel id: 19:<opaque>@thread.<kind> (tacv2 for today's teams, skype for older ones).
TEAMS_THREAD = re.compile(r"19:[^\s@]+@thread\.[a-z0-9]+")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class StaffSpec:
    chat_id: str
    name: str
    roles: frozenset[Role]
    handle: str | None = None
    line_manager: str | None = None
    email: str | None = None  # lower case: how a Teams user is matched to this entry on first contact
    department: str | None = None  # what reports group practice by (004 §8: "departmental/stage")
    stage: str | None = None


@dataclass(frozen=True)
class TeamsLink:
    """The school's Microsoft 365 organisation, and the staff channel its walk programmes go to in Teams.

    Several schools may share one tenant (a local authority's, such as Glow): which school a person belongs
    to is then their place on a staff list, never the tenant alone.
    """

    tenant_id: str  # the Entra tenant id (a GUID), lower case
    team_id: str | None = None  # the staff team (19:...@thread.tacv2): walkbot asks it who a colleague is
    channel_id: str | None = None  # the channel in that team for the walk programme (19:...@thread.tacv2)


@dataclass(frozen=True)
class School:
    id: int | None
    key: str  # school.key: the school's lasting identity; its name may change
    name: str
    calendar: SchoolCalendar
    policy: Policy
    announcements_channel: str | None
    config: Mapping[str, Any]  # the school.yml document it was built from, kept to rebuild it
    slack_team_id: str | None = None  # the Slack workspace whose members are this school's staff
    teams: TeamsLink | None = None  # the Microsoft 365 tenant whose users are this school's staff
    # school.escalation.head: the staff id of whoever takes what concerns the head teacher (the chair of governors)
    head_escalation: str | None = None
    # timetable.week_a_starts: the Monday of a week A, for a two-week timetable (bot.domain.timetable)
    week_a_starts: date | None = None
    retention: Retention = DEFAULT_RETENTION  # how long each kind of record is kept (school.yml retention:)

    @property
    def staff_channels(self) -> tuple[str, ...]:
        """Where notices for all staff go: the Slack channel and the Teams channel, whichever are set."""
        teams = self.teams.channel_id if self.teams else None
        return tuple(dict.fromkeys(c for c in (self.announcements_channel, teams) if c))

    def __deepcopy__(self, memo: dict) -> School:
        # Nothing changes a School once built, so a copy may be itself; copying its calendar and policy
        # whenever a chat framework copies a request (Bolt does, for work after an ack) costs milliseconds.
        return self


@dataclass(frozen=True)
class SchoolConfig:
    school: School
    staff: tuple[StaffSpec, ...]


# --- school.yml with line numbers ----------------------------------------------------------------


class _Lines(dict):
    """A YAML mapping that knows the line of each of its keys (and of keys it was given twice)."""

    line: int | None = None
    source: str = "school.yml"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}
        self.twice: list[tuple[Any, int, int]] = []  # (key, its line again, its first line)


class _LineList(list):
    """A YAML sequence that knows the line of each of its items."""

    line: int | None = None

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lines:
    loader.flatten_mapping(node)  # merge keys (<<: *anchor)
    found = _Lines()
    found.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a key here is a list or a mapping",
                                                    key_node.start_mark)
        line = key_node.start_mark.line + 1
        if key in found:
            found.twice.append((key, line, found.lines[key]))
        found[key] = loader.construct_object(value_node, deep=True)
        found.lines[key] = line
    return found


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    found = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    found.line = node.start_mark.line + 1
    found.lines = [child.start_mark.line + 1 for child in node.value]
    return found


_LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def read_school_yaml(text: str, source: str = "school.yml") -> Any:
    """A school.yml's text as data that remembers where each entry is, for parse_school_config."""
    try:
        document = yaml.load(text, Loader=_LineLoader) or {}
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"{source} is not valid YAML{where}: {err.problem or err.context}.")
    except yaml.YAMLError as err:
        raise InputError(f"{source} is not valid YAML: {err}")
    if isinstance(document, _Lines):
        document.source = source  # named in what parse_school_config says of it
    return document


def _plain(value: Any) -> Any:
    """The document without its line numbers: what School.config keeps (and the database stores)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _at(container: Any, key: Any) -> int | None:
    """The line of container[key] in the file, when the document was read with read_school_yaml."""
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key)
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return lines[key]
    return None


# --- problems, all at once -----------------------------------------------------------------------


class _Problems:
    """Every problem found in one school.yml, so one load tells them all."""

    def __init__(self, strict: bool, source: str):
        self.strict, self.source = strict, source
        self.found: list[tuple[int | None, str]] = []

    def add(self, line: int | None, message: str) -> None:
        """Something the school cannot be built without."""
        self.found.append((line, message))

    def unwise(self, line: int | None, message: str) -> None:
        """A school that could be built, but wrongly. Documents stored before these checks existed
        (read back with a stored key) skip them: the school keeps working until its file is next loaded."""
        if self.strict:
            self.add(line, message)

    def error(self) -> InputError:
        found = sorted(self.found, key=lambda f: (f[0] is None, f[0] or 0))
        said = [f"line {line}: {message}" if line else message for line, message in found]
        if len(said) == 1:
            return InputError(f"{self.source} {said[0]}" if found[0][0] else f"{self.source}: {said[0]}")
        return InputError(f"{self.source} has {len(said)} problems; nothing was loaded:\n"
                          + "\n".join(f"  {s}" for s in said))


def _told(err: InputError) -> str:
    text = str(err)
    return text[len("school.yml "):] if text.startswith("school.yml ") else text


def _twice(value: Any, problems: _Problems) -> None:
    """Keys given twice in one mapping: YAML keeps the last without a word."""
    if isinstance(value, _Lines):
        for key, line, first in value.twice:
            problems.unwise(line, f"'{key}' is given twice here (first on line {first}); only one can count.")
    if isinstance(value, Mapping):
        for item in value.values():
            _twice(item, problems)
    elif isinstance(value, list):
        for item in value:
            _twice(item, problems)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _time(value: Any, where: str, line: int | None, problems: _Problems) -> time | None:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        # YAML 1.1 reads 8:50, unquoted, as the number 530.
        hint = " in quotes (without them YAML reads 8:50 as a number)" if isinstance(value, int) else ""
        problems.add(line, f"{where}: '{value}' is not a time; write it like \"08:50\"{hint}.")
        return None


def _date(value: Any, where: str, line: int | None, problems: _Problems) -> date | None:
    if isinstance(value, datetime):
        problems.add(line, f"{where}: '{value}' is a date and a time; give the date alone, like 2026-09-02.")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(line, f"{where}: '{value}' is not a date; write it like 2026-09-02.")
        return None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "school"


def _long(problems: _Problems, line: int | None, what: str, text: str, field: str) -> None:
    if len(text) > MOST[field]:
        problems.unwise(line, f"{what} is {len(text)} characters long; at most {MOST[field]} can be kept.")


# --- the document --------------------------------------------------------------------------------


def parse_school_config(data: Mapping[str, Any], *, stored_key: str | None = None) -> SchoolConfig:
    """Build a school from a school.yml document, saying plainly everything that is wrong, if anything is.

    `stored_key`: the document is one the database already holds, under that key; it was checked when
    it was loaded, so only what it takes to build the school is checked again.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("school"), Mapping):
        raise InputError("school.yml must start with a 'school:' section (key, name, timezone, policy, ...).")
    problems = _Problems(strict=stored_key is None, source=getattr(data, "source", "school.yml"))
    _twice(data, problems)
    s = data["school"]
    top = _at(data, "school")

    name = _text(s.get("name"))
    if not name:
        problems.add(_at(s, "name") or top, "school.name is missing: the school's name, as its staff know it.")
    _long(problems, _at(s, "name"), "school.name", name, "name")
    key = stored_key or _key(s, name, top, problems)

    tz = _text(s.get("timezone", "Europe/London"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.add(_at(s, "timezone") or top, f"'{tz}' is not a timezone; use one like Europe/London.")
        tz = "Europe/London"
    policy = _policy(s, top, problems)
    calendar = _calendar(data, s, tz, top, problems)
    staff = _staff(data, problems)

    team = _text(s.get("slack_team_id")) or None
    if team:
        _long(problems, _at(s, "slack_team_id"), "school.slack_team_id", team, "slack_team_id")
    teams = _teams(s, top, problems)
    head_escalation = _escalation(s, staff, top, problems)
    week_a_starts = _timetable(data, problems)
    channel = s.get("announcements_channel")
    retention = parse_retention(data.get("retention"), _at(data, "retention") or top, _at, problems.unwise)
    if problems.found:
        raise problems.error()
    school = School(
        id=None,
        key=key,
        name=name,
        calendar=calendar,
        policy=policy,
        announcements_channel=str(channel) if channel is not None else None,
        config=_plain(data),
        slack_team_id=team,
        teams=teams,
        head_escalation=head_escalation,
        week_a_starts=week_a_starts,
        retention=retention,
    )
    return SchoolConfig(school, tuple(staff))


def _timetable(data: Mapping[str, Any], problems: _Problems) -> date | None:
    """timetable: {week_a_starts: DATE}: the Monday of a week A, which a two-week timetable counts from
    (the lessons themselves come from `walkbot import timetable`)."""
    given = data.get("timetable")
    if given is None:
        return None
    line, example = _at(data, "timetable"), "    timetable: {week_a_starts: 2026-08-31}   # the Monday of a week A"
    if not isinstance(given, Mapping):
        problems.add(line, f"timetable must be a mapping, like\n{example}")
        return None
    unknown = sorted(str(k) for k in given if k != "week_a_starts")
    if unknown:
        problems.add(line, f"timetable has {', '.join(unknown)}, which walkbot does not know; it takes "
                           f"week_a_starts, like\n{example}")
    if _text(given.get("week_a_starts")) == "":
        problems.add(line, f"timetable.week_a_starts is missing: the Monday of a week A, like\n{example}")
        return None
    at = _at(given, "week_a_starts") or line
    day = _date(given["week_a_starts"], "timetable.week_a_starts", at, problems)
    if day is not None and day.weekday() != 0:
        problems.add(at, f"timetable.week_a_starts, {day}, is a {day:%A}: give the Monday of a week A, "
                         f"like {day - timedelta(days=day.weekday())}.")
        return None
    return day


def _escalation(s: Mapping[str, Any], staff: list[StaffSpec], top: int | None, problems: _Problems) -> str | None:
    """school.escalation: {head: ID}: who takes the head teacher's own concerns and objections, and those about
    the head, so that none goes to the person it concerns. Someone on the staff list (by id or email), not a head.

    Its problems are `unwise`: a stored document still builds its school, with nobody named.
    """
    given = s.get("escalation")
    if given is None:
        return None
    line = _at(s, "escalation") or top
    example = "    escalation: {head: U07GORDON}   # the chair of governors"
    if not isinstance(given, Mapping):
        problems.unwise(line, f"school.escalation must be a mapping, like\n{example}")
        return None
    unknown = sorted(str(k) for k in given if k != "head")
    if unknown:
        problems.unwise(line, f"school.escalation has {', '.join(unknown)}, which walkbot does not know; it takes "
                              "head: who takes what concerns the head teacher.")
    named, at = _text(given.get("head")), _at(given, "head") or line
    if not named:
        problems.unwise(at, "school.escalation.head is missing: the id of whoever takes what concerns the head "
                            f"teacher, such as the chair of governors, like\n{example}")
        return None
    person = next((p for p in staff if named == p.chat_id or named.lower() == p.email), None)
    if person is None:
        problems.unwise(at, f"school.escalation.head, {named}, is not the id or email of anyone listed under staff; "
                            "list them (the chair of governors, say: roles [governor]) and give their id.")
        return None
    if Role.HEAD in person.roles:
        problems.unwise(at, f"school.escalation.head names {person.name}, a head teacher: name who takes what "
                            "concerns the head, such as the chair of governors.")
        return None
    return None if unknown else person.chat_id


def _teams(s: Mapping[str, Any], top: int | None, problems: _Problems) -> TeamsLink | None:
    """school.teams: {tenant_id: GUID, team_id: 19:...@thread.tacv2, channel_id: 19:...@thread.tacv2}.

    A section with a problem links nothing. Its problems are `unwise`: a document stored before these checks still
    builds its school, unlinked from Teams (a tenant that is no GUID never matched an activity anyway).
    """
    given = s.get("teams")
    if given is None:
        return None
    line, wrong = _at(s, "teams") or top, []

    def problem(at: int | None, message: str) -> None:
        wrong.append(message)
        problems.unwise(at or line, message)

    if not isinstance(given, Mapping):
        problem(line, "school.teams must be a mapping, like\n"
                      "    teams: {tenant_id: 6f1c2d3e-0000-4000-8000-123456789abc}")
        return None
    unknown = sorted(str(k) for k in given if k not in ("tenant_id", "team_id", "channel_id"))
    if unknown:
        problem(line, f"school.teams has {', '.join(unknown)}, which walkbot does not know; it takes tenant_id, "
                      "team_id and channel_id.")
    tenant = _text(given.get("tenant_id")).lower()
    if not GUID.fullmatch(tenant):
        problem(_at(given, "tenant_id"),
                f"school.teams.tenant_id '{tenant[:60]}' is not a tenant id: give the school's Microsoft Entra "
                "tenant id, a GUID like 6f1c2d3e-0000-4000-8000-123456789abc (Entra admin centre → Overview → "
                "Tenant ID)." if tenant else "school.teams.tenant_id is missing: the school's Microsoft Entra "
                                             "tenant id (Entra admin centre → Overview → Tenant ID).")
    found = {}
    for field, thing in (("team_id", "team"), ("channel_id", "channel")):
        # Teams' "Get link" gives the id URL-encoded (19%3a...%40thread.tacv2): either spelling is taken.
        value = found[field] = unquote(_text(given.get(field))) or None
        if value is not None and (len(value) > MOST["teams_id"] or not TEAMS_THREAD.fullmatch(value)):
            problem(_at(given, field), f"school.teams.{field} '{value[:60]}' is not a Teams {thing} id: it looks "
                                       f"like 19:abc123...@thread.tacv2 (in Teams, the {thing}'s … menu → Get "
                                       f"link to {thing}; the id is the part after /{thing}/).")
    if found["channel_id"] and not found["team_id"]:
        problem(_at(given, "channel_id"), "school.teams.channel_id needs the team_id of the team it is in: walk "
                                          "programmes are posted there once walkbot is added to that team.")
    return None if wrong else TeamsLink(tenant, found["team_id"], found["channel_id"])


def _key(s: Mapping[str, Any], name: str, top: int | None, problems: _Problems) -> str:
    raw, line = s.get("key"), _at(s, "key") or top
    example = _slug(name) if name else "st-marys-primary"
    if _text(raw) == "":
        problems.add(line, f"school.key is missing: add one, e.g. `key: {example}`. The key is the school's "
                           "lasting name for walkbot (lowercase letters, digits and dashes): it keeps the "
                           "school's visits, staff and allowances together when its name changes, and apart "
                           "from any other school's.")
        return ""
    key = str(raw).strip()
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or not KEY.fullmatch(key):
        problems.add(line, f"school.key '{raw}' is not a key: use lowercase letters, digits and dashes only, "
                           f"e.g. `key: {_slug(key) if _slug(key) != 'school' else example}`.")
    _long(problems, line, "school.key", key, "key")
    return key


def _policy(s: Mapping[str, Any], top: int | None, problems: _Problems) -> Policy | None:
    if _text(s.get("policy")) == "":
        problems.add(_at(s, "policy") or top, f"school.policy is missing: choose one of {', '.join(PRESET_IDS)} "
                                               "(walkbot policy show lists them).")
        return None
    try:
        policy = load_preset(_text(s["policy"]))
    except InputError as err:
        problems.add(_at(s, "policy"), _told(err))
        return None
    overrides = s.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        problems.add(_at(s, "overrides"), "school.overrides must map each rule to its local agreement, like\n"
                                          "    min_notice_school_days: {value: 3, agreed_by: SNC, agreed_on: 2026-09-01}")
        return policy
    for rule, spec in overrides.items():  # one at a time, so each wrong override is told
        try:
            policy = policy.with_overrides({rule: spec})
        except InputError as err:
            problems.add(_at(overrides, rule) or _at(s, "overrides"), _told(err))
    return policy


def _calendar(data: Mapping[str, Any], s: Mapping[str, Any], tz: str, top: int | None,
              problems: _Problems) -> SchoolCalendar | None:
    day = s.get("school_day") or {}
    if not isinstance(day, Mapping):
        problems.add(_at(s, "school_day"), 'school.school_day must say when the day starts and ends, like '
                                           '{start: "08:50", end: "15:20"}.')
        day = {}
    day_start = _time(day.get("start", "08:50"), "school_day.start", _at(day, "start") or _at(s, "school_day"),
                      problems)
    day_end = _time(day.get("end", "15:20"), "school_day.end", _at(day, "end") or _at(s, "school_day"), problems)
    whole_day = day_start is not None and day_end is not None
    if whole_day and day_end <= day_start:
        problems.unwise(_at(day, "end") or _at(s, "school_day"),
                        f"the school day ends at {day_end:%H:%M}, which is not after it starts ({day_start:%H:%M}).")
        whole_day = False
    periods = _periods(s, day_start, day_end, whole_day, problems)
    sessions, holidays = _sessions(data, top, problems)
    if day_start is None or day_end is None or not sessions:
        return None
    return SchoolCalendar(
        timezone=tz,
        day_start=day_start,
        day_end=day_end,
        sessions=tuple(sorted(sessions, key=lambda x: x.start)),
        holidays=tuple(holidays),
        periods=tuple(periods),
    )


def _periods(s: Mapping[str, Any], day_start: time | None, day_end: time | None, whole_day: bool,
             problems: _Problems) -> list[Period]:
    given = s.get("periods") or {}
    if not isinstance(given, Mapping):
        problems.add(_at(s, "periods"), 'school.periods must map each period\'s name to its times, like\n'
                                        '    periods:\n      P1: "08:50-09:50"\n      P2: "09:50-10:50"')
        return []
    periods, named = [], {}
    for pname, span in given.items():
        line, label = _at(given, pname), f"period {pname}"
        first, dash, last = _text(span).partition("-")
        if not dash:
            problems.add(line, f"{label}: '{span}' is not a span of time; write it like \"08:50-09:50\".")
            continue
        start, end = _time(first, label, line, problems), _time(last, label, line, problems)
        if start is None or end is None:
            continue
        if end <= start:
            problems.unwise(line, f"{label} ends at {end:%H:%M}, which is not after it starts ({start:%H:%M}).")
        elif whole_day and (start < day_start or end > day_end):
            problems.unwise(line, f"{label} ({start:%H:%M}-{end:%H:%M}) is not within the school day "
                                  f"({day_start:%H:%M}-{day_end:%H:%M}).")
        same = named.setdefault(str(pname).lower(), str(pname))
        if same != str(pname):
            problems.unwise(line, f"{label} has the name of period {same} (period names are read in any case).")
        periods.append(Period(str(pname), start, end))
    return periods


def _span(first: date, last: date) -> str:
    return f"{first} to {last}"


def _sessions(data: Mapping[str, Any], top: int | None,
              problems: _Problems) -> tuple[list[Session], list[tuple[date, date]]]:
    given = data.get("sessions")
    if given is not None and not isinstance(given, list):
        problems.add(_at(data, "sessions"), "sessions must be a list, each with its name and terms, like\n"
                                            '    sessions:\n      - name: "2026-27"\n        terms: [...]')
        given = None
    if not given:
        problems.add(_at(data, "sessions") or top, "list at least one session with its terms under 'sessions:'.")
        return [], []
    sessions, lines, holidays = [], {}, []
    for i, sess in enumerate(given):
        line = _at(given, i)
        if not isinstance(sess, Mapping):
            problems.add(line, "each session needs a name and its terms, like - {name: \"2026-27\", terms: [...]}.")
            continue
        sname = _text(sess.get("name"))
        if not sname:
            problems.add(_at(sess, "name") or line, 'a session has no name: give it one, like name: "2026-27".')
        label = f"session {sname}" if sname else "the session without a name"
        terms = _terms(sess, label, line, problems)
        holidays += _holidays(sess, label, problems)
        focus_areas = _focus_areas(sess, label, problems)
        inspections = _inspections(sess, label, terms, problems)
        if sname and terms:
            sessions.append(Session(sname, tuple(terms), focus_areas, inspections))
            lines[id(sessions[-1])] = line
    latest: Session | None = None
    for session in sorted(sessions, key=lambda x: x.start):
        if latest is not None and session.start <= latest.end:
            problems.unwise(lines[id(session)], f"sessions {latest.name} ({_span(latest.start, latest.end)}) and "
                                                f"{session.name} ({_span(session.start, session.end)}) overlap.")
        if latest is None or session.end > latest.end:
            latest = session
    return sessions, holidays


def _terms(sess: Mapping[str, Any], label: str, line: int | None, problems: _Problems) -> list[Term]:
    given = sess.get("terms")
    if not isinstance(given, list) or not given:
        problems.add(_at(sess, "terms") or line, f"{label} has no terms: list them under terms:, each with its "
                                                 "name, start and end, like {name: Autumn, start: 2026-09-02, "
                                                 "end: 2026-12-18}.")
        return []
    terms, lines = [], {}
    for j, t in enumerate(given):
        tline = _at(given, j)
        if not isinstance(t, Mapping):
            problems.add(tline, f"each term of {label} needs a name, a start and an end, like "
                                "{name: Autumn, start: 2026-09-02, end: 2026-12-18}.")
            continue
        tname = _text(t.get("name"))
        missing = [f for f in ("name", "start", "end") if _text(t.get(f)) == ""]
        if missing:
            problems.add(tline, f"{'term ' + tname if tname else 'a term'} of {label} has no "
                                f"{' and no '.join(missing)}: each term needs a name, a start and an end.")
            continue
        start = _date(t["start"], f"term {tname} start", _at(t, "start") or tline, problems)
        end = _date(t["end"], f"term {tname} end", _at(t, "end") or tline, problems)
        if start is None or end is None:
            continue
        if end < start:
            problems.unwise(_at(t, "end") or tline, f"term {tname} of {label} ends on {end}, before it starts "
                                                    f"on {start}.")
        terms.append(Term(tname, start, end))
        lines[id(terms[-1])] = tline
    terms.sort(key=lambda t: t.start)
    latest: Term | None = None
    for term in terms:
        if latest is not None and term.start <= latest.end:
            problems.unwise(lines[id(term)], f"terms {latest.name} ({_span(latest.start, latest.end)}) and "
                                             f"{term.name} ({_span(term.start, term.end)}) of {label} overlap.")
        if latest is None or term.end > latest.end:
            latest = term
    return terms


def _focus_areas(sess: Mapping[str, Any], label: str, problems: _Problems) -> tuple[str, ...]:
    """session.focus_areas: this session's priorities from the improvement plan, each a short phrase
    (000 §1a, 002 "structured around these areas for improvement"); a walk's focus is one of them."""
    given = sess.get("focus_areas")
    if given is None:
        return ()
    if not isinstance(given, list) or not given:
        problems.add(_at(sess, "focus_areas"), f"{label}: focus_areas must list this session's focus areas from the "
                                               'improvement plan, like focus_areas: ["feedback in books", '
                                               '"questioning"].')
        return ()
    areas, seen = [], {}
    for k, value in enumerate(given):
        at = _at(given, k) or _at(sess, "focus_areas")
        area = _text(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        if not area:
            problems.add(at, f"{label}: each focus area is a short phrase, like \"feedback in books\"; "
                             f"'{value}' is not one.")
            continue
        _long(problems, at, f"the focus area '{area[:20]}...'", area, "name")
        if area.casefold() in seen:
            problems.unwise(at, f"{label}: the focus area '{area}' is listed twice (first on line "
                                f"{seen[area.casefold()]}).")
            continue
        seen[area.casefold()] = at
        areas.append(area)
    return tuple(areas)


def _inspections(sess: Mapping[str, Any], label: str, terms: list[Term],
                 problems: _Problems) -> tuple[InspectionPeriod, ...]:
    """session.inspections: the periods SLT declare for an inspection, each {body, start, end}; inspection
    visits are recorded, without agreement, only inside one (000 §2b)."""
    given = sess.get("inspections")
    if given is None:
        return ()
    example = "{body: HMIe, start: 2027-03-01, end: 2027-03-05}"
    if not isinstance(given, list):
        problems.add(_at(sess, "inspections"), f"{label}: inspections must be a list of inspection periods, like "
                                               f"inspections: [{example}].")
        return ()
    first_day = min((t.start for t in terms), default=None)
    last_day = max((t.end for t in terms), default=None)
    periods = []
    for k, item in enumerate(given):
        at = _at(given, k) or _at(sess, "inspections")
        if not isinstance(item, Mapping) or any(_text(item.get(f)) == "" for f in ("body", "start", "end")):
            problems.add(at, f"{label}: each inspection period needs its body (who inspects), start and end, like "
                             f"{example}.")
            continue
        body = _text(item["body"])
        _long(problems, _at(item, "body") or at, "the inspection body", body, "name")
        start = _date(item["start"], f"the {body} inspection start", _at(item, "start") or at, problems)
        end = _date(item["end"], f"the {body} inspection end", _at(item, "end") or at, problems)
        if start is None or end is None:
            continue
        if end < start:
            problems.unwise(_at(item, "end") or at, f"the {body} inspection of {label} ends on {end}, before it "
                                                    f"starts on {start}.")
            continue
        if first_day and last_day and (start < first_day or end > last_day):
            problems.unwise(at, f"the {body} inspection ({_span(start, end)}) is not within {label} "
                                f"({_span(first_day, last_day)}).")
        periods.append(InspectionPeriod(body, start, end))
    return tuple(periods)


def _holidays(sess: Mapping[str, Any], label: str, problems: _Problems) -> list[tuple[date, date]]:
    given = sess.get("holidays") or []
    if not isinstance(given, list):
        problems.add(_at(sess, "holidays"), f"{label}: holidays must be a list, like "
                                            "holidays: [2026-10-26/2026-10-30, 2027-02-15].")
        return []
    holidays = []
    for k, value in enumerate(given):
        line = _at(given, k) or _at(sess, "holidays")
        text = value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else _text(value)
        first_text, _, last_text = text.partition("/")
        first = _date(first_text, f"holiday of {label}", line, problems)
        last = _date(last_text or first_text, f"holiday of {label}", line, problems)
        if first is None or last is None:
            continue
        if last < first:
            problems.unwise(line, f"the holiday {text} of {label} ends before it starts; write its first day "
                                  f"first, like {last}/{first}.")
        holidays.append((first, last))
    return holidays


def _staff(data: Mapping[str, Any], problems: _Problems) -> list[StaffSpec]:
    given = data.get("staff") or []
    if not isinstance(given, list):
        problems.add(_at(data, "staff"), "staff must be a list of people, like\n"
                                         "    - {id: U03TOM, handle: tom, name: Tom Baker, roles: [teacher]}")
        return []
    staff, lines, ids, handles, emails = [], {}, {}, {}, {}
    for i, row in enumerate(given):
        line = _at(given, i)
        if not isinstance(row, Mapping) or not (_text(row.get("id")) or _text(row.get("email"))) \
                or not _text(row.get("name")):
            problems.add(line, "every staff entry needs an id (their Slack user id, or Entra object id for Teams) "
                               "or an email, and a name, like - {id: U03TOM, name: Tom Baker} or "
                               "- {email: tom.baker@school.org.uk, name: Tom Baker}.")
            continue
        name = _text(row["name"])
        email = _text(row.get("email")).lower() or None
        if email is not None:
            if not EMAIL.fullmatch(email) or len(email) > MOST["email"]:
                problems.add(_at(row, "email") or line, f"the email of {name}, '{email[:60]}', is not an email "
                                                        "address; write it like tom.baker@school.org.uk.")
                continue
            if email in emails:
                problems.add(_at(row, "email") or line, f"the email {email} is given to both {emails[email]} and "
                                                        f"{name}; each person needs their own.")
                continue
            emails[email] = name
        # Without an id, the email is the person's id: Teams matches them by it when they first write.
        chat_id = _text(row.get("id")) or email
        if not _text(row.get("id")) and len(chat_id) > MOST["id"]:
            problems.add(_at(row, "email") or line, f"the email of {name} is too long to serve as their id "
                                                    f"(at most {MOST['id']} characters): give their id as well.")
            continue
        _long(problems, _at(row, "id") or line, f"the staff id of {name}", chat_id, "id")
        _long(problems, _at(row, "name") or line, f"the name {name[:20]}...", name, "name")
        roles = _roles(row, name, line, problems)
        if chat_id in ids:
            first = f" (first on line {ids[chat_id]})" if ids[chat_id] else ""
            problems.add(line, f"the staff id {chat_id} is listed twice{first}; each person needs their own id.")
            continue
        ids[chat_id] = line
        handle = (_text(row["handle"]).lstrip("@") or None) if row.get("handle") else None
        if handle:
            _long(problems, _at(row, "handle") or line, f"the handle of {name}", handle, "handle")
            holder = handles.setdefault(handle.lower(), name)
            if holder != name:
                problems.unwise(_at(row, "handle") or line, f"the handle @{handle} is given to both {holder} "
                                                            f"and {name}; each person needs their own (or none).")
        manager = _text(row.get("line_manager")) or None
        groups = {}
        for group in ("department", "stage"):
            groups[group] = _text(row.get(group)) or None
            if groups[group]:
                _long(problems, _at(row, group) or line, f"the {group} of {name}", groups[group], group)
        staff.append(StaffSpec(chat_id, name, roles, handle, manager, email, **groups))
        lines[chat_id] = _at(row, "line_manager") or line
    # A line manager may be named by their email, whatever their id is.
    chat_ids = {spec.email: spec.chat_id for spec in staff if spec.email}
    staff = [replace(spec, line_manager=chat_ids.get(spec.line_manager.lower(), spec.line_manager))
             if spec.line_manager else spec for spec in staff]
    for spec in staff:
        if spec.line_manager is None:
            continue
        if spec.line_manager == spec.chat_id:
            problems.unwise(lines[spec.chat_id], f"{spec.name} is given as their own line manager.")
        elif spec.line_manager not in ids:
            problems.unwise(lines[spec.chat_id], f"the line_manager of {spec.name}, {spec.line_manager}, is not "
                                                 "the id of anyone listed under staff; give their line manager's "
                                                 "id or email, like U01HEAD.")
    return staff


def _roles(row: Mapping[str, Any], name: str, line: int | None, problems: _Problems) -> frozenset[Role]:
    given = row.get("roles") or ["teacher"]
    if isinstance(given, str):  # roles: teacher, or roles: teacher, promoted
        given = [part.strip() for part in given.split(",")]
    known = ", ".join(r.value for r in Role)
    if not isinstance(given, list):
        problems.add(_at(row, "roles") or line, f"the roles of {name} must be a list drawn from {known}.")
        return frozenset()
    roles = set()
    for value in given:
        try:
            roles.add(Role(value))
        except (ValueError, TypeError):
            problems.add(_at(row, "roles") or line, f"staff {name}: '{value}' is not a role; roles are {known}.")
    return frozenset(roles)
