"""Slack's requests through the inbox (handlers.inbox): which are kept before their ack, how a worker does
their work, and how their answers reach Slack.

Kept: typed commands, the buttons that answer a visit or retry a refused one at an offered time, what a
person types in walkbot's DM, and the App Home opening. Not kept: what opens a form (Slack's trigger to open
it lasts 3 seconds, and opening one changes nothing) and form submissions (worked before their ack, which
carries a refusal back into the form).

A worker runs a kept request through a second Bolt app built from the same listeners, in which the work is
done before the "ack" and every call that would answer Slack (a response_url post, a Web API call) is
recorded as data instead of made. The calls are committed with the work, then made (SlackWork.answer).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from bot.chat.router import SORRY
from bot.reply.card import Tone, Verb, card
from handlers.inbox import AnswerLater, Call, Kept
from handlers.slack.blocks import message, verb_of
from handlers.slack.home import notice_home

log = logging.getLogger("walkbot.slack")

SURFACE = "slack"
ANSWERS = "walkbot_answers"  # in a worker's request context: the list its answer is recorded into
_KEPT_VERBS = {Verb.AGREE, Verb.ACCEPT, Verb.WITHDRAW, Verb.PROPOSE_AT, Verb.SUGGEST_AT}


def key_of(body: dict, opens_form: Callable[[str, str], bool]) -> str | None:
    """Slack's own id for a request to keep in the inbox (an event's id, an interaction's trigger), else None."""
    command = body.get("command")
    if isinstance(command, str):
        text = body.get("text") if isinstance(body.get("text"), str) else ""
        return None if opens_form(command, text) else _key("command", body.get("trigger_id"))
    if body.get("type") == "block_actions":
        actions = body.get("actions") if isinstance(body.get("actions"), list) else []
        first = actions[0] if actions and isinstance(actions[0], dict) else {}
        return _key("action", body.get("trigger_id")) if verb_of(first.get("action_id")) in _KEPT_VERBS else None
    if body.get("type") == "event_callback":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        typed_in_dm = (event.get("type") == "message" and event.get("channel_type") == "im"
                       and not event.get("bot_id") and not event.get("subtype"))
        if typed_in_dm or event.get("type") == "app_home_opened":
            return _key("event", body.get("event_id"))
    return None


def _key(kind: str, given: object) -> str | None:
    return f"{kind}:{given}" if isinstance(given, str) and 0 < len(given) <= 180 else None


class _Recorded(WebClient):
    """A Web API client that writes down each call instead of making it."""

    def __init__(self, real: WebClient, calls: list[Call]):
        super().__init__(token=real.token, base_url=real.base_url)
        self._calls = calls

    def api_call(self, api_method: str, *, http_verb: str = "POST", files=None, data=None, params=None, json=None,
                 headers=None, auth=None) -> SlackResponse:
        self._calls.append({"api": api_method, "args": {**(params or {}), **(data or {}), **(json or {})}})
        return SlackResponse(client=self, http_verb=http_verb, api_url=api_method, req_args={},
                             data={"ok": True}, headers={}, status_code=200)


def record_answers(context, next) -> None:
    """In a worker's app: the listeners' answers (respond, the Web API client) are recorded, not sent."""
    calls = context.get(ANSWERS)
    if calls is not None:
        context["client"] = _Recorded(context.client, calls)
        url = context.response_url

        def respond(text: str = "", **kwargs: Any) -> None:
            calls.append({"respond": url, "message": {"text": text, **kwargs}})

        context["respond"] = respond if url else None
    return next()


class SlackWork:
    """How a Slack request kept in the inbox is worked and answered."""

    name = SURFACE

    def __init__(self, app: App, client_for: Callable[[str | None], WebClient]):
        self.app = app  # built with handlers.slack.app.build_slack_app(..., worker=True)
        self.client_for = client_for

    def work(self, item: Kept) -> list[Call]:
        body, calls = item.request["body"], []
        # The request was verified before it was kept; it comes back as Socket Mode's dict-shaped requests do.
        response = self.app.dispatch(BoltRequest(body=body, mode="socket_mode", context={ANSWERS: calls}))
        if body.get("command") and response.body:  # a command's answer is in the ack; it goes by response_url
            calls.insert(0, {"respond": body.get("response_url"), "message": json.loads(response.body)})
        return calls

    def sorry(self, item: Kept) -> list[Call]:
        body = item.request["body"]
        said = card(SORRY, tone=Tone.PROBLEM)
        if isinstance(body.get("response_url"), str):
            return [{"respond": body["response_url"], "message": {"response_type": "ephemeral", **message(said)}}]
        user = (body.get("event") or {}).get("user") or (body.get("user") or {}).get("id")
        return [{"api": "views.publish", "args": {"user_id": user, "view": notice_home(said)}}] if user else []

    def answer(self, item: Kept, calls: list[Call]) -> None:
        body = item.request["body"]
        team = body.get("team_id") or (body.get("team") or {}).get("id")
        client = None
        for call in calls:
            try:
                if "respond" in call:
                    _post(call["respond"], call["message"])
                else:
                    client = client or self.client_for(team)
                    client.api_call(call["api"], json=call["args"])
            except SlackApiError as err:
                if err.response.status_code == 429 or err.response.get("error") == "ratelimited":
                    raise AnswerLater("Slack asked walkbot to slow down") from None
                # Refused for good (a message since deleted, a view gone): say which, never what it held.
                log.warning("Slack refused part of an answer: %s (%s)", call.get("api", "response_url"),
                            err.response.get("error"))
            except (URLError, OSError) as err:
                raise AnswerLater(f"Slack could not be reached ({type(err).__name__})") from None


def _post(url: str | None, said: dict) -> None:
    if not url:
        return
    sent = WebhookClient(url).send_dict(said)
    if sent.status_code == 429 or sent.status_code >= 500:
        raise AnswerLater(f"Slack answered {sent.status_code}")
    if sent.status_code >= 400:  # an expired or used-up response_url: nothing more can be said by it
        log.warning("Slack refused an answer by response_url (%s)", sent.status_code)


def client_for(app: App) -> Callable[[str | None], WebClient]:
    """A client with the workspace's bot token: the one token, or the workspace's OAuth installation."""

    def for_team(team_id: str | None) -> WebClient:
        installations = app.installation_store
        if installations is None:
            return app.client
        bot = installations.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise RuntimeError("walkbot is no longer installed in that workspace")
        return WebClient(token=bot.bot_token, base_url=app.client.base_url)

    return for_team
