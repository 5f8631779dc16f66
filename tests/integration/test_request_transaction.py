"""One transaction a request (storage.db.Store.request): each unit of work the use case opens is a part of it,
whose commit keeps its changes for the request's commit and whose leaving uncommitted undoes only its own. A part
that only reads costs no savepoint; one that writes, by the ORM or by a statement, can be undone alone once an
earlier part's changes are kept (or the request is careful). The first part to write begins none: left
uncommitted, it rolls the whole transaction back and marks the request spoiled, to be worked again carefully."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event, func, insert, select, update

from storage import Store
from storage.tables import DisposalRow

WHEN = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def _row(kind: str) -> DisposalRow:
    return DisposalRow(school_id=None, kind=kind, action="deleted", count=1, cause="retention", disposed_at=WHEN)


def _kinds(store: Store) -> list[str]:
    with store.uow() as uow:
        return sorted(uow.session.scalars(select(DisposalRow.kind)))


def _savepoints(store: Store) -> list[str]:
    said: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, text, *_: said.append(text) if "SAVEPOINT" in text else None)
    return said


def test_an_uncommitted_part_undoes_only_its_own_changes(store):
    with store.request() as request:
        with store.uow() as kept:
            kept.session.add(_row("visits"))
            kept.commit()
        with store.uow() as refused:  # a use case that wrote, then refused
            refused.session.add(_row("notes"))
            refused.session.flush()
            refused.session.execute(update(DisposalRow).where(DisposalRow.kind == "visits").values(count=9))
        with store.uow() as unsent:  # changes the ORM never sent are dropped too
            unsent.session.add(_row("records"))
        with store.uow() as by_statement:
            by_statement.session.execute(insert(DisposalRow), [dict(kind="inbox", action="deleted", count=1,
                                                                    cause="retention", disposed_at=WHEN)])
        request.commit()
    assert _kinds(store) == ["visits"]
    with store.uow() as uow:
        assert uow.session.scalar(select(DisposalRow.count)) == 1


def test_a_part_that_only_reads_begins_no_savepoint(store):
    said = _savepoints(store)
    with store.request() as request:
        with store.uow() as reading:
            reading.session.scalar(select(func.count()).select_from(DisposalRow))
        with store.uow() as reading_and_committing:
            reading_and_committing.session.scalar(select(func.count()).select_from(DisposalRow))
            reading_and_committing.commit()
        request.commit()
    assert said == []


def test_the_first_part_to_write_begins_no_savepoint_and_each_after_it_begins_one_once(store):
    said = _savepoints(store)
    with store.request() as request:
        with store.uow() as part:
            part.session.add(_row("visits"))
            part.session.flush()
            part.session.add(_row("notes"))
            part.commit()
        with store.uow() as emptied:
            emptied.session.execute(delete(DisposalRow).where(DisposalRow.kind == "notes"))
            emptied.session.execute(update(DisposalRow).values(count=2))
            emptied.commit()
        request.commit()
    assert [text.split()[0] for text in said] == ["SAVEPOINT", "RELEASE"]
    assert not request.spoiled and _kinds(store) == ["visits"]


@pytest.mark.parametrize("unsent", [False, True], ids=["sent", "never sent"])
def test_a_first_part_left_uncommitted_after_writing_rolls_the_request_back_and_spoils_it(store, unsent):
    said = _savepoints(store)
    with store.request() as request:
        with store.uow() as refused:
            refused.session.add(_row("visits"))
            if not unsent:
                refused.session.flush()
        assert request.spoiled
        with store.uow() as after:  # what comes after it sees nothing of it
            assert after.session.scalar(select(func.count()).select_from(DisposalRow)) == 0
        request.commit()
    assert said == [] and _kinds(store) == []


def test_in_a_careful_request_the_first_part_to_write_can_be_undone_alone(store):
    with store.uow() as uow:
        uow.session.add(_row("kept"))
        uow.commit()
    said = _savepoints(store)
    with store.request(careful=True) as request:
        with store.uow() as refused:
            refused.session.execute(update(DisposalRow).values(count=5))
            refused.session.add(_row("visits"))
        with store.uow() as kept:
            kept.session.add(_row("notes"))
            kept.commit()
        request.commit()
    assert [text.split()[0] for text in said] == ["SAVEPOINT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
    assert not request.spoiled and _kinds(store) == ["kept", "notes"]
    with store.uow() as uow:
        assert uow.session.scalars(select(DisposalRow.count)).all() == [1, 1]


def test_nothing_is_kept_unless_the_request_commits(store):
    with store.request():
        with store.uow() as part:
            part.session.add(_row("visits"))
            part.commit()
    assert _kinds(store) == []


def test_a_visit_written_with_its_visitors_in_one_statement_is_undone_with_its_part(store, demo_config):
    from bot.domain.model import Visit, VisitKind
    from storage.tables import VisitRow, VisitVisitorRow

    with store.uow() as uow:
        school = uow.schools.save(demo_config)
        uow.commit()
    visit = Visit(id=None, school_id=school.id, teacher="U03TOM", visitors=("U01HEAD", "U04AMY", "U01HEAD"),
                  proposer="U01HEAD", kind=VisitKind.FORMAL, start=WHEN, minutes=30)
    with store.request() as request:
        with store.uow() as kept:
            added = kept.visits.add(visit)
            assert kept.visits.get(school.id, added.id).visitors == ("U01HEAD", "U04AMY")
            kept.commit()
        with store.uow() as refused:
            refused.visits.add(visit)
        request.commit()
    with store.uow() as uow:
        assert uow.session.scalars(select(VisitRow.id)).all() == [added.id]
        assert uow.session.scalars(select(VisitVisitorRow.chat_id).order_by(VisitVisitorRow.position)).all() == [
            "U01HEAD", "U04AMY"]
