"""The rules: one module per family, each rule with a permanent id (never reused).

`evaluate(measures, member_state, ctx)` runs them in order: applicability, the obligation's
own rule, then the overlays (official-metadata disagreement, the act's own text, open
infringement case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..catalogue.memberstates import EU
from ..model import Assessment, Measure, Obligation
from . import (
    applicability,
    crosscheck,
    deliverables,
    infringement,
    metadata,
    ratification,
    regulation,
    textfacts,
    transposition,
)
from .base import Context, Rule

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        applicability.APP_001,
        transposition.TRN_001,
        transposition.NAT_001,
        regulation.REG_001,
        regulation.REG_002,
        regulation.GEN_001,
        ratification.RAT_001,
        deliverables.COM_001,
        infringement.INF_001,
        metadata.META_001,
        metadata.META_003,
        textfacts.META_002,
        crosscheck.XCK_001,
    )
}

Check = Callable[[Measure, Obligation, str, Context], Assessment]

BY_TYPE: dict[str, Check] = {
    "transposition": transposition.check_transposition,
    "national-strategy": transposition.check_national_strategy,
    "application": regulation.check_application,
    "designation": regulation.check_designation,
    "ratification": ratification.check,
}


def _member_state_obligation(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    check = BY_TYPE.get(obligation.type, regulation.check_other)
    result = check(measure, obligation, ms, ctx)
    result = metadata.overlay(result, measure, obligation, ctx.metadata.get(measure.id),
                              lambda o: check(measure, o, ms, ctx))
    result = textfacts.dates(result, measure, obligation, ctx, lambda o: check(measure, o, ms, ctx))
    result = textfacts.applicability(result, measure, ctx)
    return infringement.overlay(result, ctx)


def evaluate(measures: Iterable[Measure], member_state: str, ctx: Context) -> list[Assessment]:
    """All assessments for one Member State (or `EU` for the Commission's deliverables)."""
    results: list[Assessment] = []
    for measure in measures:
        if member_state == EU:
            for obligation in measure.obligations:
                if obligation.addressee == "commission":
                    results.append(deliverables.check(measure, obligation, ctx))
            continue
        ms_obligations = [o for o in measure.obligations if o.addressee == "member-states"]
        gate = applicability.check(measure, member_state)
        if gate is not None:
            results.append(textfacts.applicability(gate, measure, ctx))
            continue
        if not measure.obligations:  # a watched act whose deadlines are not known yet
            results.append(metadata.no_obligations(measure, member_state, ctx.metadata.get(measure.id)))
            continue
        for obligation in ms_obligations:
            results.append(_member_state_obligation(measure, obligation, member_state, ctx))
    return results
