"""What Slack accepts: a check of every message and view walkbot sends, by Slack's documented limits.

Slack refuses a payload that breaks one (chat.postMessage answers {"ok": false, "error": "invalid_blocks"},
a view is not opened) and the person sees nothing at all, so the Web API stand-in (tests/support/standin.py) runs
these checks on every chat.postMessage, chat.update, views.open, views.update and views.publish and on
every response_url body, and the Slack workspace in tests (tests/support/slack_support.py) on every ack; a payload
that breaks one is refused as Slack would, and fails the test.

The limits are Slack's (docs.slack.dev/reference/block-kit: blocks, block elements, composition objects,
views; chat.postMessage). Two rules are walkbot's own on top: an action id is unique across the whole
message or view, not only within its block, since the listeners tell buttons apart by it alone; and no text
carries live markup (`live_markup`): &, < and > always come escaped, so nothing a person typed becomes a
mention, a link or an @channel.

    problems = message_problems(payload)  # [] when Slack would take it
"""
from __future__ import annotations

import re
from typing import Any, Iterator

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000  # chat.postMessage: "truncated at 40,000 characters"
TEXT_OBJECT = 3000  # any text object, unless its field says less
SECTION_TEXT, SECTION_FIELDS, FIELD_TEXT = 3000, 10, 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BLOCK_ID = ACTION_ID = 255
BUTTON_TEXT, BUTTON_VALUE, BUTTON_URL = 75, 2000, 3000
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
INPUT_LABEL, INPUT_HINT, PLACEHOLDER = 2000, 2000, 150
OPTIONS, OPTION_TEXT, OPTION_VALUE = 100, 75, 150
PLAIN_INPUT_MAX = 3000
MODAL_TITLE = MODAL_SUBMIT = MODAL_CLOSE = 24
PRIVATE_METADATA, CALLBACK_ID = 3000, 255

BUTTON_STYLES = {None, "primary", "danger"}
INTERACTIVE = {"button", "static_select", "users_select", "multi_users_select", "datepicker", "timepicker",
               "plain_text_input", "url_text_input", "overflow", "checkboxes", "radio_buttons"}


class Found:
    """The problems found, each with where it is ("blocks[3].elements[1]")."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def __call__(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.problems.append(f"{where}: {what}")


# --- surfaces ---------------------------------------------------------------------------------------------

def message_problems(payload: Any) -> list[str]:
    """A message as chat.postMessage, chat.update, a response_url or a command's ack take it."""
    found = Found()
    if not isinstance(payload, dict):
        return [f"a message is an object, not {type(payload).__name__}"]
    text, blocks = payload.get("text"), payload.get("blocks")
    found(isinstance(text, str) and text.strip() != "", "text",
          "no fallback text: notifications and screen readers would say nothing")
    if isinstance(text, str):
        found(len(text) <= MESSAGE_TEXT, "text", f"{len(text)} characters, over {MESSAGE_TEXT}")
    if blocks is not None:
        _blocks(found, blocks, MESSAGE_BLOCKS, "blocks")
    return found.problems


def view_problems(view: Any) -> list[str]:
    """A modal (views.open, views.update, an ack's response_action update) or the Home tab (views.publish)."""
    found = Found()
    if not isinstance(view, dict):
        return [f"a view is an object, not {type(view).__name__}"]
    kind = view.get("type")
    found(kind in ("modal", "home"), "type", f"{kind!r} is not a view type")
    _blocks(found, view.get("blocks"), VIEW_BLOCKS, "blocks")
    metadata = view.get("private_metadata")
    found(metadata is None or (isinstance(metadata, str) and len(metadata) <= PRIVATE_METADATA),
          "private_metadata", f"over {PRIVATE_METADATA} characters")
    callback = view.get("callback_id")
    found(callback is None or (isinstance(callback, str) and len(callback) <= CALLBACK_ID), "callback_id",
          f"over {CALLBACK_ID} characters")
    if kind == "modal":
        _plain(found, view.get("title"), MODAL_TITLE, "title", required=True)
        _plain(found, view.get("close"), MODAL_CLOSE, "close")
        _plain(found, view.get("submit"), MODAL_SUBMIT, "submit")
        inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or ())
        found(not inputs or view.get("submit") is not None, "submit", "a modal with inputs needs a submit button")
    return found.problems


def ack_problems(body: Any, submitted: dict | None = None) -> list[str]:
    """The ack of a view submission: a view to update to, or errors against the form's own input blocks."""
    if not isinstance(body, dict) or "response_action" not in body:
        return []
    action = body["response_action"]
    if action in ("update", "push"):
        return view_problems(body.get("view"))
    if action == "errors":
        errors = body.get("errors")
        if not isinstance(errors, dict) or not errors:
            return ["errors: an object of messages by block id, and not empty"]
        inputs = {b.get("block_id") for b in (submitted or {}).get("blocks") or ()
                  if isinstance(b, dict) and b.get("type") == "input"}
        if not inputs:  # a submission Slack never sends (no blocks): nothing to check the ids against
            return []
        return [f"errors: {block!r} is not an input block of the form" for block in errors if block not in inputs]
    return [] if action == "clear" else [f"response_action {action!r} is not one Slack knows"]


