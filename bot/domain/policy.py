"""Policy presets: each staff agreement as data, every number carrying the clause it comes from."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from functools import cache
from importlib import resources
from typing import Any, Mapping

import yaml

from bot.domain.model import Role, VisitKind
from bot.errors import InputError

PRESET_IDS = (
    "learning-visits",
    "durants-learning-walks",
    "lnct-shared-learning",
    "trust-learning-walks",
    "lnct-sharing-classroom-experience",
)


@dataclass(frozen=True)
class ParamSpec:
    kind: str  # "int", "bool", "kinds", "roles", "lines", "hours"
    meaning: str
    nullable: bool = False  # None means "this agreement sets no such limit"


# Every parameter a preset must state, in the order `policy show` prints them.
PARAMS: dict[str, ParamSpec] = {
    "agreement_required": ParamSpec("bool", "The class teacher must agree every visit (inspections excepted)"),
    "min_notice_school_days": ParamSpec("int", "Minimum notice for a visit, in school days"),
    "default_visit_minutes": ParamSpec("int", "Length of a visit when the proposal gives none, in minutes"),
    "max_visit_minutes": ParamSpec("int", "Longest visit, in minutes"),
    "walk_visit_max_minutes": ParamSpec("int", "Longest stay in one room on a learning walk, in minutes"),
    "max_observers_at_once": ParamSpec("int", "Most visitors in one classroom / on a walk at any time"),
    "observations_per_year": ParamSpec("int", "Observations per teacher per session, walk visits included", True),
    "observation_minutes_per_year": ParamSpec("int", "Observation minutes per teacher per session", True),
    "observation_kinds": ParamSpec("kinds", "Kinds of visit counted as observations"),
    "formal_visits_per_session": ParamSpec("int", "Establishment-led formal visits per teacher per session", True),
    "formal_kinds": ParamSpec("kinds", "Kinds of visit counted as formal"),
    "inspection_visits_count": ParamSpec("bool", "Inspection and review visits count towards the caps"),
    "inspections_in_declared_period": ParamSpec("bool", "Inspection visits only inside a declared inspection period, without agreement"),
    "walks_per_term": ParamSpec("int", "Learning walks per term", True),
    "walks_per_year": ParamSpec("int", "Learning walks per session", True),
    "walk_announce_in_week_before": ParamSpec("bool", "The walk programme goes to all staff in the week before the walk week"),
    "walk_notice_school_days": ParamSpec("int", "Otherwise: school days' notice of a walk programme"),
    "focus_required_kinds": ParamSpec("kinds", "Kinds of visit that need an agreed focus"),
    "focus_not_about_individual": ParamSpec("bool", "A focus may not be about one person's performance"),
    "focus_from_improvement_plan": ParamSpec("bool", "A learning walk's focus is one of this session's focus areas (school.yml)"),
    "not_for_procedures": ParamSpec("bool", "Visits are no part of disciplinary or competence procedures: no focus gathers evidence for them"),
    "feedback_required_kinds": ParamSpec("kinds", "Kinds of visit whose feedback arrangements are agreed beforehand"),
    "visitor_roles": ParamSpec("roles", "Who may visit"),
    "prd_promoted_visitor": ParamSpec("bool", "At least one PRD visit by a promoted member of staff (a warning)"),
    "pro_forma_shared_before": ParamSpec("bool", "Any note-taking pro forma is shared before the visit"),
    "dialogue_within_school_days": ParamSpec("int", "Feedback dialogue held within this many school days"),
    "dialogue_minutes": ParamSpec("int", "Length of the feedback dialogue, in minutes"),
    "dialogue_hours": ParamSpec("hours", "When on a school day a feedback dialogue may be held (after school too)"),
    "record_after_dialogue": ParamSpec("bool", "The record of dialogue is written once the feedback dialogue is arranged"),
    "peer_visits_date_only": ParamSpec("bool", "Peer visits keep only the date: no written notes"),
    "no_grades": ParamSpec("bool", "Notes carry no tick boxes or grades"),
    "teacher_sees_records": ParamSpec("bool", "The teacher visited sees every written record of the visit"),
    "concerns_to_line_manager": ParamSpec("bool", "Concerns go first to the teacher's line manager"),
    "notices_from_minutes_before_school_day": ParamSpec("int", "Notices go out from this many minutes before the school day"),
    "notices_until_minutes_after_school_day": ParamSpec("int", "Notices go out until this many minutes after the school day"),
    "answer_nudge_after_school_days": ParamSpec("int", "Nudge whoever must answer a proposal or suggested time after this many school days (0: never)"),
    "observer_reminder_school_days_before": ParamSpec("int", "Remind observers this many school days before a visit, in the morning (0: never)"),
    "observer_reminder_minutes_before": ParamSpec("int", "Remind observers again this many minutes before a visit (0: never)"),
    "teacher_reminder_school_days_before": ParamSpec("int", "Remind the class teacher this many school days before a visit (0: never)"),
    "dialogue_nudge_every_school_days": ParamSpec("int", "Nudge both sides every this many school days until the record of dialogue is agreed (0: never)"),
    "conduct": ParamSpec("lines", "Conduct lines carried in every reminder to observers"),
}


@dataclass(frozen=True)
class Hours:
    """A span of the day, like the hours a feedback dialogue may be held."""

    start: time
    end: time

    def __contains__(self, span: tuple[time, time]) -> bool:
        return self.start <= span[0] and span[1] <= self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def __repr__(self) -> str:  # how an override of it is quoted
        return f"'{self.start:%H:%M}-{self.end:%H:%M}'"


@dataclass(frozen=True)
class Override:
    value: Any
    agreed_by: str
    agreed_on: date


@dataclass(frozen=True)
class Param:
    name: str
    value: Any
    clause: str | None = None
    quote: str | None = None
    local_default: bool = False
    why: str | None = None  # for a local default: why this number
    override: Override | None = None
    # Where the clause speaks of one kind of visit only (a learning walk's, say): what applies to other kinds.
    by_kind: tuple[tuple[VisitKind, "Param"], ...] = ()


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from, ready to quote to a teacher."""

    preset_title: str
    document: str
    param: Param

    def __str__(self) -> str:
        p = self.param
        if p.local_default:
            text = f"{self.preset_title}: local default ({p.why or 'the agreement gives no number'})"
        else:
            text = f'{self.preset_title} {p.clause}: "{p.quote}"'
        if p.override:
            o = p.override
            text += f" — local override {o.value!r}, agreed by {o.agreed_by} on {o.agreed_on.isoformat()}"
        return text


