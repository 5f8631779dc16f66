"""The Teams listeners: each reads an activity, runs one core command through the router, shows the reply as a card
(handlers.teams.cards). One handler takes every activity from the SDK and sends it on by kind:

- a message: in walkbot's personal chat, the command language without the slash ("agree 12", "list",
  "propose @Tom Thu P3 30m ..."; a leading visit, walk or /visit works too), and "home" for the overview.
  Teams' mentions (<at>Tom Baker</at>, an entity carrying the person's ids) become the person as the command
  language names them: @ and their handle, or their staff id.
  In a team channel or a group chat walkbot reads only what mentions it, and answers in the person's
  personal chat (their visits and allowance are theirs to see), or says where to find it;
- an invoke: the buttons on a card (adaptiveCard/action) and the dialogs (task/fetch, task/submit), in
  handlers.teams.answers;
- installationUpdate and conversationUpdate: walkbot installed or removed, for a person or a team. The
  conversation reference is stored, or removed, in walkbot's database (proactive notices need it), and a
  person who installs walkbot is welcomed with their overview card.

Who is asking, and for which school, is tenancy.py's: by their personal chat as stored, their Entra object id
as staff id, or their email (Teams' members API) on first contact. Once found, their personal chat is stored
linked to their staff id, so the next activity needs no lookup and notices can reach them. Someone found on no
school's list (or on two), or from a tenant no school is linked to, is answered with a sentence and nothing else.
People a message mentions are found the same way, on the sender's school's list only; the members API is asked
about them in the conversation (a channel or group chat) or the school's staff team (school.teams.team_id).
"""
from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import timedelta
from typing import Any, Mapping

import httpx
from microsoft_teams.api import Account, ConversationAccount, ConversationReference, MessageActivityInput

from bot.chat import replies
from bot.chat.router import SORRY, Walkbot
from bot.chat.usage import USAGE
from bot.domain.model import Notice, NoticeKind
from bot.domain.school import School
from bot.errors import WalkbotError
from bot.ports import TeamsConversation
from bot.reply.card import Card, Tone, card
from bot.usecases import commands as c
from handlers.teams import cards
from handlers.teams.answers import Answers, task_message, toast
from handlers.teams.tenancy import Match, Member, Tenancy, member_of, tenant_of
from handlers.teams.transport import retry_after

log = logging.getLogger("walkbot.teams")

ELSEWHERE = "I've answered you in our personal chat: your visits are yours to see."
CHAT_ME = ("Ask me that in our personal chat, where only you see the answer: find walkbot under Apps and choose "
           "Add (or open a chat with it).")
PERSONAL, CHANNEL = "personal", "channel"
HOME = frozenset({"home", "visit home", "/visit home", "overview"})

_HEAD = re.compile(r"\s*/?(visit|walk)\b", re.IGNORECASE)
_VISIT_VERBS = frozenset(name.split()[0] for name in USAGE if not name.startswith("walk "))
_WALK_VERBS = frozenset(name.split()[1] for name in USAGE if name.startswith("walk ")) | {"help"}
_AT = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
MENTIONS = 20  # people one message may mention and walkbot look up
MEMBER_LOOKUPS = 5  # calls to Teams' members API for the people one message mentions, at most
ASK_TIMEOUT = 5.0  # seconds the members API is waited for: Teams wants its activity answered within 15


