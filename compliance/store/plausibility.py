"""Whether a healthy-looking answer can be believed, judged against the last healthy one.

A source may answer HTTP 200 with a valid document that is nonetheless wrong: zero rows, a
Virtuoso "anytime" partial result, one Member State dropped by a broken query. Nothing in the
answer itself says so; only what the store held before does. For every source, in the shared
writer (store/writer.py), each measure that a source says it searched successfully is compared
with what the last healthy search of that source listed (the active findings not already pending
withdrawal, within the Member States searched now):

* losing every finding of more Member States than `max_states_lost` (default 0), or
* losing two or more findings and more than `max_share_lost` (default 20 %) of them,
* or, for a first answer with nothing stored to compare with, from a source of every Member
  State's national measures: a directive long past its deadline (`first_after_days`, 365) with
  measures from fewer than `first_min_states` (3) Member States (`judge_first`),

makes that measure's answer `suspect`: none of its findings is written or withdrawn, its coverage
is recorded as `suspect` with the reason, and the refresh exits 4. A single finding missing from
a plausible answer is not a verdict on the answer: it becomes a pending withdrawal instead
(`Rules.confirmations`, `Rules.min_days`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Measure

EU_LEVEL = "EU"  # the "Member State" of EU-level findings (member_state None or "EU")


@dataclass(frozen=True)
class Rules:
    """[plausibility] and [withdrawal] of the config (config/schema.py), with their defaults."""

    max_states_lost: int = 0
    max_share_lost: float = 0.2
    confirmations: int = 2
    min_days: float = 7.0
    first_min_states: int = 3
    first_after_days: int = 365

    @classmethod
    def from_settings(cls, settings: object) -> Rules:
        file = settings.file  # type: ignore[attr-defined]
        p, w = file.plausibility, file.withdrawal
        return cls(p.max_states_lost, p.max_share_lost, w.confirmations, w.min_days, p.first_min_states,
                   p.first_after_days)


def earliest_transposition(measure: Measure | None, metadata: dict[str, Any] | None) -> date | None:
    """The earliest transposition deadline of a directive: the catalogue's and the official ones."""
    dates = [
        o.date for o in (measure.obligations if measure else ())
        if o.type == "transposition" and o.addressee == "member-states" and o.date
    ]
    for raw in (metadata or {}).get("transposition") or []:
        try:
            dates.append(date.fromisoformat(raw))
        except (TypeError, ValueError):
            continue
    return min(dates) if dates else None


def _state(member_state: str | None) -> str:
    return member_state or EU_LEVEL


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def judge(
    baseline: Iterable[tuple[str, str, str | None]],
    listed: dict[str, tuple[set[str], set[str]]],
    rules: Rules,
) -> dict[str, str]:
    """{measure id: why its answer is implausible} for the measures that fail the rules.

    `baseline`: (measure id, key, Member State) of what the last healthy search listed, within what
    was searched now; `listed`: measure id -> (keys, Member States) of what the answer lists.
    """
    had: dict[str, int] = defaultdict(int)
    lost: dict[str, int] = defaultdict(int)
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for measure_id, key, member_state in baseline:
        had[measure_id] += 1
        states[measure_id][_state(member_state)] += 1
        keys = listed.get(measure_id)
        if keys is None or key not in keys[0]:
            lost[measure_id] += 1
    verdicts: dict[str, str] = {}
    for measure_id, n_lost in lost.items():
        n_had = had[measure_id]
        now_states = listed.get(measure_id, (set(), set()))[1]
        gone = sorted(s for s in states[measure_id] if s not in {_state(x) for x in now_states})
        too_many_states = len(gone) > rules.max_states_lost
        too_large_share = n_lost >= 2 and n_lost / n_had > rules.max_share_lost
        if not (too_many_states or too_large_share):
            continue
        if n_lost == n_had:
            verdicts[measure_id] = (
                f"the answer lists none of the {_plural(n_had, 'finding')} "
                f"({_plural(len(states[measure_id]), 'Member State')}) the last healthy search listed"
            )
        elif too_many_states:
            shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
            verdicts[measure_id] = (
                f"the answer lists nothing for {_plural(len(gone), 'Member State')} ({shown}) that the "
                "last healthy search listed findings for"
            )
        else:
            verdicts[measure_id] = (
                f"the answer lacks {n_lost} of the {n_had} findings the last healthy search listed "
                f"({n_lost / n_had:.0%} lost, more than {rules.max_share_lost:.0%})"
            )
    return verdicts


def judge_first(
    listed: dict[str, tuple[set[str], set[str]]],
    unseen: Iterable[str],
    deadlines: dict[str, date],
    today: date,
    rules: Rules,
) -> dict[str, str]:
    """{measure id: why} for first answers too thin to believe, where nothing stored can be compared.

    For a source of every Member State's national measures (CELLAR), a directive more than
    `first_after_days` past its earliest transposition deadline with measures from fewer than
    `first_min_states` Member States is far more likely a broken query than a fact. `unseen`: the
    measures searched for every Member State that the source has no active finding of yet.
    """
    verdicts = {}
    for measure_id in unseen:
        deadline = deadlines.get(measure_id)
        if deadline is None or today - deadline <= timedelta(days=rules.first_after_days):
            continue
        states = {_state(s) for s in listed.get(measure_id, (set(), set()))[1]}
        if len(states) < rules.first_min_states:
            verdicts[measure_id] = (
                f"only {_plural(len(states), 'Member State')} with national measures for a directive due on "
                f"{deadline.isoformat()}, and nothing stored to compare with: the answer looks incomplete"
            )
    return verdicts


def source_reason(verdicts: dict[str, str]) -> str:
    """The one-line reason of a source whose answers for `verdicts` were implausible."""
    first = sorted(verdicts)[0]
    more = f" (and {_plural(len(verdicts) - 1, 'other measure')})" if len(verdicts) > 1 else ""
    return (f"suspect answer for {first}{more}: {verdicts[first]}; nothing withdrawn, statuses kept "
            "(if the source is right, see compliance withdraw)")
