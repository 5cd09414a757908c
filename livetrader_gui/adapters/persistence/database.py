"""Opening the database: checks before touching it, migrations, and the async engine.

``prepare_database`` blocks (file checks, Alembic): the app runs it in an executor, never on the
GUI thread. It refuses, with a message naming the file and the problem, any database it cannot
use safely, and it never deletes, recreates or overwrites one. Before migrating a database that
holds data it writes a backup copy next to it.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, exc, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_MAGIC = b"SQLite format 3\x00"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# The newest migration's revision (a test holds it to Alembic's head). An SQLite database
# already there opens without importing Alembic at all, which takes a third of a second.
SCHEMA_HEAD = "0006"
_T = TypeVar("_T")


class DatabaseError(Exception):
    """The database cannot be used; the message says which one, why, and what to do."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be opened (missing folder, no permission, bad URL, no driver)."""


class DatabaseReadOnlyError(DatabaseError):
    """The database (or its folder) cannot be written."""


class DatabaseCorruptError(DatabaseError):
    """The file is not an SQLite database, or it is damaged."""


class DatabaseTooNewError(DatabaseError):
    """The schema was written by a newer LiveTrader than this one."""


class ForeignDatabaseError(DatabaseError):
    """The database holds tables that are not LiveTrader's."""


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What ``prepare_database`` found and did."""

    url: str
    path: Path | None
    revision_before: str | None
    revision_after: str
    backup: Path | None

    @property
    def created(self) -> bool:
        """Tell whether the database was new."""
        return self.revision_before is None


def normalize_url(value: str) -> str:
    """Turn a database URL or a file path into an async SQLAlchemy URL."""
    raw = value.strip()
    if not raw:
        raise DatabaseUnavailableError("The database location is empty. Give a file path or a URL.")
    if "://" not in raw:
        return URL.create(
            "sqlite+aiosqlite", database=str(Path(raw).expanduser().resolve())
        ).render_as_string()
    try:
        url = make_url(raw)
    except exc.ArgumentError:
        raise DatabaseUnavailableError(
            f"'{raw}' is not a database URL. Use a file path or, for example, "
            "sqlite:///path/to/livetrader.db"
        ) from None
    driver = _ASYNC_DRIVERS.get(url.drivername, url.drivername)
    return url.set(drivername=driver).render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """Return the file behind an SQLite URL, or None for other databases and memory."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def migration_config(url: str, connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for *url*, sharing *connection* if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    # The migrations ship with the code and cannot change while it runs: read them once.
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migration_config("sqlite://"))


def head_revision() -> str:
    """Return the newest schema revision this version of LiveTrader knows."""
    head = _scripts().get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def _known_revisions() -> set[str]:
    return {rev.revision for rev in _scripts().walk_revisions()}


# --------------------------------------------------------------------------- SQLite file checks


def _check_folder_writable(folder: Path, database: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise DatabaseReadOnlyError(
            f"The folder of the database {database} cannot be written ({error.strerror}). "
            "SQLite needs to create journal files next to the database. Make the folder "
            "writable or choose another location with --db."
        ) from None


def _inspect_sqlite(path: Path) -> str | None:
    """Check the file at *path* and return its schema revision (None if new or empty)."""
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseUnavailableError(
                f"Cannot create the folder {path.parent} for the database ({error.strerror}). "
                "Choose another location with --db."
            ) from None
        _check_folder_writable(path.parent, path)
        return None
    if not path.is_file():
        raise DatabaseUnavailableError(
            f"{path} is a folder, not a database file. Choose a file with --db."
        )
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise DatabaseUnavailableError(
            f"Cannot open the database {path} ({error.strerror}). Check its permissions."
        ) from None
    if not header:
        # Never set up as new: an empty file where a database was may be one cut short (a
        # full disk, an interrupted copy), and the trader must know before anything else.
        raise DatabaseCorruptError(
            f"The database {path} is empty (0 bytes): a database cut short (a full disk, an "
            "interrupted copy) or a file made empty. It was left untouched. Restore it from a "
            "backup, delete it to start a new database, or choose another file with --db."
        )
    if header != SQLITE_MAGIC:
        raise DatabaseCorruptError(
            f"{path} is not a LiveTrader database: it is not an SQLite file, or its header is "
            "damaged. It was left untouched. Restore it from a backup or choose another file "
            "with --db."
        )
    _check_writable(path)
    return _read_revision(path)


def _check_writable(path: Path) -> None:
    try:
        with path.open("r+b"):
            pass
    except OSError as error:
        raise DatabaseReadOnlyError(
            f"The database {path} is read-only ({error.strerror}). LiveTrader must record "
            "orders before sending them, so it cannot run on a database it cannot write. Make "
            "the file writable or choose another with --db."
        ) from None
    _check_folder_writable(path.parent, path)


def _read_revision(path: Path) -> str | None:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise DatabaseUnavailableError(f"Cannot open the database {path}: {error}.") from None
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise DatabaseCorruptError(
                f"The database {path} is damaged ({problems[0]}). It was left untouched. "
                "Restore it from a backup or choose another file with --db."
            )
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        }
        if "alembic_version" not in tables:
            if tables:
                names = ", ".join(sorted(tables)[:5])
                raise ForeignDatabaseError(
                    f"{path} holds tables that are not LiveTrader's ({names}). It was left "
                    "untouched. Choose another file with --db."
                )
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    except sqlite3.DatabaseError as error:
        # A full disk, a lock or a failing disk is not a damaged file: each says what it is.
        raise _describe(error, str(path)) from None
    finally:
        connection.close()


