"""The Teams listeners: each reads an activity, runs one core command through the router, shows the reply as a card
(handlers.teams.cards). One handler takes every activity from the SDK and sends it on by kind:

- a message: in walkbot's personal chat, the command language without the slash ("agree 12", "list",
  "propose @Tom Thu P3 30m ..."; a leading visit, walk or /visit works too), and "home" for the overview.
  Teams' mentions (<at>Tom Baker</at>, an entity carrying the person's ids) become @ and their staff id.
  In a team channel or a group chat walkbot reads only what mentions it, and answers in the person's
  personal chat (their visits and allowance are theirs to see), or says where to find it;
- an invoke: the buttons on a card (adaptiveCard/action) and the dialogs (task/fetch, task/submit), in
  handlers.teams.answers;
- installationUpdate and conversationUpdate: walkbot installed or removed, for a person or a team. The
  conversation reference is stored, or removed, in walkbot's database (proactive notices need it), and a
  person who installs walkbot is welcomed with their overview card.

Who is asking is `from.aadObjectId`, the person's Entra object id: for now a school's staff list (school.yml)
gives it as the staff id of each person who uses Teams. Which school is the activity's tenant (tenancy.py);
an activity from a tenant no school is linked to is answered with a sentence and nothing else.
"""
from __future__ import annotations

import asyncio
import html
import logging
import re
from typing import Any, Mapping

from microsoft_teams.api import Account, ConversationAccount, ConversationReference, MessageActivityInput

from bot.chat import replies
from bot.chat.router import SORRY, Walkbot
from bot.chat.usage import USAGE
from bot.domain.school import School
from bot.errors import WalkbotError
from bot.ports import TeamsConversation
from bot.reply.card import Card, Tone, card
from bot.usecases import commands as c
from handlers.teams import cards
from handlers.teams.tenancy import Tenancy, tenant_of

log = logging.getLogger("walkbot.teams")

UNLINKED = ("This Microsoft 365 organisation isn't linked to a school in walkbot yet, so I can't help here. Your IT "
            "lead links it by adding your tenant id to school.yml (teams: {tenant_id: ...}) and loading it.")
NO_ONE = "walkbot can't tell who you are from this message (Teams did not say), so nothing was done."
ELSEWHERE = "I've answered you in our personal chat: your visits are yours to see."
CHAT_ME = ("Ask me that in our personal chat, where only you see the answer: find walkbot under Apps and choose "
           "Add (or open a chat with it).")
PERSONAL, CHANNEL = "personal", "channel"
HOME = frozenset({"home", "visit home", "/visit home", "overview"})

_HEAD = re.compile(r"\s*/?(visit|walk)\b", re.IGNORECASE)
_VISIT_VERBS = frozenset(name.split()[0] for name in USAGE if not name.startswith("walk "))
_WALK_VERBS = frozenset(name.split()[1] for name in USAGE if name.startswith("walk ")) | {"help"}
_AT = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)


def register(app: Any, walkbot: Walkbot, *, tenancy: Tenancy, store: Any) -> "Listeners":
    from handlers.teams.answers import Answers

    listeners = Listeners(walkbot, tenancy, store.uow, Answers(walkbot, store.uow))
    app.on_activity(listeners.activity)
    return listeners


