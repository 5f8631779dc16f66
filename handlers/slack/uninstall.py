"""A workspace that uninstalls walkbot, or revokes its tokens, leaves none stored: Slack's `app_uninstalled` and
`tokens_revoked` events delete that workspace's rows from the OAuth installation store (handlers.slack.oauth) at once,
in one transaction, rather than at the next purge. With a single workspace's token (SLACK_BOT_TOKEN) nothing is
stored, and there is nothing to delete: the operator removes the token from the environment.
"""
from __future__ import annotations

import logging

from slack_bolt import App
from sqlalchemy import and_

log = logging.getLogger("walkbot.slack")


def register(app: App) -> None:
    store = app.installation_store  # Bolt's: given, or the OAuth settings' own; None with a single token

    def forget(team_id: str | None, enterprise_id: str | None, *, bot: bool, users: list[str]) -> None:
        if store is None:
            log.info("workspace %s revoked walkbot's tokens; none are stored here (a token from the environment)",
                     team_id)
            return
        with store.engine.begin() as conn:
            for found in (store.bots, store.installations) if bot else ():
                conn.execute(found.delete().where(and_(found.c.client_id == store.client_id,
                                                       found.c.enterprise_id == enterprise_id,
                                                       found.c.team_id == team_id)))
            if users:
                found = store.installations
                conn.execute(found.delete().where(and_(found.c.client_id == store.client_id,
                                                       found.c.enterprise_id == enterprise_id,
                                                       found.c.team_id == team_id, found.c.user_id.in_(users))))
        log.info("workspace %s: walkbot's stored tokens deleted (%s)", team_id,
                 "the app was uninstalled or its bot token revoked" if bot else f"{len(users)} user token(s) revoked")

    @app.event("app_uninstalled")
    def app_uninstalled(body: dict, context) -> None:
        forget(context.team_id, context.enterprise_id, bot=True, users=[])

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict, context) -> None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        users = [u for u in tokens.get("oauth") or () if isinstance(u, str)]
        # The installation row holds the bot token too: revoking the bot's removes the workspace's every row.
        forget(context.team_id, context.enterprise_id, bot=bool(tokens.get("bot")), users=users)
