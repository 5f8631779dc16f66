"""The floor to compare walkbot's Teams endpoint with: a microsoft-teams-apps App whose handlers only answer with
a fixed text, built and served as `walkbot teams serve` builds and serves walkbot's (the same SDK options, token
callable and cloud, walkbot's ASGI adapter with its checks, uvicorn on loopback), so the difference between the two
is what walkbot itself does with an activity.

    python -m bench.bare_teams --cloud JSON --port 3979   (TEAMS_APP_ID, TEAMS_APP_SECRET, TEAMS_TENANT_ID)
"""
from __future__ import annotations

import argparse
import asyncio

import uvicorn

from bench.teams_serve import cloud_of
from handlers.teams.app import sdk  # the SDK as walkbot imports it: no `.env` read
from handlers.teams.auth import ClientCredentialsToken
from handlers.teams.server import MESSAGES_PATH, TeamsHttp
from handlers.teams.settings import TeamsSettings
from microsoft_teams.api import AdaptiveCardActionMessageResponse

# Names visit #1, so that the Agree the benchmark sends after a proposal reaches this bot too, as an invoke.
REPLY = "Done: visit #1."


def bare_app(settings: TeamsSettings, cloud) -> tuple[object, TeamsHttp]:
    # As handlers.teams.app.build_teams builds walkbot's App, less walkbot.
    token = ClientCredentialsToken(client_id=settings.app_id or "", client_secret=settings.app_secret or "",
                                   login_endpoint=cloud.login_endpoint,
                                   default_tenant=settings.tenant_id or cloud.login_tenant)
    http = TeamsHttp(issuer=cloud.token_issuer)
    app = sdk.App(client_id=settings.app_id, tenant_id=settings.tenant_id, token=token, cloud=cloud,
                  http_server_adapter=http, messaging_endpoint=MESSAGES_PATH, state=False, fetch_user_token=False,
                  telemetry={"agent365": False})

    @app.on_message
    async def reply(ctx) -> None:
        await ctx.send(REPLY)

    @app.on_card_action
    async def answer(ctx) -> AdaptiveCardActionMessageResponse:
        return AdaptiveCardActionMessageResponse(value=REPLY)

    asyncio.run(app.initialize())
    return app, http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", required=True, help="the stand-in's CloudEnvironment, as JSON")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    _, http = bare_app(TeamsSettings.from_env(), cloud_of(args.cloud))
    config = uvicorn.Config(http, host="127.0.0.1", port=args.port, lifespan="off", server_header=False)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
