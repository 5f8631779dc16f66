"""What Teams accepts: a check of every Adaptive Card and message walkbot sends to Microsoft Teams.

Teams refuses a message over its size and draws nothing of a card it cannot read; an Action.Execute with no
verb is never delivered to the bot (the person presses and nothing happens). So each card is checked against
an Adaptive Cards 1.5 schema, and against Teams' own rules:

- a message (the activity's JSON, UTF-8) is at most 100 KB;
- a card's `version` is at most 1.5, what Teams renders from a bot;
- element and action ids are unique across the whole card (Teams tells inputs and buttons apart by them);
- every Action.Execute has a verb; no choice's value has a comma (a multi-select sends them comma-separated);
- nothing is a live mention or live markup: no mention entity (on the activity or in a card's `msteams`),
  and in every text Teams reads as markdown (a TextBlock's text, a fact's title and value, a card's
  fallbackText, the activity's text) every markdown character comes escaped (`live_markup`), so nothing a
  person typed becomes bold, a link, an HTML entity or an <at> mention.

The schema is walkbot's own (SUBSET below): the part of Adaptive Cards 1.5 that walkbot draws (TextBlock,
FactSet, ActionSet, Container, Input.Text/Date/Time/ChoiceSet, Action.Execute/Submit/OpenUrl), with each
element's properties as the 1.5 schema gives them, and nothing else: an element or property outside it is
refused, as the real schema's additionalProperties: false refuses what 1.5 does not know. Microsoft's own
schema (schemas/1.5.0/adaptive-card.json of microsoft/AdaptiveCards, MIT) is checked too wherever a copy is
laid in shared/teams/ beside the checkout (or named by WALKBOT_ADAPTIVE_CARD_SCHEMA), with the draft it
declares (06); the project does not carry a copy of its own.

    problems = activity_problems(activity)  # [] when Teams would take it
    problems = card_problems(card)          # a card alone: a dialog's form, an Execute's answer
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ACTIVITY_MAX = 100_000  # bytes
VERSION_MAX = (1, 5)


# --- the schema: the part of Adaptive Cards 1.5 walkbot draws ------------------------------------------------

def _object(kind: str | None, properties: dict, required: tuple[str, ...] = ()) -> dict:
    typed = {"type": {"enum": [kind]}} if kind else {}
    return {"type": "object", "additionalProperties": False, "required": [*(["type"] if kind else []), *required],
            "properties": {**typed, **properties}}


def _enum(*values: str) -> dict:
    return {"enum": list(values)}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _by_type(kinds: dict[str, dict]) -> dict:
    """One of these objects, told apart by their "type" (each then checked as its own)."""
    return {"type": "object", "required": ["type"], "properties": {"type": _enum(*kinds)},
            "allOf": [{"if": {"properties": {"type": {"const": k}}}, "then": v} for k, v in kinds.items()]}


_S, _B, _N = {"type": "string"}, {"type": "boolean"}, {"type": "number"}
_DATA = {"anyOf": [_S, {"type": "object"}]}
_ELEMENT = {"id": _S, "spacing": _enum("default", "none", "small", "medium", "large", "extraLarge", "padding"),
            "separator": _B, "isVisible": _B, "height": _enum("auto", "stretch")}
_INPUT = {**_ELEMENT, "label": _S, "isRequired": _B, "errorMessage": _S}
_ACTION = {"id": _S, "title": _S, "iconUrl": _S, "style": _enum("default", "positive", "destructive"),
           "tooltip": _S, "isEnabled": _B, "mode": _enum("primary", "secondary")}
_SENDS = {"data": _DATA, "associatedInputs": _enum("auto", "none", "Auto", "None")}
_ACTIONS = {
    "Action.Execute": _object("Action.Execute", {**_ACTION, **_SENDS, "verb": _S}),
    "Action.Submit": _object("Action.Submit", {**_ACTION, **_SENDS}),
    "Action.OpenUrl": _object("Action.OpenUrl", {**_ACTION, "url": _S}, ("url",)),
}
_CHOICE = _object(None, {"type": _enum("Input.Choice"), "title": _S, "value": _S}, ("title", "value"))
_ELEMENTS = {
    "TextBlock": _object("TextBlock", {
        **_ELEMENT, "text": _S, "wrap": _B, "maxLines": _N, "isSubtle": _B, "style": _enum("default", "heading"),
        "size": _enum("default", "small", "medium", "large", "extraLarge"),
        "weight": _enum("default", "lighter", "bolder"),
        "color": _enum("default", "dark", "light", "accent", "good", "warning", "attention"),
        "horizontalAlignment": _enum("left", "center", "right"), "fontType": _enum("default", "monospace"),
    }, ("text",)),
    "FactSet": _object("FactSet", {**_ELEMENT, "facts": _array(_object(None, {"title": _S, "value": _S},
                                                                      ("title", "value")))}, ("facts",)),
    "ActionSet": _object("ActionSet", {**_ELEMENT, "actions": _array({"$ref": "#/definitions/action"})}, ("actions",)),
    "Container": _object("Container", {**_ELEMENT, "items": _array({"$ref": "#/definitions/element"}),
                                       "style": _enum("default", "emphasis", "good", "attention", "warning", "accent")},
                         ("items",)),
    "Input.Text": _object("Input.Text", {
        **_INPUT, "isMultiline": _B, "maxLength": _N, "placeholder": _S, "regex": _S, "value": _S,
        "style": _enum("text", "tel", "url", "email", "password")}, ("id",)),
    "Input.Date": _object("Input.Date", {**_INPUT, "min": _S, "max": _S, "placeholder": _S, "value": _S}, ("id",)),
    "Input.Time": _object("Input.Time", {**_INPUT, "min": _S, "max": _S, "placeholder": _S, "value": _S}, ("id",)),
    "Input.ChoiceSet": _object("Input.ChoiceSet", {
        **_INPUT, "choices": _array(_CHOICE), "isMultiSelect": _B, "style": _enum("compact", "expanded"), "value": _S,
        "placeholder": _S, "wrap": _B}, ("id",)),
}
SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {"element": _by_type(_ELEMENTS), "action": _by_type(_ACTIONS)},
    **_object("AdaptiveCard", {"$schema": _S, "version": _S, "fallbackText": _S, "speak": _S, "lang": _S,
                               "body": _array({"$ref": "#/definitions/element"}),
                               "actions": _array({"$ref": "#/definitions/action"})}),
}
jsonschema.Draft7Validator.check_schema(SUBSET)
VALIDATORS = {"the 1.5 subset walkbot draws": jsonschema.Draft7Validator(SUBSET)}


def _official() -> Path | None:
    named = os.environ.get("WALKBOT_ADAPTIVE_CARD_SCHEMA")
    found = Path(named) if named else ROOT.parent / "shared" / "teams" / "adaptive-card.json"
    return found if found.is_file() else None


if _official():
    _schema = json.loads(_official().read_text(encoding="utf-8"))
    VALIDATORS["the Adaptive Cards 1.5 schema"] = jsonschema.validators.validator_for(_schema)(_schema)

# A backslash before ASCII punctuation: CommonMark's escape, shown as the character itself.
_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_LIVE = (
    (re.compile(r"[*_\[\]<>`~{}\\]"), "markdown or HTML"),
    (re.compile(r"&#?[A-Za-z0-9]+;"), "an HTML entity"),
    (re.compile(r"(?m)^[ \t]*(?:[-+#=]|\d+[.)])"), "a list or heading marker"),
)


def unescape(text: str) -> str:
    """Markdown text as Teams shows it (escapes read back; paragraphs as lines)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\n\n", "\n")


