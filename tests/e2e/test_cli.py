"""The `walkbot` command line: policy tables and loading a school.yml."""
import json
import zipfile

import pytest

from bot.domain.policy import PRESET_IDS
from handlers.cli import main


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_policy_show_prints_every_rule_with_its_source(capsys, preset_id):
    assert main(["policy", "show", preset_id]) == 0
    out = capsys.readouterr().out
    assert f"[{preset_id}]" in out
    assert "Observations per teacher per session" in out and "Who may visit" in out
    assert "LOCAL DEFAULT" in out  # every agreement leaves something to local agreement
    assert '§' in out or "Principles" in out or "Conduct" in out


def test_policy_show_lists_the_presets(capsys):
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    assert all(preset_id in out for preset_id in PRESET_IDS)


def test_durants_table_pins_the_observation_cap(capsys):
    main(["policy", "show", "durants-learning-walks"])
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("Observations per teacher"))
    assert " 3 " in line and "§9" in line


def test_loading_a_school_twice_updates_and_never_duplicates(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'w.db'}"
    school = tmp_path / "school.yml"
    from importlib import resources
    school.write_text(resources.files("bot").joinpath("demo/school.yml").read_text())
    assert main(["load", str(school), "--db", db]) == 0
    school.write_text(school.read_text().replace("Tom Baker", "Tom Baker-Jones"))
    assert main(["load", str(school), "--db", db]) == 0
    assert "Loaded Durants Demo School (key demo, policy durants-learning-walks)." in capsys.readouterr().out
    from storage import open_store
    store = open_store(db)
    with store.uow() as uow:
        sid = uow.schools.by_key("demo").id
        staff = uow.staff.all(sid)
    store.close()
    assert len(staff) == 7
    assert [s.name for s in staff if s.chat_id == "U03TOM"] == ["Tom Baker-Jones"]


def test_a_broken_school_file_is_explained_not_traced(tmp_path, capsys):
    bad = tmp_path / "school.yml"
    bad.write_text("school:\n  name: X\n  policy: no-such-preset\nsessions: []\n")
    assert main(["load", str(bad), "--db", f"sqlite:///{tmp_path / 'w.db'}"]) == 2
    err = capsys.readouterr().err
    assert "There is no policy preset 'no-such-preset'" in err and "Traceback" not in err


# --- a school's identity: its key --------------------------------------------------------------

from contextlib import contextmanager  # noqa: E402
from importlib import resources  # noqa: E402

from bot.chat.router import Walkbot  # noqa: E402
from handlers.console import Console  # noqa: E402
from storage import open_store  # noqa: E402

DEMO_TEXT = resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8")
UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/none"


def school_file(tmp_path, filename: str, *, key: str | None, name: str = "St Mary's Primary",
                team: str | None = "T0DEMO", ids: str = "U0") -> str:
    """The demo school.yml under another key, name, Slack workspace and (ids="U9") other staff ids."""
    text = DEMO_TEXT.replace("  key: demo\n", f"  key: {key}\n" if key else "")
    text = text.replace("name: Durants Demo School", f'name: "{name}"').replace("U0", ids)
    text = text.replace("slack_team_id: T0DEMO", f"slack_team_id: {team}" if team else "")
    path = tmp_path / filename
    path.write_text(text)
    return str(path)


@contextmanager
def chat_at(url: str, key: str, clock, as_: str):
    store = open_store(url)
    try:
        with store.uow() as uow:
            school = uow.schools.by_key(key)
            actor = uow.staff.find(school.id, as_)
        yield Console(bot=Walkbot(uow_factory=store.uow, clock=clock), store=store, school=school, clock=clock,
                      actor=actor)
    finally:
        store.close()


def schools_in(url: str) -> dict[str, tuple[str, str | None, int]]:
    """key: (name, slack_team_id, active staff) of every school stored."""
    store = open_store(url)
    try:
        with store.uow() as uow:
            return {s.key: (s.name, s.slack_team_id, len(uow.staff.all(s.id))) for s in uow.schools.all()}
    finally:
        store.close()