def _backup(path: Path, revision: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-upgrade-from-{revision}-{stamp}{path.suffix}")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target


# --------------------------------------------------------------------------- migrations


def _check_version(revision: str | None, where: str) -> None:
    if revision is not None and revision != SCHEMA_HEAD and revision not in _known_revisions():
        raise DatabaseTooNewError(
            f"The database {where} was written by a newer version of LiveTrader (schema "
            f"revision '{revision}'; this version knows up to '{head_revision()}'). It was left "
            "untouched. Install the newer LiveTrader, or choose another file with --db."
        )


def _upgrade(connection: Connection, url: str) -> tuple[str | None, str]:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(connection).get_current_revision()
    _check_version(before, url)
    if before != head_revision():
        command.upgrade(migration_config(url, connection), "head")
    after = MigrationContext.configure(connection).get_current_revision()
    assert after is not None
    return before, after


async def _run_sync(url: str, action: Callable[[Connection, str], _T]) -> _T:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(action, url)
    finally:
        await engine.dispose()


def _describe(error: BaseException, where: str) -> DatabaseError:
    """Return the driver's *error* as the trader's message: what is wrong, and what to do."""
    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseReadOnlyError(f"The database {where} is read-only: {text}.")
    if "disk is full" in lowered:
        return DatabaseUnavailableError(
            f"The disk that holds the database {where} is full ({text}). The database was "
            "left untouched. Free some space on that disk and start LiveTrader again."
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseUnavailableError(
            f"The database {where} is locked by another program ({text}). Close the program "
            "that holds it (a database browser, a backup or sync tool) and start again."
        )
    if "disk i/o error" in lowered:
        return DatabaseUnavailableError(
            f"The database {where} could not be read from its disk ({text}): the disk may be "
            "failing, full or gone. The database was left untouched."
        )
    if "not a database" in lowered or "malformed" in lowered or "damaged" in lowered:
        return DatabaseCorruptError(
            f"The database {where} is damaged ({text}). It was left untouched. Restore it "
            "from a backup or choose another file with --db."
        )
    return DatabaseUnavailableError(f"Cannot open the database {where}: {text}.")


def prepare_database(url: str) -> DatabaseInfo:
    """Check the database at *url*, back it up if it will be migrated, and migrate it.

    Blocking: run it in an executor. Raises a ``DatabaseError`` subclass with a message for
    the trader; the database is never deleted or recreated.
    """
    url = normalize_url(url)
    path = sqlite_path(url)
    where = str(path) if path is not None else make_url(url).render_as_string()
    backup: Path | None = None
    if path is not None:
        revision = _inspect_sqlite(path)
        _check_version(revision, where)
        if revision == SCHEMA_HEAD:
            return DatabaseInfo(url, path, revision, revision, None)
        if revision is not None and revision != head_revision():
            backup = _backup(path, revision)
    try:
        before, after = asyncio.run(_run_sync(url, _upgrade))
    except DatabaseError:
        raise
    except ModuleNotFoundError as error:
        raise DatabaseUnavailableError(
            f"The database driver '{error.name}' for {where} is not installed."
        ) from None
    except (exc.SQLAlchemyError, sqlite3.Error, OSError) as error:
        raise _describe(error, where) from None
    return DatabaseInfo(url, path, before, after, backup)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: an order recorded before it is sent must survive a power cut, not just a crash.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.close()

    return apply


class Database:
    """The async engine and session factory of a prepared database.

    *busy_timeout_ms* is how long SQLite waits for another writer (another copy of the app, a
    backup tool) before a write fails with "database is locked".
    """

    def __init__(self, url: str, *, busy_timeout_ms: int = 5_000) -> None:
        self.url = normalize_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    async def dispose(self) -> None:
        """Close every connection."""
        await self.engine.dispose()
