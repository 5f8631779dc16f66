"""The walk clauses walkbot quotes beyond the presets' numbers are the agreements' own words, and a walk's rooms
are never followed up one by one."""
from datetime import UTC, datetime
from importlib import resources

import pytest

from bot.domain.model import Visit, VisitKind, VisitStatus
from bot.domain.policy import PRESET_IDS, load_preset
from bot.notices import reminders
from bot.rules.walk import WALK_CLAUSES, walk_clauses

AGREEMENTS = resources.files("bot.presets").joinpath("agreements")


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_walk_clauses_quote_their_agreement_verbatim(preset_id):
    policy = load_preset(preset_id)
    document = _norm(AGREEMENTS.joinpath(policy.document).read_text(encoding="utf-8"))
    said = walk_clauses(policy)
    for clause in (said.purpose, said.no_individual, said.report):
        if clause:
            assert clause.clause and _norm(clause.quote) in document, clause.quote
    for conduct in said.conduct:
        assert _norm(conduct) in document, conduct
    assert not said.purpose_required or said.purpose  # a required purpose is required by a clause


def test_every_walk_clause_names_a_preset():
    assert set(WALK_CLAUSES) <= set(PRESET_IDS)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_walk_room_owes_no_dialogue_under_any_agreement(preset_id):
    room = Visit(1, 1, "T", ("W",), "W", VisitKind.LEARNING_WALK, datetime(2027, 2, 3, 9, tzinfo=UTC), 20,
                 VisitStatus.HELD, walk_id=1)
    policy = load_preset(preset_id)
    assert not reminders.dialogue_expected(room, policy) and not reminders.follow_up_owed(room, policy)
