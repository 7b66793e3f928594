"""The evidence annex of an exported report: every item a status rests on, with its provenance.

Each distinct evidence item of a report gets an id (E1, E2 ...) in order of first use; the
assessments cite those ids, the annex lists source, URL, reference, retrieval time and the
SHA-256 of the raw response (which `--with-archive` copies into the bundle as archive/<sha256>).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Assessment, Evidence
from ..report.assembly import Report

# Columns of the XLSX "Evidence" sheet and of evidence.csv: one row per (assessment, evidence).
EVIDENCE_COLUMNS = [
    "member_state", "measure", "obligation", "status", "evidence_id", "source", "kind", "title",
    "reference", "url", "date", "date_text", "retrieved_at", "sha256", "curated", "recorded",
    "verified", "stage", "bundle_path",
]


def bundle_path(sha256: str | None, archived: set[str]) -> str | None:
    """Where the raw response lies inside the bundle, when it was copied there."""
    return f"archive/{sha256}" if sha256 and sha256 in archived else None


@dataclass
class AnnexItem:
    id: str
    evidence: Evidence
    bundle_path: str | None
    supports: list[Assessment] = field(default_factory=list)
    fetch: dict[str, Any] | None = None  # the response it was read from (provenance.fetch_records)


@dataclass
class Annex:
    by_evidence: dict[Evidence, AnnexItem]  # in order of first use

    @property
    def items(self) -> list[AnnexItem]:
        return list(self.by_evidence.values())

    def cite(self, evidence: Evidence) -> str:
        """The annex id (E1 ...) of an evidence item of this report."""
        return self.by_evidence[evidence].id


def annex(report: Report, archived: set[str] | None = None,
          fetches: dict[int, dict[str, Any]] | None = None) -> Annex:
    """`fetches`: fetch id -> its record (provenance.fetch_records), attached to the items read from it."""
    archived = archived or set()
    fetches = fetches or {}
    items: dict[Evidence, AnnexItem] = {}
    for a in report.assessments:
        for e in a.evidence:
            item = items.get(e)
            if item is None:
                item = items[e] = AnnexItem(f"E{len(items) + 1}", e, bundle_path(e.sha256, archived),
                                            fetch=fetches.get(e.fetch_id) if e.fetch_id is not None else None)
            item.supports.append(a)
    return Annex(by_evidence=items)


def evidence_rows(report: Report, archived: set[str] | None = None) -> list[dict[str, Any]]:
    """One row per (assessment, evidence item), in EVIDENCE_COLUMNS order."""
    index = annex(report, archived)
    rows = []
    for a in report.assessments:
        for e in a.evidence:
            item = index.by_evidence[e]
            rows.append({
                "member_state": report.member_state,
                "measure": a.measure.id,
                "obligation": a.obligation.id if a.obligation else "",
                "status": a.status.value,
                "evidence_id": item.id,
                "source": e.source,
                "kind": e.kind,
                "title": e.title or "",
                "reference": e.reference or "",
                "url": e.url or "",
                "date": e.date.isoformat() if e.date else "",
                "date_text": e.date_text or "",
                "retrieved_at": e.retrieved_at.isoformat(timespec="seconds") if e.retrieved_at else "",
                "sha256": e.sha256 or "",
                "curated": "yes" if e.curated else "no",
                "recorded": e.recorded.isoformat() if e.recorded else "",
                "verified": "yes" if e.verified else "no",
                "stage": e.stage or "",
                "bundle_path": item.bundle_path or "",
            })
    return rows


def annex_dicts(report: Report, archived: set[str] | None = None,
                fetches: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The annex for JSON: each distinct item once, with the assessments it supports and, when
    `fetches` has it, the response it was read from."""
    return [
        {
            "id": item.id,
            **item.evidence.to_dict(),
            "bundle_path": item.bundle_path,
            "fetch": item.fetch,
            "supports": [
                {"measure": a.measure.id, "obligation": a.obligation.id if a.obligation else None,
                 "status": a.status.value, "rule": a.rule}
                for a in item.supports
            ],
        }
        for item in annex(report, archived, fetches).items
    ]
