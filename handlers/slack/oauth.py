"""Installing walkbot into many workspaces by OAuth.

slack_sdk's installation and state stores keep their rows in walkbot's own database (the tables
come from migration 0002, never from create_all), and every credential column is encrypted at
rest with WALKBOT_SECRET_KEY: a copied database or backup holds no usable token.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from sqlalchemy import Engine, Table, Text
from sqlalchemy.types import TypeDecorator

from handlers.slack.settings import KEY_HELP, SettingsError, SlackSettings

log = logging.getLogger("walkbot.slack")

# What walkbot asks a workspace for; manifest.yml must list exactly these (tests/test_manifest.py
# says why each is needed).
BOT_SCOPES = ("commands", "chat:write", "files:write", "im:history")
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install link works for ten minutes

# Columns of slack_sdk's tables that hold something that acts as a credential.
SEALED_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")


def token_cipher(secret_key: str) -> MultiFernet:
    """WALKBOT_SECRET_KEY: one Fernet key, or several separated by commas to rotate keys: the first
    encrypts, any of them decrypts."""
    try:
        return MultiFernet([Fernet(key.strip()) for key in secret_key.split(",") if key.strip()])
    except ValueError:
        raise SettingsError(f"WALKBOT_SECRET_KEY is not a Fernet key (or comma-separated keys). Make one with: "
                            f"{KEY_HELP}") from None


class Sealed(TypeDecorator[str]):
    """Text encrypted on the way into the database and decrypted on the way out."""

    impl = Text  # ciphertext is longer than the token; slack_sdk's String(200) would cut it on PostgreSQL
    cache_ok = True

    def __init__(self, cipher: MultiFernet):
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.cipher.decrypt(value.encode()).decode()
        except InvalidToken:
            raise Undecryptable("A stored Slack token cannot be decrypted with WALKBOT_SECRET_KEY. If the key "
                                "was changed, put the new key first and the old one after it, comma-separated."
                                ) from None


class Undecryptable(SettingsError):
    """A stored credential that WALKBOT_SECRET_KEY cannot open: the key is not the one it was sealed with."""


class KeyCheckedAuthorize(InstallationStoreAuthorize):
    """Bolt's lookup of a workspace's bot token, except that an installation the key cannot open is not taken
    for a missing one (Bolt's answer to that tells staff to reinstall, which would not help and is not theirs to
    do). It is logged as the key's fault, without the token, and raised: the app's error answer tells the person
    that something went wrong on walkbot's side and that nothing was changed."""

    def __call__(self, *, context, enterprise_id, team_id, **rest):
        found = super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id, **rest)
        if found is None:  # not installed, or not readable: Bolt swallows why, so look once more (rare)
            try:
                self.installation_store.find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                                 is_enterprise_install=context.is_enterprise_install)
            except Undecryptable:
                log.error("the stored Slack installation of workspace %s could not be decrypted with the configured "
                          "WALKBOT_SECRET_KEY: walkbot cannot act there until the key it was stored with is given "
                          "(rotating keys: the new key first, the old after it, comma-separated); nothing was "
                          "changed", team_id)
                raise
        return found


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store, unchanged except that credentials are sealed.

    Sealing at the column type keeps all of slack_sdk's queries and its find/save logic as they
    are: they only ever see plaintext, the database only ever sees ciphertext.
    """

    def __init__(self, *, client_id: str, engine: Engine, cipher: MultiFernet):
        super().__init__(client_id=client_id, engine=engine)
        for table in (self.installations, self.bots):
            _seal(table, Sealed(cipher))


def _seal(table: Table, sealed: Sealed) -> None:
    # The tables are this instance's own (slack_sdk builds a fresh MetaData per store), and no
    # statement has been compiled yet, so swapping the type here is safe.
    for column in table.columns:
        if column.name in SEALED_COLUMNS:
            column.type = sealed


def oauth_settings(*, settings: SlackSettings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth flow over `engine` (walkbot's database): /slack/install and /slack/oauth_redirect."""
    oauth = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=EncryptedInstallationStore(
            client_id=settings.client_id, engine=engine, cipher=token_cipher(settings.secret_key or "")),
        # walkbot acts only as its bot user, never with a person's token.
        installation_store_bot_only=True,
        state_store=PurgingStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )
    oauth.authorize = KeyCheckedAuthorize(
        logger=log, client_id=oauth.client_id, client_secret=oauth.client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        installation_store=oauth.installation_store, bot_only=True, user_token_resolution=oauth.user_token_resolution)
    return oauth


class PurgingStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, which deletes a state only when it is used: anyone may open the install page, so
    each new state also clears those past their time, and the table holds at most what ten minutes bring."""

    def issue(self, *args, **kwargs) -> str:
        with self.engine.begin() as conn:
            conn.execute(self.oauth_states.delete().where(
                self.oauth_states.c.expire_at <= normalize_datetime_for_db(datetime.now(tz=UTC))))
        return super().issue(*args, **kwargs)
