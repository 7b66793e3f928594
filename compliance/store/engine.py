"""The store: engine, schema migrations, and the reads the rules need.

SQLite under the state directory by default, any SQLAlchemy URL through COMPLIANCE_DB_URL.
A database that cannot be read is reported and left untouched; an older schema is backed up
(SQLite) and migrated with Alembic, so users' history survives upgrades.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from ..clock import to_db, utcnow
from ..errors import StoreError
from ..faults import db_reason, note_store, storage_fault
from ..model import Coverage, Evidence
from . import tables
from .reader import (  # noqa: F401 - HEAD_REVISION is part of this module's API
    ACT_TEXTS_SQL,
    COVERAGE_COLUMNS,
    FINDING_COLUMNS,
    HEAD_REVISION,
    METADATA_SQL,
    act_texts_from_rows,
    coverage_from_rows,
    evidence_from_rows,
    metadata_from_rows,
    parse_db_time,
)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by create_engine
        return "<database URL>"


class Store:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.label = _redact(url)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open (and create or migrate) the store at `url`; StoreError if it is unusable."""
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if path.exists() and path.is_dir():
                raise StoreError(f"{path}: is a directory, not a database")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise storage_fault(exc, str(path.parent)) or StoreError(
                    f"{path.parent}: cannot create the state directory ({exc.strerror or exc})") from None
        try:
            engine = create_engine(url, future=True)
        except ImportError as exc:  # the database driver is not installed
            hint = ""
            if url.startswith("postgresql"):
                from ..distribution import install_command

                hint = f"; PostgreSQL needs the optional extra [postgres]: {install_command('postgres')}"
            raise StoreError(f"cannot open the store {_redact(url)}: {exc}{hint}") from None
        except (SQLAlchemyError, ValueError) as exc:
            raise StoreError(f"cannot open the store {_redact(url)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, url)
        note_store(store.label)
        store._check_and_migrate(migrate)
        return store

    def _revision(self) -> str | None:
        with self.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if "alembic_version" not in names:
                if names - {"sqlite_sequence"}:
                    raise StoreError(
                        f"{self.label}: holds tables but is not a compliance store; left untouched"
                    )
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def _check_and_migrate(self, migrate: bool) -> None:
        try:
            revision = self._revision()
        except StoreError:
            raise
        except (DatabaseError, OperationalError) as exc:
            raise storage_fault(exc, self.label) or StoreError(
                f"{self.label}: cannot read the database ({db_reason(exc)}); it was left untouched"
            ) from None
        if revision == HEAD_REVISION:
            return
        if revision is not None and (not revision.isdecimal() or int(revision) > int(HEAD_REVISION)):
            raise StoreError(
                f"{self.label}: schema revision {revision} is newer than this release knows "
                f"({HEAD_REVISION}); upgrade compliance"
            )
        if not migrate:
            raise StoreError(f"{self.label}: schema needs migrating to {HEAD_REVISION}")
        if revision is not None:
            self._backup(revision)
        self._upgrade()

    def _backup(self, revision: str) -> None:
        """Copy an SQLite file before migrating it, so a failed migration loses nothing."""
        if self.engine.dialect.name != "sqlite" or not self.url.startswith("sqlite:///"):
            return
        path = Path(self.url.removeprefix("sqlite:///"))
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        shutil.copy2(path, path.with_name(f"{path.name}.pre-{revision}-{stamp}.bak"))

    def _upgrade(self) -> None:
        from importlib import resources

        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("compliance") / "store" / "migrations"))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise storage_fault(exc, self.label) or StoreError(
                f"{self.label}: migration failed ({db_reason(exc)}); the backup is kept") from None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- reads for the rules -----------------------------------------------------------------

    def evidence(
        self, member_states: Iterable[str] | None = None, as_of: date | None = None
    ) -> list[Evidence]:
        """Active findings with their fetch provenance, optionally for some Member States, and
        with `as_of` only those undated or dated on or before it."""
        return self._findings(member_states, tables.Finding.active.is_(True), *_dated_by(as_of))

    def evidence_as_of(self, member_states: Iterable[str] | None, when: datetime,
                       as_of: date | None = None) -> list[Evidence]:
        """Findings as they stood at `when`: first seen on or before it and not withdrawn before
        it, whether active now or not (for `check --as-of` a past date).

        The history kept per finding is first_seen_at and withdrawn_at: a finding shows its
        latest content and fetch, and one withdrawn and later listed again counts as present
        throughout (the store clears withdrawn_at when it comes back).
        """
        f = tables.Finding
        when = to_db(when)
        return self._findings(
            member_states,
            f.first_seen_at <= when,
            or_(f.withdrawn_at.is_(None), f.withdrawn_at >= when),
            *_dated_by(as_of),
            when=when,
        )

    def _findings(self, member_states: Iterable[str] | None, *where: Any,
                  when: datetime | None = None) -> list[Evidence]:
        # Plain columns, not ORM objects: a store holds 100,000s of findings and `check` reads
        # them all (store/reader.py reads the same columns with sqlite3 on the check path).
        f, fe = tables.Finding, tables.Fetch
        conditions = list(where)
        if member_states is not None:
            conditions.append(f.member_state.in_(list(member_states)))
        stmt = select(*(getattr(f, c) for c in FINDING_COLUMNS)).where(*conditions).order_by(f.id)
        fetch_stmt = select(fe.id, fe.retrieved_at, fe.sha256, fe.url).where(
            fe.id.in_(select(f.fetch_id).where(*conditions))
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
                fetches = {r[0]: tuple(r[1:]) for r in conn.execute(fetch_stmt)}
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read findings ({db_reason(exc)})") from None
        return evidence_from_rows(rows, fetches, when=when)

    def coverage(self, until: datetime | None = None) -> list[Coverage]:
        """Per (source, measure, member state): the latest successful search and any later failure;
        with `until`, only the searches checked on or before it (coverage as it stood then)."""
        c, fe = tables.Coverage, tables.Fetch
        conditions = [] if until is None else [c.checked_at <= to_db(until)]
        stmt = select(*(getattr(c, n) for n in COVERAGE_COLUMNS)).where(*conditions).order_by(c.checked_at, c.id)
        fetch_stmt = select(fe.id, fe.url, fe.sha256).where(fe.id.in_(select(c.fetch_id).where(*conditions)))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
                fetches = {r[0]: tuple(r[1:]) for r in conn.execute(fetch_stmt)}
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read coverage ({db_reason(exc)})") from None
        return coverage_from_rows(rows, fetches)

    def act_metadata(self) -> dict[str, dict]:
        """The latest official metadata per measure id (see sources/eurlex.py)."""
        return metadata_from_rows(self._read_sql("act metadata", METADATA_SQL))

    def act_texts(self) -> dict[str, dict[str, dict]]:
        """The latest reading of each catalogued act's own text (see sources/act_texts.py)."""
        return act_texts_from_rows(self._read_sql("act texts", ACT_TEXTS_SQL))

    def _read_sql(self, what: str, sql: str) -> list:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(text(sql)).all())
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read {what} ({db_reason(exc)})") from None

    def pending_withdrawals(self) -> dict[str, tuple[int, datetime]]:
        """Per source: how many active findings its healthy searches no longer list (withdrawal
        pending), and since when the oldest of them."""
        from sqlalchemy import func

        f = tables.Finding
        stmt = (select(f.source, func.count(), func.min(f.missing_since))
                .where(f.active.is_(True), f.missing_since.is_not(None)).group_by(f.source))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read findings ({db_reason(exc)})") from None
        return {source: (count, parse_db_time(since)) for source, count, since in rows}

    def failed_requests(self, run_id: int, source: str) -> list[dict[str, str]]:
        """The requests of `source` that failed in refresh run `run_id` (full, secrets redacted),
        as the run's summary keeps them; [] for a run from before they were kept."""
        import json

        r = tables.RefreshRun
        try:
            with self.engine.connect() as conn:
                text = conn.execute(select(r.summary).where(r.id == run_id)).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read refresh runs ({db_reason(exc)})") from None
        try:
            entries = json.loads(text or "{}").get("sources", [])
        except (ValueError, AttributeError):
            return []
        entry = next((e for e in entries if isinstance(e, dict) and e.get("source") == source), {})
        return [f for f in entry.get("failed_requests") or [] if isinstance(f, dict)]

    def source_runs(self) -> list[tables.SourceRun]:
        s = tables.SourceRun
        try:
            with self.session() as session:
                return list(session.execute(select(s).order_by(s.started_at, s.id)).scalars())
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read source runs ({db_reason(exc)})") from None


def _dated_by(as_of: date | None) -> list[Any]:
    f = tables.Finding
    return [] if as_of is None else [or_(f.date.is_(None), f.date <= as_of)]


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
