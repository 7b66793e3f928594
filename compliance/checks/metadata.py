"""META-001: the catalogue's deadline disagrees with the official metadata (CELLAR).
META-003: a watched act with no obligations yet: nothing about it can be checked, and says why.

Neither date is silently preferred: when the two dates would give different statuses, the
status is `unknown` and both are shown; when they agree on the status, a note says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from ..model import Assessment, Measure, Obligation, Severity, Status
from .base import Rule

META_001 = Rule(
    id="META-001",
    title="Catalogue deadline matches the official metadata",
    severity=Severity.MEDIUM,
    why="A wrong deadline makes every status built on it wrong; the official record "
    "(CELLAR's directive_date_transposition) is compared with the catalogue at each refresh.",
)


META_003 = Rule(
    id="META-003",
    title="A watched act has obligations to check",
    severity=Severity.MEDIUM,
    why="An act added to the catalogue by its CELEX alone has no deadline until its official metadata "
    "gives one (a directive's transposition dates); until then nothing about it is known: unknown, "
    "never a pass and never silence.",
)


def no_obligations(measure: Measure, member_state: str, metadata: dict | None) -> Assessment:
    """The one `unknown` of a measure without any obligation, saying what would give it some."""
    from .base import assessment

    where = "" if measure.origin == "built-in" else f" (in {measure.origin})"
    if measure.kind == "directive" and measure.celex and not metadata:
        reason = "no deadlines known until its metadata is fetched: compliance refresh --source eurlex"
    elif measure.kind == "directive" and measure.celex:
        fetched = metadata.get("_retrieved_at") if metadata else None
        when = f" fetched on {fetched.date().isoformat()}" if fetched else ""
        reason = (f"no deadlines known: its official metadata{when} gives no transposition date; "
                  f"add the obligations to its catalogue entry{where}")
    else:
        reason = (f"no obligations in its catalogue entry{where}, and only a directive's deadlines come from "
                  "its metadata: add them (docs/catalogue.md)")
    return assessment(META_003, measure, None, member_state, Status.UNKNOWN, reason)


def official_deadlines(metadata: dict | None) -> list[date]:
    if not metadata:
        return []
    return sorted(date.fromisoformat(d) for d in metadata.get("transposition", []) if d)


def overlay(
    current: Assessment,
    measure: Measure,
    obligation: Obligation,
    metadata: dict | None,
    evaluate: Callable[[Obligation], Assessment],
) -> Assessment:
    official = official_deadlines(metadata)
    if obligation.type != "transposition" or not official:
        return current
    source = (metadata or {}).get("_source", "official metadata")
    if obligation.date in official:
        note = f"deadline {obligation.date.isoformat()} confirmed by {source}"
        return replace(current, verified=current.verified or _only_unverified_deadline(current, obligation),
                       notes=current.notes + (note,))
    listed = ", ".join(d.isoformat() for d in official)
    if obligation.date is None:
        note = f"{source} gives the deadline(s) {listed}; the catalogue has none fixed"
        return replace(current, notes=current.notes + (note,))
    nearest = min(official, key=lambda d: abs((d - obligation.date).days))
    alternative = evaluate(replace(obligation, date=nearest))
    note = (f"catalogue deadline {obligation.date.isoformat()} disagrees with {source} "
            f"({listed})")
    if alternative.status == current.status:
        return replace(current, notes=current.notes + (note + "; the status is the same either way",))
    return replace(
        current,
        status=Status.UNKNOWN,
        rule=META_001.id,
        severity=META_001.severity,
        reason=(f"{note}: {current.status.value} by the catalogue, {alternative.status.value} by "
                f"{source}; confirm the deadline"),
        verified=False,
    )


def _only_unverified_deadline(current: Assessment, obligation: Obligation) -> bool:
    """A deadline confirmed by the official record no longer makes the assessment unverified,
    unless something else (applicability, evidence) is unverified."""
    if obligation.verified:
        return current.verified
    others = all(e.verified for e in current.evidence) and current.measure.applicability(
        current.member_state).verified
    return others
