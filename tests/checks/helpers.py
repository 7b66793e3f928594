"""Builders for rule tests: a measure, evidence and coverage made in a line each."""

from __future__ import annotations

from datetime import UTC, date, datetime

from compliance.model import Applicability, Coverage, Evidence, Measure, Obligation

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 22)


def obligation(id="transposition", type="transposition", date_=date(2024, 12, 12), *,  # noqa: A002
               addressee="member-states", verified=True, date_text=None):
    return Obligation(id, type, addressee, date_, date_text, verified)


def measure(*obligations, id="test-directive", kind="directive", exceptions=None,  # noqa: A002
            default="bound"):
    return Measure(
        id=id, title=f"Test {kind}", kind=kind, celex="32023L0977", celex_verified=True, strategy="oc",
        action="test", obligations=tuple(obligations) or (obligation(),),
        default_applicability=Applicability(default, "test basis", True),
        exceptions=exceptions or {}, sources=("test",),
    )


def evidence(kind="national-measure", ms="SE", measure_id="test-directive", date_=date(2024, 11, 1), *,
             source="eurlex", curated=False, stage=None, reference=None, verified=True, obligation_id=None):
    return Evidence(
        source=source, kind=kind, title="found", url="https://example.org/x", reference=reference,
        date=date_, retrieved_at=None if curated else NOW, sha256=None if curated else "ab" * 32,
        verified=verified, curated=curated, recorded=date(2026, 11, 22) if curated else None,
        stage=stage, member_state=ms, measure_id=measure_id, obligation_id=obligation_id,
    )


def coverage(source="eurlex", ms="*", measure_id="test-directive", status="ok", checked_at=NOW, reason=None):
    return Coverage(source, measure_id, ms, status, reason, checked_at, 1, "https://example.org/sparql", "cd" * 32)
