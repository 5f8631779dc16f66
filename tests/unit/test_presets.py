"""The five built-in policy presets: complete, quoted exactly, and honest about local defaults."""
from __future__ import annotations

import re
from datetime import date
from importlib import resources

import pytest
import yaml

from bot.domain.model import Role, VisitKind
from bot.domain.policy import PARAMS, PRESET_IDS, Policy, load_preset, policy_table
from bot.errors import InputError

PRESETS = resources.files("bot.presets")
AGREEMENTS = PRESETS.joinpath("agreements")
ALL_BUT_INSPECTION = frozenset(VisitKind) - {VisitKind.INSPECTION}
PARAM_KEYS = {"value", "clause", "quote", "local_default", "why"}


def _norm(text: str) -> str:
    """Collapse every run of whitespace to one space (the sources wrap lines); nothing else."""
    return " ".join(text.split())


def _raw(preset_id: str) -> dict:
    return yaml.safe_load(PRESETS.joinpath(f"{preset_id}.yml").read_text(encoding="utf-8"))


def _document(policy: Policy) -> str:
    return _norm(AGREEMENTS.joinpath(policy.document).read_text(encoding="utf-8"))


# --- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_preset_loads_and_names_itself(preset_id):
    policy = load_preset(preset_id)
    raw = _raw(preset_id)
    assert policy.preset_id == preset_id == raw["id"]
    assert policy.title and policy.summary
    assert AGREEMENTS.joinpath(policy.document).is_file()


def test_each_agreement_has_exactly_one_preset():
    documents = [load_preset(p).document for p in PRESET_IDS]
    agreements = sorted(f.name for f in AGREEMENTS.iterdir() if f.name.endswith(".txt"))
    assert sorted(documents) == agreements


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_every_param_is_stated_and_nothing_else(preset_id):
    raw = _raw(preset_id)
    assert set(raw["params"]) == set(PARAMS)
    for name, entry in raw["params"].items():
        assert "value" in entry, f"{preset_id}.{name} has no value"
        assert set(entry) <= PARAM_KEYS, f"{preset_id}.{name} has unknown keys {set(entry) - PARAM_KEYS}"
    assert set(load_preset(preset_id).params) == set(PARAMS)


# --- honesty: quotes are verbatim, defaults are labelled ----------------------------------------


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_stated_rules_quote_their_agreement_verbatim(preset_id):
    policy = load_preset(preset_id)
    document = _document(policy)
    for name, p in policy.params.items():
        if p.local_default:
            continue
        assert p.clause, f"{preset_id}.{name} states a rule but gives no clause"
        assert p.quote, f"{preset_id}.{name} states a rule but gives no quote"
        assert len(p.quote) <= 125, f"{preset_id}.{name}: quote is not short"
        assert _norm(p.quote) in document, f"{preset_id}.{name}: quote not found in {policy.document}: {p.quote!r}"
        assert p.why is None, f"{preset_id}.{name} is stated by the agreement; 'why' is for local defaults"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_local_defaults_say_why_and_never_invent_a_quote(preset_id):
    policy = load_preset(preset_id)
    document = _document(policy)
    for name, p in policy.params.items():
        if not p.local_default:
            continue
        assert p.why and p.why.strip(), f"{preset_id}.{name} is a local default without a 'why'"
        assert p.quote is None and p.clause is None, f"{preset_id}.{name} is a local default but cites a clause"
        # Any phrase a 'why' puts in single quotes is the agreement's own words.
        for phrase in re.findall(r"(?<!\w)'([^']+)'(?!\w)", p.why):
            assert _norm(phrase) in document, f"{preset_id}.{name}: why quotes {phrase!r}, not in the agreement"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_no_invented_caps(preset_id):
    """A cap of None must be a labelled local default; a number must come from the agreement or be labelled."""
    policy = load_preset(preset_id)
    for name, spec in PARAMS.items():
        p = policy.params[name]
        if p.value is None:
            assert spec.nullable
            assert p.local_default and p.why == "this agreement sets no such cap", f"{preset_id}.{name}"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_conduct_lines_are_the_agreements_words_when_stated(preset_id):
    policy = load_preset(preset_id)
    conduct = policy.params["conduct"]
    assert conduct.value and all(line.strip() for line in conduct.value)
    if conduct.local_default:
        return
    document = _document(policy)
    for line in conduct.value:
        assert _norm(line) in document, f"{preset_id} conduct line not in {policy.document}: {line!r}"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_inspections_never_need_a_focus_or_feedback_arrangement(preset_id):
    # 000 §2b: inspection visits cannot be agreed in advance.
    policy = load_preset(preset_id)
    assert VisitKind.INSPECTION not in policy.focus_required_kinds
    assert VisitKind.INSPECTION not in policy.feedback_required_kinds
    assert Role.ADMIN not in policy.visitor_roles


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_numbers_are_coherent(preset_id):
    policy = load_preset(preset_id)
    assert 0 < policy.default_visit_minutes <= policy.max_visit_minutes
    assert 0 < policy.walk_visit_max_minutes <= policy.max_visit_minutes
    assert policy.max_observers_at_once >= 1
    if policy.walks_per_term is not None and policy.walks_per_year is not None:
        assert policy.walks_per_term <= policy.walks_per_year
    if policy.observations_per_year is not None and policy.observation_minutes_per_year is not None:
        assert policy.observation_minutes_per_year == policy.observations_per_year * policy.max_visit_minutes


