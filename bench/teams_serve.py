"""`walkbot teams serve`, run as the CLI runs it, with one thing changed: the Teams SDK's cloud (where walkbot
gets its own token, and the OpenID metadata and keys that inbound tokens are checked against) is the connector
stand-in's on loopback, as the tests give it in process. The CLI has no switch for that, as no deployment needs one.

    python -m bench.teams_serve --cloud JSON --port 3978
        (TEAMS_APP_ID, TEAMS_APP_SECRET, TEAMS_TENANT_ID, DATABASE_URL, as for walkbot teams serve)
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json

from handlers import cli


def cloud_arg(cloud) -> str:
    """A CloudEnvironment as --cloud takes it."""
    return json.dumps(dataclasses.asdict(cloud))


def cloud_of(given: str):
    from microsoft_teams.api.auth.cloud_environment import CloudEnvironment

    return CloudEnvironment(**json.loads(given))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", required=True, help="the stand-in's CloudEnvironment, as JSON")
    args, rest = parser.parse_known_args()
    from handlers.teams import server

    # server.main calls serve_teams by its module name: the command line runs unchanged, over this cloud.
    server.serve_teams = functools.partial(server.serve_teams, cloud=cloud_of(args.cloud))
    return cli.main(["teams", "serve", *rest])


if __name__ == "__main__":
    raise SystemExit(main())