def register(app: Any, walkbot: Walkbot, *, tenancy: Tenancy, store: Any) -> "Listeners":
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
    taken out, anyone else's becomes how the command language names them (`known`: by their Teams id, from the
    staff list; else @ and their Entra object id, or their Teams id, which the core finds no one by), and Teams'
    HTML escapes are put back."""
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
            aad = who.get("aadObjectId")
            unknown = aad if isinstance(aad, str) and aad else re.sub(r"[^A-Za-z0-9.-]", "-", str(who.get("id")))
            said = f" {(known or {}).get(str(who.get('id'))) or '@' + unknown} "
        text = text.replace(entity["text"], said)
    text = html.unescape(_AT.sub(" ", text)).replace("\u00a0", " ")
    return " ".join(text.split()), mentioned_me


def _is_personal(activity: Mapping[str, Any]) -> bool:
    return (_mapping(activity.get("conversation")).get("conversationType") or PERSONAL) == PERSONAL


def _reference(activity: Mapping[str, Any], school: School, tenant: str,
               chat_id: str | None = None) -> TeamsConversation | None:
    conversation, sender = _mapping(activity.get("conversation")), _mapping(activity.get("from"))
    conversation_id, service_url = conversation.get("id"), activity.get("serviceUrl")
    if not isinstance(conversation_id, str) or not isinstance(service_url, str):
        return None
    kind = conversation.get("conversationType") or PERSONAL
    scope = {PERSONAL: PERSONAL, CHANNEL: "team"}.get(kind, "groupChat")
    aad = sender.get("aadObjectId")
    return TeamsConversation(school_id=school.id, tenant_id=tenant, conversation_id=conversation_id,
                             service_url=service_url, scope=scope,
                             aad_object_id=aad.lower() if scope == PERSONAL and isinstance(aad, str) else None,
                             teams_user_id=sender.get("id") if scope == PERSONAL else None,
                             bot_id=_mapping(activity.get("recipient")).get("id"),
                             chat_id=chat_id if scope == PERSONAL else None)


async def member(ctx: Any, conversation_id: str, member_id: str) -> Member | None:
    """What Teams' members API says of someone in a conversation (a team's id is a conversation too); None when it
    does not answer: not a member there, throttled, down or slow."""
    try:
        answer = await asyncio.wait_for(ctx.api.conversations.get_member_by_id(conversation_id, member_id),
                                        ASK_TIMEOUT)
    except Exception as error:  # the status alone: the error's text holds the conversation's address
        status = getattr(getattr(error, "response", None), "status_code", None)
        log.info("Teams' members API did not say who a member is (%s %s)", type(error).__name__, status or "")
        return None
    return member_of(answer)


async def send(ctx: Any, said: Card, conversation: TeamsConversation | None = None) -> float | None:
    """The card as a message, here or in another of this person's conversations. A connector that says no is
    logged, never retried from here; when it said 429 (Teams' limits per conversation), how many seconds it asked
    walkbot to wait, so that the caller can hand the answer to the outbox instead of losing it."""
    activity = MessageActivityInput.model_validate(cards.message(said))
    ref = None
    if conversation is not None:
        ref = ConversationReference(service_url=conversation.service_url, channel_id="msteams",
                                    bot=Account(id=conversation.bot_id or ctx.activity.recipient.id),
                                    conversation=ConversationAccount(id=conversation.conversation_id))
    try:
        await ctx.send(activity, ref)
    except httpx.HTTPStatusError as error:
        log.warning("Teams did not take walkbot's answer: HTTP %d", error.response.status_code)
        if error.response.status_code == 429:
            return retry_after(error.response.headers.get("Retry-After"))
    except Exception as error:
        log.warning("Teams did not take walkbot's answer: %r", error)
    return None


def told(raw: Mapping[str, Any], sentence: str) -> Any:
    """A sentence as the answer an invoke expects: a dialog's message, or a message in place of the card's."""
    if raw.get("name") in ("task/fetch", "task/submit"):
        return task_message(sentence)
    return toast(sentence)


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
            sorry = str(error) if isinstance(error, WalkbotError) else SORRY  # Unavailable: "try again in a minute"
            if raw.get("type") == "message":
                await send(ctx, card(sorry, tone=Tone.PROBLEM))
            elif raw.get("type") == "invoke":
                return told(raw, sorry)
            return None

    async def _activity(self, ctx: Any, raw: dict) -> Any:
        tenant = tenant_of(raw)
        kind = raw.get("type")
        if kind == "message":
            return await self.message(ctx, raw, tenant)
        if kind == "invoke":
            found = await self.sender(ctx, raw, tenant)
            if isinstance(found, str):
                return told(raw, found)
            return await self.answers.invoke(ctx, raw, found.school, found.staff_id)
        if kind == "installationUpdate":
            action = str(raw.get("action") or "")
            return await (self.installed(ctx, raw, tenant) if action.startswith("add")
                          else self.uninstalled(raw, tenant))
        if kind == "conversationUpdate":
            me = _mapping(raw.get("recipient")).get("id")
            if any(_mapping(m).get("id") == me for m in raw.get("membersAdded") or ()):
                return await self.installed(ctx, raw, tenant, welcome=False)
            if any(_mapping(m).get("id") == me for m in raw.get("membersRemoved") or ()):
                return await self.uninstalled(raw, tenant)
        return None

    # --- who is asking, and who they name -----------------------------------------------------------------------

    async def sender(self, ctx: Any, raw: Mapping[str, Any], tenant: str | None) -> Match | str:
        """Who sent this, at which school (tenancy.py); or the sentence saying why no one. Found in their personal
        chat, that chat is kept linked to them."""
        who, conversation_id = _mapping(raw.get("from")), _mapping(raw.get("conversation")).get("id")

        async def ask() -> Member | None:
            if not isinstance(conversation_id, str) or not isinstance(who.get("id"), str):
                return None
            return await member(ctx, conversation_id, who["id"])

        found = await self.tenancy.sender(tenant, who.get("aadObjectId"), ask, private=_is_personal(raw))
        if isinstance(found, Match) and tenant is not None and _is_personal(raw):
            await asyncio.to_thread(self._link, raw, found, tenant)
        return found

    def _link(self, raw: Mapping[str, Any], found: Match, tenant: str) -> None:
        """Their personal chat, stored linked to their staff id: the next activity needs no lookup, and notices
        reach them. Written only when what is stored differs."""
        reference, stored = _reference(raw, found.school, tenant, found.staff_id), found.conversation
        if reference is None or (stored is not None and (stored.conversation_id, stored.service_url, stored.chat_id)
                                 == (reference.conversation_id, reference.service_url, reference.chat_id)):
            return
        with self.uow_factory() as uow:
            uow.teams.save(reference)
            uow.notices.reached(reference.school_id, found.staff_id)  # what waited for this chat goes now
            uow.commit()

    async def mentioned(self, ctx: Any, raw: Mapping[str, Any], school: School, tenant: str) -> dict[str, str]:
        """The people a message mentions, by Teams id, as the command language names them: found on this school's
        list by their stored chat or object id, else by what the members API says of them."""
        me = _mapping(raw.get("recipient")).get("id")
        wanted: dict[str, str | None] = {}
        for entity in raw.get("entities") or ():
            who = _mapping(_mapping(entity).get("mentioned"))
            if _mapping(entity).get("type") == "mention" and isinstance(who.get("id"), str) and who["id"] != me:
                wanted.setdefault(who["id"], who.get("aadObjectId"))
        conversation = str(_mapping(raw.get("conversation")).get("id") or "").split(";")[0]
        # A personal chat has only its person in it: the staff team is asked about everyone else.
        places = [p for p in dict.fromkeys((None if _is_personal(raw) else conversation,
                                            school.teams.team_id if school.teams else None)) if p]
        known, asked = {}, 0
        for teams_id, aad in list(wanted.items())[:MENTIONS]:
            staff = await asyncio.to_thread(self.tenancy.colleague, school, tenant, teams_id, aad)
            for place in places if staff is None else ():
                if asked >= MEMBER_LOOKUPS:
                    break
                asked += 1
                said = await member(ctx, place, teams_id)
                if said is not None:
                    staff = await asyncio.to_thread(self.tenancy.colleague_by_email, school, said)
                    break
            if staff is not None:
                known[teams_id] = staff.mention
        return known

    # --- typed commands ---------------------------------------------------------------------------------------------

    async def message(self, ctx: Any, raw: Mapping[str, Any], tenant: str | None) -> None:
        personal = _is_personal(raw)
        if isinstance(raw.get("value"), Mapping) and not raw.get("text"):
            return None  # an Action.Submit on a card outside a dialog: walkbot's cards send none
        if not personal and not typed(raw)[1]:
            return None  # a channel's conversation, not said to walkbot
        found = await self.sender(ctx, raw, tenant)
        if isinstance(found, str):
            return await send(ctx, card(found))
        school, actor = found.school, found.staff_id
        text, _ = typed(raw, await self.mentioned(ctx, raw, school, tenant))
        said = await asyncio.to_thread(self._answer, text, school, actor)
        if personal:
            return await self._answer_them(ctx, said, school, actor)
        mine = await asyncio.to_thread(self._personal, school, actor)
        if mine is None:
            return await send(ctx, card(CHAT_ME))
        await self._answer_them(ctx, said, school, actor, mine)
        await send(ctx, card(ELSEWHERE))

    async def _answer_them(self, ctx: Any, said: Card, school: School, actor: str,
                           conversation: TeamsConversation | None = None) -> None:
        """The answer, in their personal chat; one Teams throttled goes through the outbox once Retry-After has
        passed (the dispatcher's way with a 429), so the work done is never left unsaid."""
        wait = await send(ctx, said, conversation)
        if wait is None:
            return

        def later() -> None:
            with self.uow_factory() as uow:
                uow.notices.add(Notice(school.id, NoticeKind.ANSWER, actor,
                                       self.walkbot.clock.now() + timedelta(seconds=wait), said))
                uow.commit()
        await asyncio.to_thread(later)

    def _answer(self, text: str, school: School, actor: str) -> Card:
        if text.lower() in HOME:
            return self.overview(school, actor)
        return self.walkbot.handle(command(text), school_id=school.id, actor=actor).card

    def overview(self, school: School, actor: str) -> Card:
        reply = self.walkbot.run(c.ShowOverview(school_id=school.id, actor=actor), school)
        return replies.overview_card(reply.result) if reply.ok else reply.card

    def _personal(self, school: School, actor: str) -> TeamsConversation | None:
        with self.uow_factory() as uow:
            return uow.teams.personal(school.id, actor)

    # --- installed and removed ----------------------------------------------------------------------------------------

    async def installed(self, ctx: Any, raw: Mapping[str, Any], tenant: str | None, *, welcome: bool = True) -> None:
        """For a person: found as any activity's sender is (their chat then stored, linked), and welcomed. In a team
        or group chat: stored for the school whose staff team it is, or whose staff list has the one who added it."""
        if _is_personal(raw):
            found = await self.sender(ctx, raw, tenant)
            if welcome:
                await send(ctx, card(found) if isinstance(found, str) else
                           await asyncio.to_thread(self.overview, found.school, found.staff_id))
            return None
        schools = await asyncio.to_thread(self.tenancy.schools, tenant)
        team = _mapping(_mapping(raw.get("channelData")).get("team")).get("id")
        school = next((s for s in schools if team and s.teams and s.teams.team_id == team), None)
        if school is None and len(schools) == 1:
            school = schools[0]
        if school is None and schools:
            found = await self.sender(ctx, raw, tenant)
            school = found.school if isinstance(found, Match) else None
        reference = _reference(raw, school, tenant) if school is not None and tenant is not None else None
        if reference is None:
            return None

        def keep() -> None:
            with self.uow_factory() as uow:
                uow.teams.save(reference)
                if school.teams and school.teams.channel_id:  # the staff channel's programmes, waiting for this team
                    uow.notices.reached(school.id, school.teams.channel_id)
                uow.commit()
        await asyncio.to_thread(keep)
        return None

    async def uninstalled(self, raw: Mapping[str, Any], tenant: str | None) -> None:
        """Forgotten by every school of the tenant that kept it (the person may be on no list any more)."""
        conversation_id = _mapping(raw.get("conversation")).get("id")
        schools = await asyncio.to_thread(self.tenancy.schools, tenant)
        if not schools or not isinstance(conversation_id, str):
            return None

        def forget() -> None:
            with self.uow_factory() as uow:
                for school in schools:
                    uow.teams.remove(school.id, conversation_id)
                uow.commit()
        await asyncio.to_thread(forget)
        return None
