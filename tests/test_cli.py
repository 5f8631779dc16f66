"""The `walkbot` command line: policy tables and loading a school.yml."""
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
