"""Faults of the machine, not of the input: a full disk, an I/O error, a read-only file system.

`storage_fault(exc)` turns such an error, whether the OS raised it (OSError) or the database
did (sqlite3 "database or disk is full", "disk I/O error", "attempt to write a readonly
database", PostgreSQL's disk_full / io_error / read_only_sql_transaction, wrapped by SQLAlchemy
or not), into one `StorageFault` line: where, what, and what to do. It never carries the SQL
statement, its parameters or any finding data. Every write of the store is one transaction and
every file is written to a temporary name first, so such a fault loses nothing stored before.

Imports nothing heavy: the CLI's last line of defence calls it.
"""

from __future__ import annotations

import errno

from .errors import StoreError

_CONSEQUENCE = "nothing stored before was changed or lost"

# errno -> (what happened, what to do)
_OS = {
    errno.ENOSPC: ("no space left on the device", "free some space and run again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space and run again"),
    errno.EFBIG: ("file too large for the file system or the process limit", "free space or raise the limit"),
    errno.EIO: ("input/output error: the disk or file system is failing", "check the disk, then run again"),
    errno.EROFS: ("read-only file system", "make it writable, or point COMPLIANCE_STATE_DIR elsewhere"),
    errno.EACCES: ("permission denied", "make it writable, or point COMPLIANCE_STATE_DIR elsewhere"),
    errno.EPERM: ("operation not permitted", "make it writable, or point COMPLIANCE_STATE_DIR elsewhere"),
}
# Only these errnos are faults of the machine wherever they happen; EACCES/EPERM are that only
# for the state directory (an --output the user named is their input: a usage error).
ENVIRONMENT = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})

# sqlite3 primary result codes (exc.sqlite_errorname starts with them) and their messages.
_SQLITE = {
    "SQLITE_FULL": errno.ENOSPC,
    "SQLITE_IOERR": errno.EIO,
    "SQLITE_READONLY": errno.EROFS,
}
_SQLITE_TEXT = {
    "database or disk is full": errno.ENOSPC,
    "disk i/o error": errno.EIO,
    "attempt to write a readonly database": errno.EROFS,
}
# PostgreSQL SQLSTATE classes: 53100 disk_full, 58030 io_error, 25006 read_only_sql_transaction.
_SQLSTATE = {"53100": errno.ENOSPC, "58030": errno.EIO, "25006": errno.EROFS}

_last_store: list[str] = []


class StorageFault(StoreError):
    """The disk is full or failing, or the state directory is read-only (exit 3)."""


def note_store(label: str) -> None:
    """Remember the store this process opened, to name it when the database reports a fault."""
    _last_store[:] = [label]


def _database_errno(exc: BaseException) -> int | None:
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, code in _SQLITE.items():
            if name.startswith(prefix):
                return code
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate in _SQLSTATE:
        return _SQLSTATE[sqlstate]
    if type(orig).__module__.split(".")[0] in ("sqlite3", "_sqlite3", "sqlalchemy"):
        first = str(orig).splitlines()[0].lower() if str(orig) else ""
        for text, code in _SQLITE_TEXT.items():
            if text in first:
                return code
    return None


def storage_fault(exc: BaseException, where: str | None = None, *,
                  errnos: frozenset[int] | None = None) -> StorageFault | None:
    """The one-line StorageFault for `exc`, or None when it is not a fault of the machine.

    `where` names the file or store (default: the OSError's file name, else the store opened
    last); `errnos` limits which OS errors count (default: all in _OS)."""
    cause: BaseException | None = exc
    while cause is not None:  # an OSError may arrive wrapped (SQLAlchemy, a source's error)
        if isinstance(cause, OSError) and cause.errno in _OS:
            if errnos is not None and cause.errno not in errnos:
                return None
            return _fault(cause.errno, where or (str(cause.filename) if cause.filename else None))
        code = _database_errno(cause)
        if code is not None:
            return _fault(code, where or (_last_store[0] if _last_store else "the store"))
        cause = cause.__cause__ or cause.__context__
    return None


def _fault(code: int, where: str | None) -> StorageFault:
    what, todo = _OS[code]
    name = errno.errorcode.get(code, str(code))
    place = f"{where}: " if where else ""
    return StorageFault(f"{place}{what} ({name}); {_CONSEQUENCE}: {todo}")


def db_reason(exc: BaseException) -> str:
    """The database's own message, one line, without SQLAlchemy's statement and parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (text[0][:200] if text else type(orig).__name__) or type(orig).__name__