def command(text: str) -> str:
    """What a person typed, as the router's command: "list", "visit list" and "/visit list" are all /visit list,
    "walk list" is /walk list; words that are no command get the help."""
    head = _HEAD.match(text)
    said, rest = (f"/{head.group(1).lower()}", text[head.end():]) if head else ("/visit", text)
    words = rest.split()
    verb = words[0].lower() if words else ""
    known = verb in (_WALK_VERBS if said == "/walk" else _VISIT_VERBS)
    return f"{said} {rest.strip()}" if known or not words else f"{said} help"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def typed(activity: Mapping[str, Any], known: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """A message's text in the command language, and whether it mentions walkbot: walkbot's own mention is
    taken out, anyone else's becomes @ and their staff id (their Entra object id; `known` maps Teams ids to it
    when the mention does not carry one), and Teams' HTML escapes are put back."""
    text = activity.get("text") if isinstance(activity.get("text"), str) else ""
    me = _mapping(activity.get("recipient")).get("id")
    mentioned_me = False
    for entity in activity.get("entities") or ():
        entity = _mapping(entity)
        if entity.get("type") != "mention" or not isinstance(entity.get("text"), str):
            continue
        who = _mapping(entity.get("mentioned"))
        if who.get("id") == me:
            mentioned_me, said = True, " "
        else:
            staff_id = who.get("aadObjectId") or (known or {}).get(str(who.get("id")))
            said = f" @{staff_id} " if isinstance(staff_id, str) and staff_id else \
                f" @{re.sub(r'[^A-Za-z0-9.-]', '-', str(who.get('id') or 'someone'))} "
        text = text.replace(entity["text"], said)
    text = html.unescape(_AT.sub(" ", text)).replace("\u00a0", " ")
    return " ".join(text.split()), mentioned_me


def _reference(activity: Mapping[str, Any], school: School, tenant: str) -> TeamsConversation | None:
    conversation, sender = _mapping(activity.get("conversation")), _mapping(activity.get("from"))
    conversation_id, service_url = conversation.get("id"), activity.get("serviceUrl")
    if not isinstance(conversation_id, str) or not isinstance(service_url, str):
        return None
    kind = conversation.get("conversationType") or PERSONAL
    scope = {PERSONAL: PERSONAL, CHANNEL: "team"}.get(kind, "groupChat")
    return TeamsConversation(school_id=school.id, tenant_id=tenant, conversation_id=conversation_id,
                             service_url=service_url, scope=scope,
                             aad_object_id=sender.get("aadObjectId") if scope == PERSONAL else None,
                             teams_user_id=sender.get("id") if scope == PERSONAL else None,
                             bot_id=_mapping(activity.get("recipient")).get("id"))


async def send(ctx: Any, said: Card, conversation: TeamsConversation | None = None) -> None:
    """The card as a message, here or in another of this person's conversations; a connector that says no
    (a 429 included: Teams' per-conversation limits) is logged, never retried from a listener."""
    activity = MessageActivityInput.model_validate(cards.message(said))
    ref = None
    if conversation is not None:
        ref = ConversationReference(service_url=conversation.service_url, channel_id="msteams",
                                    bot=Account(id=conversation.bot_id or ctx.activity.recipient.id),
                                    conversation=ConversationAccount(id=conversation.conversation_id))
    try:
        await ctx.send(activity, ref)
    except Exception as error:
        log.warning("Teams did not take walkbot's answer: %r", error)


class Listeners:
    def __init__(self, walkbot: Walkbot, tenancy: Tenancy, uow_factory, answers):
        self.walkbot, self.tenancy, self.uow_factory, self.answers = walkbot, tenancy, uow_factory, answers

    async def activity(self, ctx: Any) -> Any:
        """Every activity the SDK lets in (its token checked). A failure is logged and the person told, never a 500:
        the router already answers a command's own failures, so what lands here is the database out of reach."""
        raw = ctx.activity.model_dump(by_alias=True, exclude_none=True)
        try:
            return await self._activity(ctx, raw)
        except Exception as error:
            log.error("walkbot's Teams listener failed on a %s activity: %r", raw.get("type"), error, exc_info=error)
            told = str(error) if isinstance(error, WalkbotError) else SORRY  # Unavailable: "try again in a minute"
            sorry = card(told, tone=Tone.PROBLEM)
            if raw.get("type") == "message":
                await send(ctx, sorry)
            elif raw.get("name") in ("task/fetch", "task/submit"):
                return {"status": 200, "body": {"task": {"type": "message", "value": told}}}
            elif raw.get("type") == "invoke":
                return {"status": 200, "body": {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                                "value": told}}
            return None

    async def _activity(self, ctx: Any, raw: dict) -> Any:
        tenant = tenant_of(raw)
        school = await asyncio.to_thread(self.tenancy.school_for, tenant)
        kind = raw.get("type")
        if kind == "message":
            return await self.message(ctx, raw, school)
        if kind == "invoke":
            return await self.answers.invoke(ctx, raw, school, await self._actor(raw, school))
        if kind == "installationUpdate":
            action = str(raw.get("action") or "")
            return await (self.installed(ctx, raw, school, tenant) if action.startswith("add")
                          else self.uninstalled(raw, school))
        if kind == "conversationUpdate":
            me = _mapping(raw.get("recipient")).get("id")
            if any(_mapping(m).get("id") == me for m in raw.get("membersAdded") or ()):
                return await self.installed(ctx, raw, school, tenant, welcome=False)
            if any(_mapping(m).get("id") == me for m in raw.get("membersRemoved") or ()):
                return await self.uninstalled(raw, school)
        return None

    async def _actor(self, raw: Mapping[str, Any], school: School | None) -> str | None:
        """The sender's staff id: their Entra object id, as the staff list spells it (any case)."""
        aad = _mapping(raw.get("from")).get("aadObjectId")
        if school is None or not isinstance(aad, str) or not aad.strip():
            return None

        def look() -> str:
            with self.uow_factory() as uow:
                found = uow.staff.get(school.id, aad) or uow.staff.find(school.id, aad)
            return found.chat_id if found is not None and found.chat_id.lower() == aad.lower() else aad
        return await asyncio.to_thread(look)

    # --- typed commands ---------------------------------------------------------------------------------------------

    async def message(self, ctx: Any, raw: Mapping[str, Any], school: School | None) -> None:
        personal = (_mapping(raw.get("conversation")).get("conversationType") or PERSONAL) == PERSONAL
        if isinstance(raw.get("value"), Mapping) and not raw.get("text"):
            return None  # an Action.Submit on a card outside a dialog: walkbot's cards send none
        known = await asyncio.to_thread(self._known_mentions, raw, school)
        text, mentioned_me = typed(raw, known)
        if not personal and not mentioned_me:
            return None  # a channel's conversation, not said to walkbot
        if school is None:
            return await send(ctx, card(UNLINKED))
        actor = await self._actor(raw, school)
        if actor is None:
            return await send(ctx, card(NO_ONE, tone=Tone.PROBLEM))
        said = await asyncio.to_thread(self._answer, text, school, actor)
        if personal:
            return await send(ctx, said)
        mine = await asyncio.to_thread(self._personal, school, actor)
        if mine is None:
            return await send(ctx, card(CHAT_ME))
        await send(ctx, said, mine)
        await send(ctx, card(ELSEWHERE))

    def _answer(self, text: str, school: School, actor: str) -> Card:
        if text.lower() in HOME:
            return self.overview(school, actor)
        return self.walkbot.handle(command(text), school_id=school.id, actor=actor).card

    def overview(self, school: School, actor: str) -> Card:
        reply = self.walkbot.run(c.ShowOverview(school_id=school.id, actor=actor), school)
        return replies.overview_card(reply.result) if reply.ok else reply.card

    def _known_mentions(self, raw: Mapping[str, Any], school: School | None) -> dict[str, str]:
        """Teams ids of people mentioned without their Entra object id, to the id walkbot has stored for them."""
        wanted = [str(_mapping(_mapping(e).get("mentioned")).get("id")) for e in raw.get("entities") or ()
                  if _mapping(e).get("type") == "mention" and not _mapping(_mapping(e).get("mentioned")).get(
                      "aadObjectId")]
        if school is None or not wanted:
            return {}
        with self.uow_factory() as uow:
            found = {w: uow.teams.by_teams_user(school.id, w) for w in wanted[:20]}
        return {w: ref.aad_object_id for w, ref in found.items() if ref is not None and ref.aad_object_id}

    def _personal(self, school: School, actor: str) -> TeamsConversation | None:
        with self.uow_factory() as uow:
            return uow.teams.personal(school.id, actor)

    # --- installed and removed ----------------------------------------------------------------------------------------

    async def installed(self, ctx: Any, raw: Mapping[str, Any], school: School | None, tenant: str | None, *,
                        welcome: bool = True) -> None:
        if school is None or tenant is None:
            if welcome:
                await send(ctx, card(UNLINKED))
            return None
        reference = _reference(raw, school, tenant)
        if reference is None:
            return None

        def keep() -> None:
            with self.uow_factory() as uow:
                uow.teams.save(reference)
                uow.commit()
        await asyncio.to_thread(keep)
        if welcome and reference.scope == PERSONAL:
            actor = await self._actor(raw, school)
            await send(ctx, await asyncio.to_thread(self.overview, school, actor) if actor else card(NO_ONE))
        return None

    async def uninstalled(self, raw: Mapping[str, Any], school: School | None) -> None:
        conversation_id = _mapping(raw.get("conversation")).get("id")
        if school is None or not isinstance(conversation_id, str):
            return None

        def forget() -> None:
            with self.uow_factory() as uow:
                uow.teams.remove(school.id, conversation_id)
                uow.commit()
        await asyncio.to_thread(forget)
        return None
