"""`compliance withdraw`: withdraw findings by hand, with a reason.

A source's answer that loses whole Member States is `suspect` and withdraws nothing (see
store/plausibility.py); when the user has checked that the source is right (a notification really was
taken back), this is how the findings go. It is the only way besides a confirmed absence
(store/writer.py). Like a refresh it takes the lock, is recorded as a run (kind `withdraw`)
and snapshots the assessments afterwards, so that `diff` and the digest show the status changes
it causes and the findings it withdrew, with the user's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..catalogue.load import Catalogue
from ..clock import from_db, to_db, utcnow
from ..config.settings import Settings
from ..errors import InputError
from ..store import tables
from ..store.engine import Store


@dataclass(frozen=True)
class Withdrawn:
    finding_id: int
    source: str
    measure_id: str
    member_state: str | None
    key: str
    title: str | None
    reference: str | None
    not_listed_since: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {"finding_id": self.finding_id, "source": self.source, "measure": self.measure_id,
                "member_state": self.member_state, "key": self.key, "title": self.title,
                "reference": self.reference,
                "not_listed_since": self.not_listed_since.isoformat() if self.not_listed_since else None}


def withdraw(settings: Settings, catalogue: Catalogue, store: Store, *, source: str, reason: str,
             measure_ids: list[str], member_states: list[str], keys: list[str], pending_only: bool,
             dry_run: bool) -> tuple[int | None, list[Withdrawn]]:
    """Withdraw the active findings of `source` matching every filter given; (run id, what went)."""
    from .run import _finish_run, _start_run, refresh_lock, snapshot_assessments

    if not reason.strip():
        raise InputError("--reason must say why the findings are withdrawn")
    if not (measure_ids or member_states or keys or pending_only):
        raise InputError("name what to withdraw: --measure, --member-state, --key or --pending "
                         "(a whole source is never withdrawn at once)")
    f = tables.Finding
    where = [f.source == source, f.active.is_(True)]
    if measure_ids:
        where.append(f.measure_id.in_(measure_ids))
    if member_states:
        where.append(f.member_state.in_(member_states))
    if keys:
        where.append(f.key.in_(keys))
    if pending_only:
        where.append(f.missing_since.is_not(None))
    with store.session() as session:
        rows = session.execute(select(f).where(*where).order_by(f.id)).scalars().all()
    found = [Withdrawn(r.id, r.source, r.measure_id, r.member_state, r.key, r.title, r.reference,
                       from_db(r.missing_since)) for r in rows]
    if dry_run or not found:
        return None, found
    with refresh_lock(settings.state_dir):
        run_id = _start_run(store, "withdraw")
        now = to_db(utcnow())
        text = f"withdrawn by compliance withdraw: {reason.strip()}"
        with store.engine.begin() as conn:
            conn.execute(update(f.__table__).where(f.__table__.c.id.in_([w.finding_id for w in found]),
                                                   f.__table__.c.active.is_(True))
                         .values(active=False, withdrawn_at=now, withdrawal=text))
        snapshot_assessments(store, catalogue, settings, run_id, now.date())
        _finish_run(store, run_id, "ok", {"withdrawn": [w.finding_id for w in found], "source": source,
                                          "reason": reason.strip()})
    return run_id, found