# --- pinned values: the product's law ------------------------------------------------------------


def _stated(policy: Policy, name: str, clause: str):
    p = policy.params[name]
    assert not p.local_default, f"{policy.preset_id}.{name} should be stated by the agreement"
    assert p.clause == clause
    return p.value


def _default(policy: Policy, name: str):
    p = policy.params[name]
    assert p.local_default, f"{policy.preset_id}.{name} should be a labelled local default"
    return p.value


def test_durants_pinned():
    p = load_preset("durants-learning-walks")
    assert _stated(p, "observations_per_year", "§9") == 3
    assert _stated(p, "observation_minutes_per_year", "§9") == 180
    assert "each of up to an hour in length" in p.params["observation_minutes_per_year"].quote
    assert _stated(p, "max_visit_minutes", "§9") == 60
    assert _stated(p, "walk_visit_max_minutes", "Rationale") == 20
    assert _stated(p, "max_observers_at_once", "§7") == 2
    assert _stated(p, "walks_per_term", "§3") == 1
    assert _stated(p, "walks_per_year", "§3") == 3
    assert _stated(p, "walk_announce_in_week_before", "§2") is True
    assert _stated(p, "focus_required_kinds", "§1") == {VisitKind.LEARNING_WALK}
    assert _stated(p, "focus_not_about_individual", "§8") is True
    assert _stated(p, "teacher_sees_records", "§10") is True
    assert _stated(p, "observation_kinds", "§9") == ALL_BUT_INSPECTION
    assert _stated(p, "visitor_roles", "Who goes on a learning walk?") == {
        Role.TEACHER, Role.PROMOTED, Role.SLT, Role.SUPPORT, Role.GOVERNOR, Role.LA_OFFICER,
    }
    assert p.params["conduct"].clause == "What are 'the rules'?"
    assert len(p.conduct) == 3
    assert any("stand to the side" in line for line in p.conduct)
    assert any("fly on the wall" in line for line in p.conduct)
    assert _default(p, "min_notice_school_days") == 2
    assert _default(p, "formal_visits_per_session") is None


def test_trust_pinned():
    p = load_preset("trust-learning-walks")
    assert _stated(p, "max_observers_at_once", "§5") == 3
    assert _stated(p, "focus_not_about_individual", "§2") is True
    assert _stated(p, "focus_required_kinds", "§1") == {VisitKind.LEARNING_WALK}
    assert _stated(p, "concerns_to_line_manager", "§13") is True
    assert _stated(p, "teacher_sees_records", "§9") is True
    assert _default(p, "walk_announce_in_week_before") is False
    assert _default(p, "walk_notice_school_days") == 5
    for cap in ("observations_per_year", "observation_minutes_per_year", "formal_visits_per_session",
                "walks_per_term", "walks_per_year"):
        assert _default(p, cap) is None
    assert any("views of an individual teacher" in line for line in p.conduct)
    assert any("no performance evaluation" in line for line in p.conduct)
    assert len(p.conduct) == 4


