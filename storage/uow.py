"""The unit of work: one transaction, the repositories that share it, and what a lost database means."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.errors import Unavailable
from storage.repos import (
    SqlConcernRepo,
    SqlNoticeRepo,
    SqlObjectionRepo,
    SqlSchoolRepo,
    SqlStaffRepo,
    SqlVisitRepo,
    SqlWalkRepo,
)
from storage.repos.feeds import SqlCalendarFeedRepo
from storage.repos.glance import SqlGlanceRepo
from storage.repos.inbox import SqlInboxRepo
from storage.repos.reports import SqlReportRepo
from storage.repos.privacy import SqlPrivacyRepo
from storage.repos.teams import SqlTeamsConversationRepo
from storage.repos.timetable import SqlImportedStaffRepo, SqlTimetableRepo
from storage.repos.writes import WRITES

UNAVAILABLE = "The school's records can't be reached just now; nothing was changed. Please try again in a minute."


# PostgreSQL's classes of error that say the server, not the request, is the trouble: a read-only
# transaction or standby (25006), the connection (08), resources (53), an operator's shutdown (57P).
_SERVER_TROUBLE = ("25006", "08", "53", "57P")


def _unreachable(error: BaseException | None) -> bool:
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    state = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or state.startswith(_SERVER_TROUBLE)


class SqlAlchemyUnitOfWork:
    """`with store.uow() as uow: ...; uow.commit()` — anything not committed is rolled back on exit.

    A lost or locked database anywhere inside the block surfaces as bot.errors.Unavailable.
    """

    session: Session | None = None
    unreachable = False  # a unit of work that is part of this one (PartOfRequest) lost the database
    # A request's transaction (storage.db.Store.request): careful, every part that writes can be undone alone; else
    # only those after a part's changes were kept (see PartOfRequest). Spoiled: a part left uncommitted had written
    # with nothing to undo it but the whole transaction, which it then rolled back: the request is to be worked again.
    careful = False
    spoiled = False
    kept_changes = False  # a part of this request committed changes, which a later part's failure must not undo

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self.session is not None:
            # A nested `with` would start a second transaction that waits for the first one's locks.
            raise RuntimeError("this unit of work is already open; pass it on rather than entering it again")
        self.session = self._sessions()
        self._repos()
        return self

    def _repos(self) -> None:
        self.schools = SqlSchoolRepo(self.session)
        self.staff = SqlStaffRepo(self.session)
        self.visits = SqlVisitRepo(self.session)
        self.walks = SqlWalkRepo(self.session)
        self.notices = SqlNoticeRepo(self.session)
        self.concerns = SqlConcernRepo(self.session)
        self.objections = SqlObjectionRepo(self.session)
        self.teams = SqlTeamsConversationRepo(self.session)
        self.privacy = SqlPrivacyRepo(self.session)
        self.feeds = SqlCalendarFeedRepo(self.session)
        self.timetable = SqlTimetableRepo(self.session)
        self.imported_staff = SqlImportedStaffRepo(self.session)
        self.reports = SqlReportRepo(self.session)
        self.inbox = SqlInboxRepo(self.session)
        self.glance = SqlGlanceRepo(self.session)

    def __exit__(self, exc_type, error, tb) -> None:
        session, self.session = self.session, None
        try:
            session.close()  # rolls back whatever was not committed
        except Exception as close_error:
            if error is None:  # otherwise the first failure is the one to report
                error = close_error
                if not _unreachable(error):
                    raise
        if _unreachable(error):
            raise Unavailable(UNAVAILABLE) from error

    def commit(self) -> None:
        self.session.commit()


class PartOfRequest(SqlAlchemyUnitOfWork):
    """A unit of work inside a request's one transaction (storage.db.Store.request): its commit keeps its
    changes for the request's own commit, and leaving it uncommitted undoes only its changes.

    The undoing is a savepoint, begun only as the part first writes (watch_writes): most parts only read, and
    a savepoint costs two round trips to begin and end. Nor does the first part to write begin one, unless the
    request is careful: before it nothing was written that must be kept, so should it be left uncommitted the
    whole transaction is rolled back, the request marked spoiled, and the inbox works it again carefully. A part
    that fails after writing is rare (a bug, or a use case refusing after it wrote), a savepoint in every request
    that writes is not."""

    def __init__(self, request: SqlAlchemyUnitOfWork):
        super().__init__(None)
        self._request = request
        self._part: SessionTransaction | None = None
        self._bare = False  # writing with no savepoint: only rolling the whole transaction back undoes it

    def __enter__(self) -> PartOfRequest:
        if self.session is not None:
            raise RuntimeError("this unit of work is already open; pass it on rather than entering it again")
        self.session = self._request.session
        self._repos()
        self.session.info[_PART] = self
        return self

    def writing(self) -> None:
        """About to write: from here on, what this part writes can be undone (alone, or with the transaction)."""
        if self._part is None and not self._bare:
            if self._request.careful or self._request.kept_changes:
                self._part = self.session.begin_nested()
            else:
                self._bare = True

    def __exit__(self, exc_type, error, tb) -> None:
        session = self.session
        try:
            if self._part is None and not self._bare and (session.new or session.dirty or session.deleted):
                if self._request.careful or self._request.kept_changes:
                    session.flush()  # changes never sent: sent inside a savepoint (writing), to be undone with it
                else:
                    self._bare = True  # nothing before them is to be kept: the transaction's rollback drops them
            if self._bare:
                # Written with nothing but the transaction to undo it: undone with it, and the request worked
                # again, carefully (handlers.inbox), so that nothing the parts after this one do is lost.
                self._request.spoiled = True
                session.rollback()
            elif self._part is not None and self._part.is_active:
                self._part.rollback()
        except Exception as rollback_error:
            if error is None:
                error = rollback_error
                if not _unreachable(error):
                    raise
        finally:
            self._part, self._bare, self.session = None, False, None
            session.info.pop(_PART, None)
        if _unreachable(error):
            # The request's transaction is lost with its connection, whatever the use case makes of this.
            self._request.unreachable = True
            raise Unavailable(UNAVAILABLE) from error

    def commit(self) -> None:
        if self.session.new or self.session.dirty or self.session.deleted:
            self.session.flush()  # as a commit would: kept for the request's own commit
        if self._part is not None or self._bare:
            self._request.kept_changes = True  # from here on, a part that writes can be undone alone
        if self._part is not None:
            self._part.commit()
        self._part, self._bare = None, False


_PART = "walkbot_part"  # Session.info key: the part of a request now open on that session


def watch_writes(sessions: sessionmaker[Session]) -> None:
    """Begin an open part's savepoint before the first statement that writes, by the ORM's flush or by a
    DML statement, or one marked as writing (storage.repos.writes): storage's repositories write no other way."""

    def before_flush(session: Session, _context, _instances) -> None:
        if (part := session.info.get(_PART)) is not None:
            part.writing()  # the flush is under way, so the savepoint does not flush again

    def before_statement(state) -> None:
        writes = state.is_insert or state.is_update or state.is_delete or state.execution_options.get(WRITES)
        if writes and (part := state.session.info.get(_PART)) is not None and part._part is None:
            if state.session.new or state.session.dirty or state.session.deleted:
                state.session.flush()  # the pending changes too belong after the savepoint (before_flush)
            part.writing()

    event.listen(sessions, "before_flush", before_flush)
    event.listen(sessions, "do_orm_execute", before_statement)
