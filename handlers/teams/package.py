"""The Teams app package: what a school's Teams admin uploads (Teams admin center → Teams apps → Manage apps
→ Upload) so walkbot appears in Teams. A zip of exactly manifest.json (app manifest schema v1.29), color.png
(192×192) and outline.png (32×32, white on transparent, as Teams requires).

Least permissions: the bot alone, in personal chats and in teams (scopes personal and team). No tabs, no
message extensions, no resource-specific consent, no Graph permission (people are chosen from walkbot's
staff list, not from Graph), no webApplicationInfo (no single sign-on: Teams tells the bot who is
speaking), no supportsFiles. validDomains holds walkbot's own host when it is given, nothing else.

    walkbot teams package --out walkbot-teams.zip --app-id 00000000-0000-0000-0000-000000000000 \\
        --domain walkbot.school.example
"""
from __future__ import annotations

import argparse
import io
import json
import re
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw

MANIFEST_VERSION = "1.29"
MANIFEST_SCHEMA = ("https://developer.microsoft.com/en-us/json-schemas/teams/"
                   f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json")
FILES = ("manifest.json", "color.png", "outline.png")
COLOR_SIZE, OUTLINE_SIZE = 192, 32
ACCENT = "#2E6B4F"
SCOPES = ["personal", "team"]
# The commands Teams suggests as a person starts typing to walkbot, as Teams takes them (no slash).
COMMANDS = (
    ("propose", "Propose a visit to a colleague's class"),
    ("list", "Your visits, and what awaits your answer"),
    ("limits", "The allowance used against each cap of your agreement"),
    ("home", "Everything that awaits you, in one card"),
    ("help", "Every command, and how to say it"),
)
SHORT = "Book classroom visits, exactly as your staff agreement says."
FULL = ("walkbot books classroom visits and learning walks in chat. A visit is proposed to the class teacher, "
        "who agrees, suggests another time or declines; walkbot checks each request against your school's "
        "staff agreement (notice, caps, protected times) and quotes the clause when it says no. Reminders, "
        "feedback dialogues and records of dialogue follow, as the agreement says.")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HOST = re.compile(r"(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def teams_app_id(bot_id: str) -> str:
    """The Teams app's own id when none is given: derived from the bot's, so each rebuilt package is an update
    of the same app, not a second one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"walkbot:teams-app:{bot_id.lower()}"))


def manifest(*, app_id: str, bot_id: str, name: str = "walkbot", domain: str | None = None,
             developer: str = "walkbot", website_url: str | None = None, privacy_url: str | None = None,
             terms_url: str | None = None, version: str = "1.0.0", accent: str = ACCENT) -> dict:
    for label, guid in (("app id", app_id), ("bot id", bot_id)):
        if not _GUID.fullmatch(guid or ""):
            raise ValueError(f"The {label} must be a GUID (like 0d2c6a5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f), not {guid!r}.")
    if domain is not None and not _HOST.fullmatch(domain):
        raise ValueError(f"The domain is a host name alone (walkbot.school.example), not {domain!r}.")
    website_url = website_url or (f"https://{domain}/" if domain else None)
    if not website_url:
        raise ValueError("Give the host walkbot is served from (--domain) or a developer website (--developer-url).")
    for url in (website_url, privacy_url, terms_url):
        if url is not None and not re.match(r"https://[^\s/]+", url):
            raise ValueError(f"{url!r} is not an https:// address.")
    if not re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", version):
        raise ValueError(f"The app's version is MAJOR.MINOR.PATCH (1.0.0), not {version!r}.")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", accent):
        raise ValueError(f"The accent colour is #RRGGBB, not {accent!r}.")
    if not name.strip() or len(name) > 30:
        raise ValueError("The app's name takes 1 to 30 characters.")
    commands = [{"title": title, "description": said} for title, said in COMMANDS]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.lower(),
        "developer": {"name": developer[:32], "websiteUrl": website_url,
                      "privacyUrl": privacy_url or website_url, "termsOfUseUrl": terms_url or website_url},
        "name": {"short": name, "full": f"{name}: classroom visits by your staff agreement"[:100]},
        "description": {"short": SHORT, "full": FULL},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": accent,
        "bots": [{"botId": bot_id.lower(), "scopes": SCOPES, "supportsFiles": False, "isNotificationOnly": False,
                  "commandLists": [{"scopes": SCOPES, "commands": commands}]}],
        "validDomains": [domain] if domain else [],
        "defaultInstallScope": "personal",
    }


# --- icons ---------------------------------------------------------------------------------------------------

def _glyph(size: int, margin: float) -> Image.Image:
    """Two footprints, as a mask (255: the glyph), drawn large and scaled down so its edges are smooth."""
    big = size * 8
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    inner, offset = big * (1 - 2 * margin), big * margin

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (offset + x0 * inner, offset + y0 * inner, offset + x1 * inner, offset + y1 * inner)

    for dx, dy in ((0.0, 0.28), (0.5, 0.0)):  # the left foot lower, the right one a step ahead
        draw.ellipse(box(dx + 0.06, dy + 0.26, dx + 0.40, dy + 0.72), fill=255)  # the sole
        draw.ellipse(box(dx + 0.10, dy + 0.04, dx + 0.36, dy + 0.24), fill=255)  # the toes, as one pad
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def color_icon(accent: str = ACCENT) -> Image.Image:
    """192×192, full colour: the footprints in white on the accent colour."""
    icon = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), accent)
    icon.paste((255, 255, 255, 255), (0, 0), _glyph(COLOR_SIZE, 0.2))
    return icon


def outline_icon() -> Image.Image:
    """32×32: white on transparent, every pixel white and only its alpha varying (Teams' rule)."""
    icon = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (255, 255, 255, 0))
    icon.putalpha(_glyph(OUTLINE_SIZE, 0.08))
    return icon


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_package(out_path: str | Path, *, app_id: str, bot_id: str, name: str = "walkbot",
                  domain: str | None = None, **more: str) -> Path:
    """The zip a Teams admin uploads. `app_id`: the Teams app's id; `bot_id`: the Entra app (client) id the
    bot signs in with. `more`: developer, website_url, privacy_url, terms_url, version, accent."""
    found = manifest(app_id=app_id, bot_id=bot_id, name=name, domain=domain, **more)
    files = {"manifest.json": json.dumps(found, indent=2, ensure_ascii=False).encode() + b"\n",
             "color.png": _png(color_icon(found["accentColor"])), "outline.png": _png(outline_icon())}
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        for file in FILES:  # a fixed time: the same inputs make the same zip
            info = zipfile.ZipInfo(file, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16  # readable once unzipped
            package.writestr(info, files[file], compress_type=zipfile.ZIP_DEFLATED)
    return out


# --- the command ------------------------------------------------------------------------------------------------

def _guid(value: str) -> str:
    if not _GUID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a GUID (like 0d2c6a5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f)")
    return value


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="walkbot teams package", description="Write the Teams app package a school's Teams admin uploads.")
    found.add_argument("--out", required=True, type=Path, metavar="FILE.zip", help="where to write the package")
    found.add_argument("--app-id", required=True, type=_guid, metavar="ID",
                       help="the Entra app (client) id of walkbot's bot, as in its Azure Bot registration")
    found.add_argument("--teams-app-id", type=_guid, metavar="ID",
                       help="the Teams app's own id (default: derived from --app-id, the same on every rebuild)")
    found.add_argument("--name", default="walkbot", help="the app's name in Teams (default: walkbot)")
    found.add_argument("--domain", help="the host walkbot is served from, e.g. walkbot.school.example")
    found.add_argument("--developer", default="walkbot", help="who publishes the app (default: walkbot)")
    found.add_argument("--developer-url", help="the publisher's website (default: https://DOMAIN/)")
    found.add_argument("--privacy-url", help="the privacy notice (default: the developer website)")
    found.add_argument("--terms-url", help="the terms of use (default: the developer website)")
    found.add_argument("--version", default="1.0.0", help="the app's version; raise it for each update (default 1.0.0)")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        out = write_package(args.out, app_id=args.teams_app_id or teams_app_id(args.app_id), bot_id=args.app_id,
                            name=args.name, domain=args.domain, developer=args.developer,
                            website_url=args.developer_url, privacy_url=args.privacy_url, terms_url=args.terms_url,
                            version=args.version)
    except ValueError as err:
        print(f"walkbot teams package: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {out}: upload it in the Teams admin center (Teams apps → Manage apps → Upload).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