@dataclass(frozen=True)
class Policy:
    preset_id: str
    title: str
    document: str
    summary: str
    params: Mapping[str, Param]

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params")
        if params is not None and name in params:
            return params[name].value
        raise AttributeError(name)

    def cite(self, name: str, kind: VisitKind | None = None) -> Citation:
        """Where the rule comes from; for a kind of visit, the clause that applies to that kind."""
        param = self.params[name]
        for k, clause in param.by_kind:
            if k == kind:
                param = replace(clause, value=param.value, override=param.override)
                break
        return Citation(self.title, self.document, param)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> "Policy":
        params = dict(self.params)
        for name, spec in (overrides or {}).items():
            if name not in PARAMS:
                raise InputError(f"school.yml overrides an unknown rule '{name}'. Known rules: {', '.join(PARAMS)}.")
            if not isinstance(spec, Mapping) or not {"value", "agreed_by", "agreed_on"} <= set(spec):
                raise InputError(
                    f"The override of '{name}' must say value, agreed_by and agreed_on "
                    "(an override is a local agreement: record who agreed it and when)."
                )
            agreed_by = spec["agreed_by"]
            if agreed_by is None or not str(agreed_by).strip():
                raise InputError(f"The override of '{name}' has no agreed_by: say who agreed it (e.g. the SNC).")
            value = _check_value(name, spec["value"], f"override of {name}")
            agreed_on = spec["agreed_on"]
            if not isinstance(agreed_on, date):
                try:
                    agreed_on = date.fromisoformat(str(agreed_on))
                except ValueError:
                    raise InputError(f"The override of '{name}' has agreed_on '{agreed_on}': use a date like 2026-09-01.")
            params[name] = replace(
                params[name], value=value, override=Override(value, str(agreed_by).strip(), agreed_on)
            )
        return replace(self, params=params)