# --- blocks -------------------------------------------------------------------------------------------------

def _blocks(found: Found, blocks: Any, most: int, where: str) -> None:
    if not isinstance(blocks, list):
        found(False, where, "blocks are a list")
        return
    found(len(blocks) <= most, where, f"{len(blocks)} blocks, over {most}")
    block_ids: dict[str, str] = {}
    action_ids: dict[str, str] = {}
    for n, block in enumerate(blocks):
        at = f"{where}[{n}]"
        if not isinstance(block, dict):
            found(False, at, "a block is an object")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            found(isinstance(block_id, str) and 0 < len(block_id) <= BLOCK_ID, f"{at}.block_id",
                  f"1 to {BLOCK_ID} characters")
            found(block_id not in block_ids, f"{at}.block_id", f"{block_id!r} again (first at {block_ids.get(block_id)})")
            block_ids.setdefault(block_id, at)
        _block(found, block, at)
        # An action id: unique within its block (Slack), and across the surface for whatever dispatches an
        # action (walkbot: the listeners tell buttons apart by it). Inputs are told apart by their block ids.
        in_block: set[str] = set()
        for element_at, element in _elements(block, at):
            action_id = element.get("action_id")
            if action_id is None:
                continue
            found(isinstance(action_id, str) and 0 < len(action_id) <= ACTION_ID, f"{element_at}.action_id",
                  f"1 to {ACTION_ID} characters")
            found(action_id not in in_block, f"{element_at}.action_id", f"{action_id!r} twice in one block")
            in_block.add(action_id)
            if block.get("type") != "input":
                found(action_id not in action_ids, f"{element_at}.action_id",
                      f"{action_id!r} again in the same surface (first at {action_ids.get(action_id)})")
                action_ids.setdefault(action_id, element_at)


def _elements(block: dict, at: str) -> Iterator[tuple[str, dict]]:
    if block.get("type") == "actions":
        for n, element in enumerate(block.get("elements") or ()):
            if isinstance(element, dict):
                yield f"{at}.elements[{n}]", element
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield f"{at}.{key}", block[key]


def _block(found: Found, block: dict, at: str) -> None:
    kind = block.get("type")
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        found(text is not None or fields, at, "a section needs a text or fields")
        if text is not None:
            _text(found, text, SECTION_TEXT, f"{at}.text")
        if fields is not None:
            found(isinstance(fields, list) and len(fields) <= SECTION_FIELDS, f"{at}.fields",
                  f"at most {SECTION_FIELDS}")
            for n, f in enumerate(fields if isinstance(fields, list) else ()):
                _text(found, f, FIELD_TEXT, f"{at}.fields[{n}]")
        if isinstance(block.get("accessory"), dict):
            _element(found, block["accessory"], f"{at}.accessory")
    elif kind == "header":
        _plain(found, block.get("text"), HEADER_TEXT, f"{at}.text", required=True)
    elif kind == "context":
        elements = block.get("elements")
        found(isinstance(elements, list) and 0 < len(elements) <= CONTEXT_ELEMENTS, f"{at}.elements",
              f"1 to {CONTEXT_ELEMENTS} elements")
        for n, e in enumerate(elements if isinstance(elements, list) else ()):
            if isinstance(e, dict) and e.get("type") != "image":
                _text(found, e, TEXT_OBJECT, f"{at}.elements[{n}]")
    elif kind == "actions":
        elements = block.get("elements")
        found(isinstance(elements, list) and 0 < len(elements) <= ACTIONS_ELEMENTS, f"{at}.elements",
              f"1 to {ACTIONS_ELEMENTS} elements")
        for n, e in enumerate(elements if isinstance(elements, list) else ()):
            _element(found, e, f"{at}.elements[{n}]")
    elif kind == "input":
        _plain(found, block.get("label"), INPUT_LABEL, f"{at}.label", required=True)
        _plain(found, block.get("hint"), INPUT_HINT, f"{at}.hint")
        found(isinstance(block.get("element"), dict), f"{at}.element", "an input needs its element")
        if isinstance(block.get("element"), dict):
            _element(found, block["element"], f"{at}.element")
    elif kind not in ("divider", "image"):
        found(False, at, f"{kind!r} is not a block walkbot should send")