def live_markup(text: Any) -> list[str]:
    """The markup in a text Teams reads as markdown that is not escaped: [] when it shows as itself."""
    if not isinstance(text, str):
        return []
    bare = _ESCAPED.sub("x", text)  # an escape is the character itself: stands in for any plain one
    return [f"{what}: {m.group()!r}" for pattern, what in _LIVE for m in pattern.finditer(bare)][:5]


def nodes(value: Any, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every object in a card with where it is, leaving out actions' data (the bot's own, free in form)."""
    if isinstance(value, dict):
        yield where, value
        for key, inner in value.items():
            if key != "data":
                yield from nodes(inner, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from nodes(inner, f"{where}[{n}]")


def markdown_texts(card: Any) -> Iterator[tuple[str, str]]:
    """The texts of a card Teams reads as markdown, with where they are."""
    for where, node in nodes(card):
        kind = node.get("type")
        if kind == "TextBlock":
            yield f"{where}.text", node.get("text")
        elif kind == "AdaptiveCard" and "fallbackText" in node:
            yield f"{where}.fallbackText", node["fallbackText"]
        elif kind is None and set(node) >= {"title", "value"} and where.rsplit(".", 1)[-1].startswith("facts["):
            yield f"{where}.title", node["title"]
            yield f"{where}.value", node["value"]


def _mentions(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(e, dict) and e.get("type") == "mention" for e in value)


def _version(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,3}(\.\d{1,3})*", value):
        return None
    return tuple(int(part) for part in value.split("."))


def card_problems(card: Any, where: str = "card") -> list[str]:
    """An Adaptive Card as Teams takes it from a bot (a message's attachment, a dialog, an Execute's answer)."""
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [f"{where}: not an AdaptiveCard object"]
    problems = []
    version = _version(card.get("version"))
    if version is None or version > VERSION_MAX:
        problems.append(f"{where}.version: {card.get('version')!r}, not a version up to 1.5")
    for name, validator in VALIDATORS.items():
        error = jsonschema.exceptions.best_match(validator.iter_errors(card))
        if error is not None:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(f"{where}{path}: not by {name} (schema): {error.message[:300]}")
    seen: dict[str, str] = {}
    for at, node in nodes(card, where):
        if "type" in node and "id" in node:
            if node["id"] in seen:
                problems.append(f"{at}: the id {node['id']!r} again (first at {seen[node['id']]})")
            seen.setdefault(node["id"], at)
        if node.get("type") == "Action.Execute" and not (isinstance(node.get("verb"), str) and node["verb"].strip()):
            problems.append(f"{at}: an Action.Execute with no verb is never delivered to the bot")
        if node.get("type") == "Input.ChoiceSet":
            problems += [f"{at}.choices: the value {c.get('value')!r} has a comma, which a multi-select sends "
                         "between values" for c in node.get("choices") or ()
                         if isinstance(c, dict) and "," in str(c.get("value"))]
        if _mentions((node.get("msteams") or {}).get("entities") if isinstance(node.get("msteams"), dict) else None):
            problems.append(f"{at}.msteams.entities: a live mention")
    for at, text in markdown_texts(card):
        problems += [f"{where}.{at}: live {found}" for found in live_markup(text)]
    return problems


def size(activity: Any) -> int:
    return len(json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def activity_problems(activity: Any) -> list[str]:
    """A message activity as a bot sends it (a post, a proactive message, an update)."""
    if not isinstance(activity, dict):
        return [f"an activity is an object, not {type(activity).__name__}"]
    problems = []
    if activity.get("type") != "message":
        problems.append(f"type: {activity.get('type')!r}, not 'message'")
    attachments = activity.get("attachments") or []
    if not isinstance(attachments, list):
        return problems + ["attachments: not a list"]
    if not attachments and not (isinstance(activity.get("text"), str) and activity["text"].strip()):
        problems.append("nothing to show: no text and no attachment")
    for n, attachment in enumerate(attachments):
        if not isinstance(attachment, dict) or not isinstance(attachment.get("contentType"), str):
            problems.append(f"attachments[{n}]: no contentType")
        elif attachment["contentType"] == CONTENT_TYPE:
            problems += card_problems(attachment.get("content"), f"attachments[{n}].content")
    problems += [f"text: live {found}" for found in live_markup(activity.get("text"))]
    if "summary" in activity and not isinstance(activity["summary"], str):
        problems.append("summary: not a string")
    if _mentions(activity.get("entities")):
        problems.append("entities: a live mention")
    if size(activity) > ACTIVITY_MAX:
        problems.append(f"{size(activity)} bytes, over Teams' {ACTIVITY_MAX}")
    return problems


# --- reading what a person sees ---------------------------------------------------------------------------------

def cards_of(activity: dict) -> list[dict]:
    return [a["content"] for a in activity.get("attachments") or () if a.get("contentType") == CONTENT_TYPE]


def shown_text(card: Any) -> str:
    """Everything a Teams person reads in a card's body (its TextBlocks and facts), as shown."""
    found = []
    for _, text in markdown_texts(card.get("body") if isinstance(card, dict) else card):
        found.append(unescape(text))
    return "\n".join(found)


def buttons(card: Any) -> list[dict]:
    """A card's actions, in order, wherever they are (its ActionSets, its own actions)."""
    return [node for _, node in nodes(card) if str(node.get("type", "")).startswith("Action.")]