def test_lnct_shared_learning_pinned():
    p = load_preset("lnct-shared-learning")
    assert _stated(p, "formal_visits_per_session", "Principles and Good Practice") == 3
    assert _stated(p, "formal_kinds", "Principles and Good Practice") == {VisitKind.FORMAL, VisitKind.REVIEW}
    assert _stated(p, "inspection_visits_count", "Links to VSE and HMIe") is True
    assert _stated(p, "dialogue_minutes", "Principles and Good Practice") == 60
    assert _stated(p, "visitor_roles", "Principles and Good Practice") == {
        Role.TEACHER, Role.PROMOTED, Role.SLT, Role.LA_OFFICER,
    }
    assert _stated(p, "feedback_required_kinds", "Principles and Good Practice") == {VisitKind.FORMAL}
    assert VisitKind.FORMAL in _stated(p, "focus_required_kinds", "Planned and Focused")
    assert _stated(p, "agreement_required", "Planned and Focused") is True
    assert _default(p, "dialogue_within_school_days") == 5
    assert "offered promptly" in p.params["dialogue_within_school_days"].why
    assert _default(p, "observations_per_year") is None


def test_lnct_sharing_classroom_experience_pinned():
    p = load_preset("lnct-sharing-classroom-experience")
    assert _stated(p, "agreement_required", "§2") is True
    assert _default(p, "min_notice_school_days") >= 1
    assert "as far in advance as possible" in p.params["min_notice_school_days"].why
    assert _stated(p, "focus_required_kinds", "§3") == ALL_BUT_INSPECTION
    assert _stated(p, "feedback_required_kinds", "§3") == ALL_BUT_INSPECTION
    assert _stated(p, "peer_visits_date_only", "§7") is True
    assert _stated(p, "no_grades", "§5") is True
    assert _stated(p, "concerns_to_line_manager", "Action points") is True
    assert _default(p, "formal_visits_per_session") is None


def test_learning_visits_pinned():
    p = load_preset("learning-visits")
    assert _stated(p, "prd_promoted_visitor", "§3a") is True
    assert _stated(p, "pro_forma_shared_before", "Conduct") is True
    assert _stated(p, "agreement_required", "§3b") is True
    assert {VisitKind.FORMAL, VisitKind.PRD, VisitKind.REVIEW} <= p.focus_required_kinds
    assert not p.params["focus_required_kinds"].local_default
    assert p.params["conduct"].clause == "Conduct"
    assert _default(p, "observations_per_year") is None


def test_only_durants_caps_observations_and_walks():
    for preset_id in PRESET_IDS:
        p = load_preset(preset_id)
        capped = p.observations_per_year is not None or p.walks_per_year is not None
        assert capped == (preset_id == "durants-learning-walks"), preset_id


