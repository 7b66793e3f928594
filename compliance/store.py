"""The store: engine, schema migrations, and the reads the rules need.

SQLite under the state directory by default, any SQLAlchemy URL through COMPLIANCE_DB_URL.
A database that cannot be read is reported and left untouched; an older schema is backed up
(SQLite) and migrated with Alembic, so users' history survives upgrades.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from . import tables
from .clock import from_db, to_db, utcnow
from .errors import StoreError
from .model import Coverage, Evidence

# The newest migration this release knows (compliance/migrations/versions/).
HEAD_REVISION = "0002"


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
                raise StoreError(f"{path.parent}: cannot create the state directory ({exc})") from None
        try:
            engine = create_engine(url, future=True)
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise StoreError(f"cannot open the store {_redact(url)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, url)
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
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise StoreError(
                f"{self.label}: cannot read the database ({reason}); it was left untouched"
            ) from None
        if revision == HEAD_REVISION:
            return
        if revision is not None and (not revision.isdigit() or int(revision) > int(HEAD_REVISION)):
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
        cfg.set_main_option("script_location", str(resources.files("compliance") / "migrations"))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: migration failed ({exc}); the backup is kept") from None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- reads for the rules -----------------------------------------------------------------

    def evidence(
        self, member_states: Iterable[str] | None = None, as_of: date | None = None
    ) -> list[Evidence]:
        """Active findings with their fetch provenance, optionally for some Member States."""
        return self._findings(member_states, tables.Finding.active.is_(True))

    def evidence_as_of(self, member_states: Iterable[str] | None, when: datetime) -> list[Evidence]:
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
        )

    def _findings(self, member_states: Iterable[str] | None, *where: Any) -> list[Evidence]:
        f, fe = tables.Finding, tables.Fetch
        stmt = (
            select(f, fe.retrieved_at, fe.sha256, fe.url)
            .outerjoin(fe, f.fetch_id == fe.id)
            .where(*where)
        )
        if member_states is not None:
            stmt = stmt.where(f.member_state.in_(list(member_states)))
        result: list[Evidence] = []
        try:
            with self.session() as session:
                rows = session.execute(stmt).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read findings ({exc})") from None
        for finding, retrieved_at, sha256, fetch_url in rows:
            result.append(
                Evidence(
                    source=finding.source,
                    kind=finding.kind,
                    title=finding.title,
                    url=finding.url or fetch_url,
                    reference=finding.reference,
                    date=finding.date,
                    retrieved_at=from_db(retrieved_at),
                    sha256=sha256,
                    stage=finding.stage,
                    member_state=finding.member_state,
                    measure_id=finding.measure_id,
                    finding_id=finding.id,
                    fetch_id=finding.fetch_id,
                    key=finding.key,
                )
            )
        return result

    def coverage(self, until: datetime | None = None) -> list[Coverage]:
        """Per (source, measure, member state): the latest successful search and any later failure;
        with `until`, only the searches checked on or before it (coverage as it stood then)."""
        c, fe = tables.Coverage, tables.Fetch
        stmt = (
            select(c, fe.url, fe.sha256)
            .outerjoin(fe, c.fetch_id == fe.id)
            .order_by(c.checked_at, c.id)
        )
        if until is not None:
            stmt = stmt.where(c.checked_at <= to_db(until))
        try:
            with self.session() as session:
                rows = session.execute(stmt).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read coverage ({exc})") from None
        latest_ok: dict[tuple[str, str, str], Coverage] = {}
        latest: dict[tuple[str, str, str], Coverage] = {}
        for r, url, sha256 in rows:
            row = Coverage(
                source=r.source,
                measure_id=r.measure_id,
                member_state=r.member_state,
                status=r.status,
                reason=r.reason,
                checked_at=from_db(r.checked_at),
                fetch_id=r.fetch_id,
                url=url,
                sha256=sha256,
            )
            key = (r.source, r.measure_id, r.member_state)
            latest[key] = row
            if r.status == "ok":
                latest_ok[key] = row
        # A later failure does not undo an earlier successful search (its freshness decides),
        # but it is kept so that an `unknown` can say what went wrong.
        result = list(latest_ok.values())
        result += [row for key, row in latest.items() if row.status != "ok"]
        return result

    def act_metadata(self) -> dict[str, dict]:
        """The latest official metadata per measure id (see sources/eurlex.py)."""
        a = tables.ActMetadata
        try:
            with self.session() as session:
                rows = session.execute(select(a).order_by(a.retrieved_at, a.id)).scalars().all()
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read act metadata ({exc})") from None
        latest: dict[str, dict] = {}
        for row in rows:
            data = json.loads(row.data)
            data["_retrieved_at"] = from_db(row.retrieved_at)
            data["_source"] = row.source
            data["_fetch_id"] = row.fetch_id
            latest[row.measure_id] = data
        return latest

    def source_runs(self) -> list[tables.SourceRun]:
        s = tables.SourceRun
        try:
            with self.session() as session:
                return list(session.execute(select(s).order_by(s.started_at, s.id)).scalars())
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.label}: cannot read source runs ({exc})") from None


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API objects
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
