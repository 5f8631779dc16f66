"""SQLAlchemy storage behind bot.ports: `open_store(url).uow()`."""
from storage.db import Store, open_store
from storage.migrate import migrate

__all__ = ["Store", "migrate", "open_store"]