def _check_value(name: str, value: Any, where: str) -> Any:
    spec = PARAMS[name]
    if value is None:
        if spec.nullable:
            return None
        raise InputError(f"{where}: '{name}' needs a value.")
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{where}: '{name}' must be a whole number, not {value!r}.")
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where}: '{name}' must be true or false, not {value!r}.")
        return value
    if spec.kind in ("kinds", "roles"):
        enum = VisitKind if spec.kind == "kinds" else Role
        try:
            return frozenset(enum(v) for v in value)
        except (ValueError, TypeError):
            allowed = ", ".join(e.value for e in enum)
            raise InputError(f"{where}: '{name}' must be a list drawn from: {allowed}.")
    if spec.kind == "hours":
        first, dash, last = str(value).partition("-")
        try:
            hours = Hours(*(time(*map(int, t.strip().split(":"))) for t in (first, last))) if dash else None
        except (TypeError, ValueError):
            hours = None
        if hours is None or hours.end <= hours.start:
            raise InputError(f"{where}: '{name}' must be a span of the day, like \"08:00-17:30\", not {value!r}.")
        return hours
    if spec.kind == "lines":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where}: '{name}' must be a list of sentences.")
        return tuple(value)
    raise AssertionError(spec.kind)


@cache
def load_preset(preset_id: str) -> Policy:
    if preset_id not in PRESET_IDS:
        raise InputError(f"There is no policy preset '{preset_id}'. Choose one of: {', '.join(PRESET_IDS)}.")
    text = resources.files("bot.presets").joinpath(f"{preset_id}.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    params = {}
    kind_clauses = data.get("kind_clauses") or {}
    for name in PARAMS:
        raw = data["params"].get(name)
        if raw is None:
            raise InputError(f"Preset {preset_id} does not state '{name}'.")
        params[name] = replace(_sourced(name, raw), value=_check_value(name, raw.get("value"), f"preset {preset_id}"),
                               by_kind=_by_kind(preset_id, name, kind_clauses.get(name) or ()))
    unknown = (set(data["params"]) | set(kind_clauses)) - set(PARAMS)
    if unknown:
        raise InputError(f"Preset {preset_id} states unknown rules: {', '.join(sorted(unknown))}.")
    return Policy(preset_id, data["title"], data["document"], data.get("summary", ""), params)


def _sourced(name: str, raw: Mapping[str, Any]) -> Param:
    return Param(name=name, value=None, clause=raw.get("clause"), quote=raw.get("quote"),
                 local_default=bool(raw.get("local_default", False)), why=raw.get("why"))


def _by_kind(preset_id: str, name: str, entries) -> tuple[tuple[VisitKind, Param], ...]:
    """A preset's kind_clauses for one rule: [{kinds: [...], clause, quote} or {kinds: [...], local_default, why}]."""
    found: dict[VisitKind, Param] = {}
    for entry in entries:
        source = _sourced(name, entry)
        if not (source.local_default and source.why) and not (source.clause and source.quote):
            raise InputError(f"Preset {preset_id}: a kind_clauses entry of '{name}' needs a clause and quote, or "
                             "local_default and why.")
        for kind in _check_value("observation_kinds", entry.get("kinds"), f"preset {preset_id} kind_clauses"):
            if kind in found:
                raise InputError(f"Preset {preset_id}: kind_clauses of '{name}' give {kind} twice.")
            found[kind] = source
    return tuple(sorted(found.items()))


def policy_table(policy: Policy) -> str:
    """A preset as a readable table: rule, value, and where it comes from (for each kind of visit, where
    its clause speaks of one kind only)."""
    rows = [("rule", "value", "source")]
    for name, spec in PARAMS.items():
        p = policy.params[name]
        rows.append((spec.meaning, _show(p.value), _source(p)))
        by_source: dict[str, list[str]] = {}
        for kind, clause in p.by_kind:
            by_source.setdefault(_source(clause), []).append(kind.value)
        rows += [(f"  … for {', '.join(kinds)}", "", source) for source, kinds in by_source.items()]
    width0 = max(len(r[0]) for r in rows)
    width1 = min(max(len(r[1]) for r in rows), 40)
    lines = [f"{policy.title}  [{policy.preset_id}]", f"Source: {policy.document}", ""]
    for i, (a, b, c) in enumerate(rows):
        lines.append(f"{a:<{width0}}  {b:<{width1}}  {c}")
        if i == 0:
            lines.append(f"{'-' * width0}  {'-' * width1}  {'-' * 30}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "no limit"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        return ", ".join(sorted(str(v) for v in value)) or "none"
    if isinstance(value, tuple):
        return f"{len(value)} lines"
    return str(value)


def _source(p: Param) -> str:
    if p.override:
        o = p.override
        return f"local override, agreed by {o.agreed_by} on {o.agreed_on.isoformat()}"
    if p.local_default:
        return f"LOCAL DEFAULT: {p.why}" if p.why else "LOCAL DEFAULT"
    quote = p.quote if len(p.quote or "") <= 70 else p.quote[:67] + "..."
    return f'{p.clause}: "{quote}"'