def test_two_schools_of_one_name_stay_two_and_apart(store_url, tmp_path, capsys, clock):
    york = school_file(tmp_path, "york.yml", key="st-marys-york", team="T0YORK")
    leeds = school_file(tmp_path, "leeds.yml", key="st-marys-leeds", team="T0LEEDS", ids="U9")
    assert main(["load", york, "--db", store_url]) == 0
    with chat_at(store_url, "st-marys-york", clock, "@sam") as chat:
        assert chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "chat after school"').startswith("Proposed #1")
    assert main(["load", leeds, "--db", store_url]) == 0
    assert schools_in(store_url) == {"st-marys-york": ("St Mary's Primary", "T0YORK", 7),
                                     "st-marys-leeds": ("St Mary's Primary", "T0LEEDS", 7)}
    with chat_at(store_url, "st-marys-leeds", clock, "@rachel") as chat:  # the other school's head
        assert "#1" not in chat.say("/visit list")
        assert "There is no visit #1" in chat.say("/visit show 1")
    with chat_at(store_url, "st-marys-york", clock, "@rachel") as chat:
        assert "Tom Baker" in chat.say("/visit show 1")


def test_a_school_file_without_a_key_is_refused_and_nothing_is_written(tmp_path, capsys):
    db = tmp_path / "w.db"
    assert main(["load", school_file(tmp_path, "school.yml", key=None), "--db", f"sqlite:///{db}"]) == 2
    err = capsys.readouterr().err
    assert "line 3: school.key is missing: add one, e.g. `key: st-mary-s-primary`" in err and "Traceback" not in err
    assert not db.exists()  # the file is checked in full before the database is opened


def test_renaming_a_school_keeps_it_its_staff_and_their_allowances(store_url, tmp_path, capsys, clock):
    assert main(["load", school_file(tmp_path, "a.yml", key="st-marys", name="St Mary's Primary"),
                 "--db", store_url]) == 0
    with chat_at(store_url, "st-marys", clock, "@sam") as chat:
        chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "chat after school"')
        chat.say("as @tom")
        assert "agreed" in chat.say("/visit agree 1").lower()
        before = chat.say("/visit limits")
    assert "1 of 3 observations" in before
    assert main(["load", school_file(tmp_path, "b.yml", key="st-marys", name="St Mary's Catholic Primary"),
                 "--db", store_url]) == 0
    assert "Loaded St Mary's Catholic Primary (key st-marys" in capsys.readouterr().out
    assert schools_in(store_url) == {"st-marys": ("St Mary's Catholic Primary", "T0DEMO", 7)}
    with chat_at(store_url, "st-marys", clock, "@tom") as chat:
        assert chat.say("/visit limits") == before


@pytest.mark.parametrize("second", [dict(key="st-marys-leeds", ids="U9"),  # another school, the same workspace
                                    dict(key="st-marys-renamed", name="St Mary's C of E Primary")])  # a new key
def test_a_workspace_linked_to_another_key_is_refused_and_nothing_changes(store_url, tmp_path, capsys, second):
    assert main(["load", school_file(tmp_path, "a.yml", key="st-marys-york", team="T0ONE"), "--db", store_url]) == 0
    assert main(["load", school_file(tmp_path, "b.yml", team="T0ONE", **second), "--db", store_url]) == 2
    err = capsys.readouterr().err
    assert ("The Slack workspace T0ONE is already linked to another school, the one with key st-marys-york; "
            "nothing was changed.") in err
    assert "Traceback" not in err and "IntegrityError" not in err
    assert schools_in(store_url) == {"st-marys-york": ("St Mary's Primary", "T0ONE", 7)}


