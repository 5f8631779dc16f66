"""The Teams app package (handlers/teams/package.py): valid by Microsoft's published manifest schema, and
asking for no more than walkbot needs.

The schema is a copy of Microsoft's v1.29 (tests/data/teams/MicrosoftTeams.schema.json, MIT, licence beside it),
so CI needs no network: every $ref in it is local, and none is fetched. It declares draft-04 but uses const,
if and then (newer drafts) too; it is checked as it declares, and again as draft-07 so those hold as well.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from handlers.teams import package

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/teams/MicrosoftTeams.schema.json").read_text(encoding="utf-8"))
BOT = "0D2C6A5E-1A2B-4C3D-8E9F-0A1B2C3D4E5F"
COMMON = {"propose", "list", "limits", "help", "home"}


def refs(node):
    if isinstance(node, dict):
        yield from ([node["$ref"]] if isinstance(node.get("$ref"), str) else [])
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def valid(manifest: dict) -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    # Validated against its meta-schema without format checks: its patterns use \p{L}, which Python's re lacks.
    jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA).validate(SCHEMA)
    assert all(ref.startswith("#") for ref in refs(SCHEMA))  # offline: nothing to fetch
    jsonschema.Draft4Validator(SCHEMA).validate(manifest)
    jsonschema.Draft7Validator(SCHEMA).validate(manifest)  # const, if, then as well


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    out = package.write_package(tmp_path_factory.mktemp("teams") / "walkbot.zip", app_id=package.teams_app_id(BOT),
                                bot_id=BOT, name="walkbot", domain="walkbot.school.example")
    with zipfile.ZipFile(out) as zipped:
        assert zipped.testzip() is None
        return {info.filename: zipped.read(info) for info in zipped.infolist()}


def test_the_package_holds_exactly_the_manifest_and_its_two_icons(built):
    assert sorted(built) == ["color.png", "manifest.json", "outline.png"]  # at the root, nothing else


def test_the_manifest_is_valid_by_microsofts_schema_v1_29(built):
    manifest = json.loads(built["manifest.json"])
    valid(manifest)
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["$schema"] == ("https://developer.microsoft.com/en-us/json-schemas/teams/v1.29/"
                                   "MicrosoftTeams.schema.json")
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_manifest_asks_for_the_least_walkbot_needs(built):
    manifest = json.loads(built["manifest.json"])
    [bot] = manifest["bots"]
    assert bot["botId"] == BOT.lower() and bot["scopes"] == ["personal", "team"]
    assert not bot["supportsFiles"] and not bot["isNotificationOnly"]
    for scope in ("personal", "team"):  # the common commands, offered in both scopes, as Teams takes them
        offered = {c["title"] for lists in bot["commandLists"] if scope in lists["scopes"] for c in lists["commands"]}
        assert offered == COMMON, scope
    for unneeded in ("authorization", "permissions", "devicePermissions", "webApplicationInfo", "staticTabs",
                     "configurableTabs", "composeExtensions", "connectors"):
        assert unneeded not in manifest, unneeded  # no RSC, no Graph, no SSO, no tabs
    assert manifest["validDomains"] == ["walkbot.school.example"]
    assert manifest["id"] == package.teams_app_id(BOT) != BOT.lower()


def test_the_icons_are_the_sizes_teams_requires_and_the_outline_white_on_transparent(built):
    color = Image.open(io.BytesIO(built["color.png"]))
    assert color.format == "PNG" and color.size == (192, 192)
    outline = Image.open(io.BytesIO(built["outline.png"]))
    assert outline.format == "PNG" and outline.size == (32, 32) and outline.mode == "RGBA"
    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert all(rgb == [255, 255, 255] for *rgb, alpha in pixels if alpha)  # white wherever anything shows
    assert any(alpha == 0 for *_, alpha in pixels) and any(alpha == 255 for *_, alpha in pixels)
    assert [outline.getpixel(corner)[3] for corner in ((0, 0), (31, 0), (0, 31), (31, 31))] == [0, 0, 0, 0]
    assert color.convert("RGB").getcolors(192 * 192)[2:]  # more than two colours: the glyph on the accent


def test_the_same_inputs_make_the_same_package(tmp_path):
    first, second = (package.write_package(tmp_path / name, app_id=BOT, bot_id=BOT, name="walkbot",
                                           domain="walkbot.school.example") for name in ("a.zip", "b.zip"))
    assert first.read_bytes() == second.read_bytes()


def test_the_command_writes_a_package_with_defaults_a_school_can_keep(tmp_path, capsys):
    out = tmp_path / "out" / "walkbot-teams.zip"
    assert package.main(["--out", str(out), "--app-id", BOT, "--domain", "walkbot.school.example"]) == 0
    assert "Upload" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    valid(manifest)
    assert manifest["name"]["short"] == "walkbot" and manifest["version"] == "1.0.0"
    assert manifest["developer"]["websiteUrl"] == "https://walkbot.school.example/"
    assert package.main(["--out", str(out), "--app-id", BOT, "--developer-url", "https://school.example/",
                         "--name", "Visits", "--teams-app-id", BOT, "--version", "1.2.3"]) == 0
    with zipfile.ZipFile(out) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
    valid(manifest)
    assert manifest["validDomains"] == [] and manifest["id"] == BOT.lower() and manifest["name"]["short"] == "Visits"


@pytest.mark.parametrize("argv", [["--app-id", "not-a-guid"], [], ["--app-id", BOT, "--domain", "https://x.example"],
                                  ["--app-id", BOT], ["--app-id", BOT, "--domain", "w.example", "--version", "1.0"],
                                  ["--app-id", BOT, "--domain", "w.example", "--name", "x" * 31],
                                  ["--app-id", BOT, "--developer-url", "http://plain.example/"]])
def test_the_command_refuses_what_teams_would(tmp_path, argv, capsys):
    out = tmp_path / "p.zip"
    try:
        code = package.main(["--out", str(out), *argv])
    except SystemExit as exit_:  # argparse: a missing or malformed argument
        code = exit_.code
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err