def _element(found: Found, element: Any, at: str) -> None:
    if not isinstance(element, dict):
        found(False, at, "an element is an object")
        return
    kind = element.get("type")
    found(kind in INTERACTIVE, at, f"{kind!r} is not an element type")
    if kind == "button":
        _plain(found, element.get("text"), BUTTON_TEXT, f"{at}.text", required=True)
        value, url = element.get("value"), element.get("url")
        found(value is None or (isinstance(value, str) and len(value) <= BUTTON_VALUE), f"{at}.value",
              f"at most {BUTTON_VALUE} characters")
        found(url is None or (isinstance(url, str) and len(url) <= BUTTON_URL), f"{at}.url", f"at most {BUTTON_URL}")
        found(element.get("style") in BUTTON_STYLES, f"{at}.style", f"{element.get('style')!r} is no button style")
        if element.get("confirm") is not None:
            _confirm(found, element["confirm"], f"{at}.confirm")
    if "placeholder" in element:
        _plain(found, element["placeholder"], PLACEHOLDER, f"{at}.placeholder")
    if kind == "static_select":
        options = element.get("options")
        found(isinstance(options, list) and 0 < len(options) <= OPTIONS, f"{at}.options", f"1 to {OPTIONS} options")
        for n, option in enumerate(options if isinstance(options, list) else ()):
            _plain(found, (option or {}).get("text"), OPTION_TEXT, f"{at}.options[{n}].text", required=True)
            value = (option or {}).get("value")
            found(isinstance(value, str) and 0 < len(value) <= OPTION_VALUE, f"{at}.options[{n}].value",
                  f"1 to {OPTION_VALUE} characters")
        initial = element.get("initial_option")
        found(initial is None or initial in options, f"{at}.initial_option", "one of the options")
    if kind == "plain_text_input":
        most = element.get("max_length", PLAIN_INPUT_MAX)
        found(isinstance(most, int) and 0 < most <= PLAIN_INPUT_MAX, f"{at}.max_length", f"at most {PLAIN_INPUT_MAX}")
        initial = element.get("initial_value")
        found(initial is None or (isinstance(initial, str) and len(initial) <= most), f"{at}.initial_value",
              "within max_length")
    if kind == "datepicker" and element.get("initial_date") is not None:
        found(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(element["initial_date"])) is not None, f"{at}.initial_date",
              "YYYY-MM-DD")
    if kind == "timepicker" and element.get("initial_time") is not None:
        found(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(element["initial_time"])) is not None,
              f"{at}.initial_time", "HH:mm")


def _confirm(found: Found, confirm: Any, at: str) -> None:
    if not isinstance(confirm, dict):
        found(False, at, "a confirm is an object")
        return
    _plain(found, confirm.get("title"), CONFIRM_TITLE, f"{at}.title", required=True)
    _text(found, confirm.get("text"), CONFIRM_TEXT, f"{at}.text")
    _plain(found, confirm.get("confirm"), CONFIRM_BUTTON, f"{at}.confirm", required=True)
    _plain(found, confirm.get("deny"), CONFIRM_BUTTON, f"{at}.deny", required=True)


def _text(found: Found, obj: Any, most: int, at: str) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        found(False, at, "a text object of type plain_text or mrkdwn")
        return
    text = obj.get("text")
    found(isinstance(text, str) and 0 < len(text) <= most, at, f"1 to {most} characters, not "
          f"{len(text) if isinstance(text, str) else repr(text)}")


def _plain(found: Found, obj: Any, most: int, at: str, *, required: bool = False) -> None:
    if obj is None:
        found(not required, at, "missing")
        return
    _text(found, obj, most, at)
    if isinstance(obj, dict):
        found(obj.get("type") == "plain_text", at, "plain_text only")


# --- walkbot's own rule: no live markup --------------------------------------------------------------------

_ENTITY = re.compile(r"&(amp|lt|gt);")
# Values Slack hands back or keeps, never shows as text (a form's errors are plain strings under a field).
_NOT_SHOWN = {"private_metadata", "value", "initial_value", "url", "action_id", "block_id", "callback_id", "errors",
              "initial_date", "initial_time", "initial_user", "initial_users", "channel", "ts", "thread_ts", "user_id",
              "view_id", "hash", "trigger_id"}


def live_markup(payload: Any) -> list[str]:
    """Every text in a payload with a raw <, > or & (not an escape): a mention, link or @channel made live."""
    found: list[str] = []
    for where, text in _texts(payload, ""):
        if "<" in text or ">" in text or "&" in _ENTITY.sub("", text):
            found.append(f"{where}: {text[:120]!r}")
    return found


def _texts(payload: Any, where: str) -> Iterator[tuple[str, str]]:
    """Each text Slack reads markup in: text objects, and a message's own text."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                yield f"{where}.text", value
            elif key not in _NOT_SHOWN:
                yield from _texts(value, f"{where}.{key}")
    elif isinstance(payload, list):
        for n, item in enumerate(payload):
            yield from _texts(item, f"{where}[{n}]")
