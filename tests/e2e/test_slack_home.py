"""The App Home: my visits, what awaits my answer (with buttons), my allowance, the next walk; for SLT
the school's counts per teacher against the caps and the walks planned."""
from __future__ import annotations

from slack_support import slack, standin, texts  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM, RACHEL, GORDON = "U05SAM", "U03TOM", "U01HEAD", "U07GORDON"
PROPOSE = 'propose <@U03TOM|tom> {day} P3 30m kind formal focus "questioning" feedback "after school"'


def home(slack, user) -> dict:
    assert slack.open_home(user).status == 200
    return [c for c in slack.calls("views.publish") if c.args["user_id"] == user][-1].args["view"]


def buttons(view) -> list[tuple[str, str | None]]:
    return [(e["action_id"], e.get("value")) for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def action_ids(view) -> list[str]:
    return [action for action, _ in buttons(view)]


def test_what_awaits_my_answer_can_be_answered_from_the_home_tab(slack):
    slack.command(SAM, PROPOSE.format(day="2027-02-04"))
    view = home(slack, TOM)
    shown = texts(view)
    assert "*Awaiting your answer:*\n#1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10" in shown
    agree = next(value for action, value in buttons(view) if action == "visit.agree.1")
    assert agree.startswith("1@") and "propose.open" in action_ids(view)  # the visit, and the time shown
    assert "walk.open" not in action_ids(view)  # walks are for SLT to plan

    slack.click(TOM, "visit.agree", view=view)
    republished = texts(slack.last("views.publish").args["view"])
    assert "Nothing awaits your answer." in republished and "*Coming up:*\n  #1 formal visit" in republished
    assert slack.calls("chat.update") == []
    with slack.store.uow() as uow:
        assert uow.visits.get(1, 1).status is VisitStatus.AGREED

    view = home(slack, SAM)  # the visitor sees it too
    assert "*Coming up:*\n  #1 formal visit to Tom Baker's class" in texts(view)


def test_a_refused_answer_from_the_home_tab_says_why_at_the_top(slack):
    for day in ("2027-02-03", "2027-02-04", "2027-02-05", "2027-02-08"):
        slack.command(SAM, PROPOSE.format(day=day))
    for visit_id in ("1", "2", "3"):
        slack.click(TOM, f"visit.agree.{visit_id}", view=home(slack, TOM))
    slack.click(TOM, "visit.agree.4", view=home(slack, TOM))
    shown = texts(slack.last("views.publish").args["view"])
    assert shown.split("\n")[1].startswith("⚠️ The agreement doesn't allow that:")
    assert "Tom Baker has already had 3 of 3 observations" in shown
    assert "3 of 3 observations used this year" in shown


def test_slt_also_see_every_teachers_counts_and_the_walks_planned(slack):
    slack.command(SAM, PROPOSE.format(day="2027-02-04"))
    slack.click(TOM, "visit.agree", view=home(slack, TOM))
    slack.command(RACHEL, 'plan 2027-03-10 09:00-11:00 focus "questioning" purpose "share practice" walkers <@U01HEAD>', "/walk")
    view = home(slack, RACHEL)
    shown = texts(view)
    assert "walk.open" in action_ids(view)
    assert "*Next learning walk:*\n  #1 Wed 10 Mar 09:00–11:00 · questioning" in shown
    assert "*Visits per teacher this session:*" in shown
    assert "  Tom Baker: 1 of 3 observations used this year · 30 of 180 minutes" in shown
    assert "  Amy Chen: 0 of 3 observations used this year · 0 of 180 minutes" in shown
    assert "Gordon Reid" not in shown  # governors are not counted: they don't teach
    assert "*Learning walks planned:*\n  #1 Wed 10 Mar" in shown
    assert "Visits per teacher" not in texts(home(slack, TOM))


def test_the_home_buttons_open_the_forms(slack):
    slack.click(SAM, "propose.open", view=home(slack, SAM))
    assert slack.last("views.open").args["view"]["callback_id"] == "propose"
    slack.click(RACHEL, "walk.open", view=home(slack, RACHEL))
    assert slack.last("views.open").args["view"]["callback_id"] == "walk"


def test_people_who_do_not_teach_see_no_allowance(slack):
    shown = texts(home(slack, GORDON))
    assert "Your allowance" not in shown and "Nothing awaits your answer." in shown


def test_a_retried_event_is_handled_once(slack):
    assert slack.open_home(TOM, event_id="Ev0001").status == 200
    assert slack.open_home(TOM, event_id="Ev0001", headers={"X-Slack-Retry-Num": "1",
                                                            "X-Slack-Retry-Reason": "http_timeout"}).status == 200
    assert len(slack.calls("views.publish")) == 1


def test_strangers_and_unknown_workspaces_are_told_why_the_tab_is_empty(slack):
    assert "You're not on Durants Demo School's staff list" in texts(home(slack, "U99NEW"))
    slack.open_home("U99NEW", team="T0OTHER")
    assert "isn't linked to a school in walkbot yet" in texts(slack.last("views.publish").args["view"])


def test_opening_the_messages_tab_publishes_nothing(slack):
    slack.open_home(TOM, tab="messages")
    assert slack.calls("views.publish") == []


def test_a_time_suggested_from_the_home_tab_reaches_the_visitors_home_tab(slack):
    slack.command(SAM, PROPOSE.format(day="2027-02-04"))
    slack.click(TOM, "visit.suggest", view=home(slack, TOM))
    form = slack.last("views.open").args["view"]
    assert slack.submit(TOM, form, {"date": "2027-02-05", "time": "09:50"}).body == ""
    shown = texts(slack.last("views.publish").args["view"])  # Tom's tab, redrawn
    assert "*Awaiting an answer from others:*\n  #1 formal visit" in shown
    view = home(slack, SAM)
    assert "The teacher suggests Fri 5 Feb 2027 at 09:50 instead." in texts(view)
    assert [a for a in action_ids(view) if a.startswith("visit.")] == ["visit.accept.1", "visit.withdraw.1"]
