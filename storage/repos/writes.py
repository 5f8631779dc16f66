"""The execution option that marks a statement as a write which is not an INSERT, UPDATE or DELETE itself (a
SELECT whose WITH writes): the unit of work begins a request part's savepoint before it (storage.uow)."""

WRITES = "walkbot_writes"
