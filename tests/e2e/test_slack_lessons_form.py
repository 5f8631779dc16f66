"""The propose form at a school with a timetable: it asks whether the visitor's own class is covered, and once the
teacher is chosen it is drawn again offering their lessons that week, one of which is the visit's time.
(A school without a timetable gets the form as it always was: tests/e2e/test_slack_modals.py.)"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_limits import view_problems
from slack_support import slack, standin, state, texts  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus
from handlers.import_cli import import_demo_timetable

SAM, TOM = "U05SAM", "U03TOM"


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_choosing_the_teacher_offers_their_lessons_and_one_is_proposed_with_cover(slack):
    import_demo_timetable(slack.store, "demo")
    assert slack.command(SAM, "").status == 200
    blank = slack.last("views.open").args["view"]
    assert not view_problems(blank)  # within Slack's documented limits (the stand-in checks every view it is sent)
    fields = inputs(blank)
    assert fields["teacher"]["dispatch_action"] is True and "cover" in fields and "lesson" not in fields

    chosen = {"teacher": TOM}
    payload = {"type": "block_actions", **slack._who(SAM),
               "actions": [{"type": "users_select", "action_id": "value", "block_id": "teacher",
                            "selected_user": TOM, "action_ts": "1.0"}],
               "container": {"type": "view", "view_id": "V0"},
               "view": {"id": "V0", "hash": "h", **blank, "state": state(blank, chosen)}}
    assert slack._interact(payload).status == 200
    redrawn = slack.standin.wait_for("views.update")[0].args["view"]
    assert not view_problems(redrawn)
    lesson = inputs(redrawn)["lesson"]["element"]
    offered = [(o["value"], o["text"]["text"]) for o in lesson["options"]]
    assert offered and all("Maths" in label and "room S12" in label for _, label in offered)  # Tom's lessons
    assert inputs(redrawn)["teacher"]["element"]["initial_user"] == TOM  # what was chosen stays

    when, _ = offered[0]
    answer = slack.submit(SAM, redrawn, {"teacher": TOM, "lesson": when, "minutes": "30", "kind": "peer",
                                         "focus": "questioning", "feedback": "after school", "cover": "yes"})
    assert answer.status == 200 and answer.body["response_action"] == "update", answer.body
    assert "Proposed #1" in texts(answer.body["view"])
    with slack.store.uow() as uow:
        [visit] = uow.visits.of_person(1, TOM, slack.clock.now().replace(year=2026))
    assert visit.status is VisitStatus.PROPOSED
    assert f"{visit.start.astimezone(ZoneInfo('Europe/London')):%Y-%m-%dT%H:%M}" == when