def test_every_problem_in_the_file_is_told_with_its_line(tmp_path, capsys):
    text = DEMO_TEXT.replace("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{name: Spring}")
    text = text.replace('P3: "11:10-12:10"', 'P3: "12:10-11:10"').replace("line_manager: U05SAM", "line_manager: U99")
    path = tmp_path / "school.yml"
    path.write_text(text)
    assert main(["load", str(path), "--db", f"sqlite:///{tmp_path / 'w.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"walkbot: {path} has 3 problems; nothing was loaded:\n")
    assert "  line 14: period P3 ends at 11:10" in err and "  line 24: term Spring of session 2026-27 has no start" \
        in err and "  line 37: the line_manager of Priya Shah, U99," in err
    assert not (tmp_path / "w.db").exists()


# --- the database out of reach -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["load", "bot/demo/school.yml"], ["notices"], ["notices", "--failed"],
                                     ["console"]])
def test_an_unreachable_database_is_said_plainly(command, capsys):
    assert main([*command, "--db", UNREACHABLE]) == 2
    err = capsys.readouterr().err
    assert err.startswith("walkbot: the database cannot be reached (connection failed:")
    assert "Check that the database server is running and accepting connections, and that --db or DATABASE_URL " \
           "gives its address (now postgresql+psycopg://postgres:***@127.0.0.1:1/none)" in err
    assert "s3cret" not in err and "Traceback" not in err


def test_an_unreachable_database_from_the_environment_is_said_plainly(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    assert main(["notices"]) == 2
    assert "the database cannot be reached" in capsys.readouterr().err


def test_a_sqlite_file_that_cannot_be_opened_is_said_plainly(tmp_path, capsys):
    assert main(["load", "bot/demo/school.yml", "--db", f"sqlite:///{tmp_path / 'no-such-folder' / 'w.db'}"]) == 2
    err = capsys.readouterr().err
    assert "the database cannot be reached (unable to open database file)" in err
    assert "its folder exists and walkbot may write there" in err and "Traceback" not in err


def test_a_database_url_of_no_known_kind_is_said_plainly(capsys):
    assert main(["notices", "--db", "nosuchdb://somewhere/x"]) == 2
    err = capsys.readouterr().err
    assert "is not a database URL walkbot can use" in err and "Traceback" not in err


def test_a_database_lost_midway_is_said_plainly(monkeypatch, capsys):
    from sqlalchemy import exc as sa_exc

    from bot.errors import Unavailable

    def lost(path):
        try:
            raise sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        except sa_exc.OperationalError as err:
            raise Unavailable("The school's records can't be reached just now.") from err

    monkeypatch.setattr("handlers.cli._school_config", lost)
    assert main(["load", "bot/demo/school.yml", "--db", UNREACHABLE]) == 2
    assert capsys.readouterr().err.startswith(
        "walkbot: the database cannot be reached (server closed the connection unexpectedly); nothing was changed.")


def test_walkbot_load_with_the_database_down_exits_non_zero_without_a_traceback(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "handlers.cli", "load", "bot/demo/school.yml", "--db", UNREACHABLE],
                          capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("walkbot: the database cannot be reached") and "Traceback" not in done.stderr


def test_walkbot_teams_package_writes_the_app_package(tmp_path):
    out = tmp_path / "walkbot-teams.zip"
    assert main(["teams", "package", "--out", str(out), "--app-id", "00000000-0000-0000-0000-000000000001",
                 "--domain", "walkbot.example.sch.uk"]) == 0
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["manifestVersion"] == "1.29" and manifest["validDomains"] == ["walkbot.example.sch.uk"]
    with pytest.raises(SystemExit) as refused:  # no --app-id: argparse says so and stops
        main(["teams", "package", "--out", str(tmp_path / "other.zip")])
    assert refused.value.code == 2 and not (tmp_path / "other.zip").exists()


def test_walkbot_teams_serve_will_not_start_without_the_bot_s_settings(monkeypatch, capsys):
    for name in ("TEAMS_APP_ID", "TEAMS_APP_SECRET", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["teams", "serve", "--port", "0"]) == 2
    assert "TEAMS_APP_ID is not set" in capsys.readouterr().err