# No agreement says when walkbot reminds or nudges (only durants §2 times the walk programme), so
# every timing is a labelled local default, the same in each preset, and a school may override it.
NOTICE_TIMING = {
    "notices_from_minutes_before_school_day": 60,
    "notices_until_minutes_after_school_day": 60,
    "answer_nudge_after_school_days": 2,
    "observer_reminder_school_days_before": 1,
    "observer_reminder_minutes_before": 30,
    "teacher_reminder_school_days_before": 1,
    "dialogue_nudge_every_school_days": 2,
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_notice_timings_pinned(preset_id):
    p = load_preset(preset_id)
    assert {name: _default(p, name) for name in NOTICE_TIMING} == NOTICE_TIMING
    if preset_id == "lnct-shared-learning":  # the one agreement that says anything about timing feedback
        assert "offered promptly" in p.params["dialogue_nudge_every_school_days"].why


# --- the table a school sees ---------------------------------------------------------------------


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_policy_table_labels_every_source(preset_id):
    policy = load_preset(preset_id)
    table = policy_table(policy)
    lines = table.splitlines()
    assert policy.title in lines[0] and preset_id in lines[0]
    assert policy.document in table
    for name, spec in PARAMS.items():
        p = policy.params[name]
        row = next(line for line in lines if line.startswith(spec.meaning))
        if p.local_default:
            assert "LOCAL DEFAULT" in row, f"{preset_id}.{name}"
        else:
            assert "LOCAL DEFAULT" not in row
            assert p.clause in row, f"{preset_id}.{name}"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_citations_quote_or_label(preset_id):
    policy = load_preset(preset_id)
    for name, p in policy.params.items():
        text = str(policy.cite(name))
        assert text.startswith(policy.title)
        if p.local_default:
            assert "local default" in text and p.why in text
        else:
            assert p.clause in text and p.quote in text


# --- local overrides ----------------------------------------------------------------------------


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_override_records_who_agreed_and_when(preset_id):
    base = load_preset(preset_id)
    policy = base.with_overrides(
        {"min_notice_school_days": {"value": 3, "agreed_by": "School Negotiating Committee", "agreed_on": date(2026, 9, 1)}}
    )
    p = policy.params["min_notice_school_days"]
    assert policy.min_notice_school_days == 3
    assert p.override.agreed_by == "School Negotiating Committee"
    assert p.override.agreed_on == date(2026, 9, 1)
    cited = str(policy.cite("min_notice_school_days"))
    assert "local override 3" in cited
    assert "School Negotiating Committee" in cited and "2026-09-01" in cited
    assert "local override, agreed by School Negotiating Committee on 2026-09-01" in policy_table(policy)
    # The built-in preset is untouched.
    assert base.params["min_notice_school_days"].override is None
    assert load_preset(preset_id).min_notice_school_days == base.min_notice_school_days


def test_override_of_a_stated_rule_keeps_the_clause_and_adds_the_agreement():
    policy = load_preset("durants-learning-walks").with_overrides(
        {"max_observers_at_once": {"value": 1, "agreed_by": "Staff meeting", "agreed_on": "2026-10-05"}}
    )
    cited = str(policy.cite("max_observers_at_once"))
    assert policy.max_observers_at_once == 1
    assert "§7" in cited and "local override 1" in cited and "Staff meeting" in cited and "2026-10-05" in cited


def test_override_can_lift_a_cap_to_no_limit_only_where_nullable():
    base = load_preset("durants-learning-walks")
    lifted = base.with_overrides(
        {"walks_per_term": {"value": None, "agreed_by": "SNC", "agreed_on": "2026-09-01"}}
    )
    assert lifted.walks_per_term is None
    with pytest.raises(InputError):
        base.with_overrides({"max_visit_minutes": {"value": None, "agreed_by": "SNC", "agreed_on": "2026-09-01"}})


@pytest.mark.parametrize(
    "spec",
    [
        {"value": 3, "agreed_on": "2026-09-01"},
        {"value": 3, "agreed_by": "SNC"},
        {"agreed_by": "SNC", "agreed_on": "2026-09-01"},
        {"value": 3, "agreed_by": None, "agreed_on": "2026-09-01"},
        {"value": 3, "agreed_by": "  ", "agreed_on": "2026-09-01"},
        3,
    ],
    ids=["no-agreed_by", "no-agreed_on", "no-value", "null-agreed_by", "blank-agreed_by", "bare-value"],
)
def test_override_without_a_record_of_agreement_is_refused(spec):
    with pytest.raises(InputError):
        load_preset("trust-learning-walks").with_overrides({"min_notice_school_days": spec})


@pytest.mark.parametrize(
    "overrides",
    [
        {"no_such_rule": {"value": 1, "agreed_by": "SNC", "agreed_on": "2026-09-01"}},
        {"min_notice_school_days": {"value": "soon", "agreed_by": "SNC", "agreed_on": "2026-09-01"}},
        {"min_notice_school_days": {"value": -1, "agreed_by": "SNC", "agreed_on": "2026-09-01"}},
        {"no_grades": {"value": "yes", "agreed_by": "SNC", "agreed_on": "2026-09-01"}},
        {"visitor_roles": {"value": ["headteacher"], "agreed_by": "SNC", "agreed_on": "2026-09-01"}},
        {"min_notice_school_days": {"value": 3, "agreed_by": "SNC", "agreed_on": "next week"}},
    ],
    ids=["unknown-rule", "not-a-number", "negative", "not-a-bool", "unknown-role", "bad-date"],
)
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(InputError):
        load_preset("lnct-shared-learning").with_overrides(overrides)


def test_unknown_preset_is_refused():
    with pytest.raises(InputError):
        load_preset("no-such-preset")
