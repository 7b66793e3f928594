"""Waivers: a TOML file muting findings, each with a reason and an expiry (both required).

    [[waiver]]
    rule = "TRN-001"          # a rule id, or
    measure = "asset-recovery"  # a measure id (at least one of the two)
    member_state = "DK"       # required: an EU or ISO code, or "EU" for Commission items
    reason = "..."            # required
    until = 2027-01-31        # required: the last day it mutes

Unknown keys are an error (a typo must never make a waiver permanent). An expired waiver stops
muting and the report says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..catalogue import memberstates
from ..errors import CatalogueError, ConfigError
from ..model import Assessment, Status

KEYS = {"rule", "measure", "member_state", "reason", "until"}
MUTABLE = {Status.OVERDUE, Status.INFRINGEMENT, Status.DUE_SOON, Status.UNKNOWN}


@dataclass(frozen=True)
class Waiver:
    rule: str | None
    measure: str | None
    member_state: str
    reason: str
    until: date

    def matches(self, a: Assessment) -> bool:
        return (
            a.member_state == self.member_state
            and (self.rule is None or self.rule == a.rule)
            and (self.measure is None or self.measure == a.measure.id)
        )

    @property
    def label(self) -> str:
        return " / ".join(x for x in (self.rule, self.measure, self.member_state) if x)


def load(path: str | Path, known_rules: set[str], known_measures: set[str]) -> list[Waiver]:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read waivers file ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    extra = set(doc) - {"waiver"}
    if extra:
        raise ConfigError(f"{path}: unknown top-level keys: {', '.join(sorted(extra))}")
    waivers = []
    for index, raw in enumerate(doc.get("waiver", [])):
        where = f"{path}: waiver #{index + 1}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table ([[waiver]])")
        unknown = set(raw) - KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
        for key in ("member_state", "reason", "until"):
            if key not in raw:
                raise ConfigError(f"{where}: '{key}' is required")
        if "rule" not in raw and "measure" not in raw:
            raise ConfigError(f"{where}: give 'rule' or 'measure' (or both)")
        if not isinstance(raw["until"], date) or hasattr(raw["until"], "hour"):
            raise ConfigError(f"{where}: 'until' must be a date like 2027-01-31")
        if not isinstance(raw["reason"], str) or not raw["reason"].strip():
            raise ConfigError(f"{where}: 'reason' must be a non-empty string")
        rule, measure = raw.get("rule"), raw.get("measure")
        if rule is not None and rule not in known_rules:
            raise ConfigError(f"{where}: unknown rule {rule!r}")
        if measure is not None and measure not in known_measures:
            raise ConfigError(f"{where}: unknown measure {measure!r}")
        try:
            code = str(raw["member_state"])
            ms = memberstates.EU if code.upper() == memberstates.EU else memberstates.normalise(code)
        except CatalogueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        waivers.append(Waiver(rule, measure, ms, raw["reason"].strip(), raw["until"]))
    return waivers


def apply(assessments: list[Assessment], waivers: list[Waiver], as_of: date) -> list[Assessment]:
    """Mute what active waivers cover; note expired ones on what they used to mute."""
    result = []
    for a in assessments:
        for w in waivers:
            if not w.matches(a) or a.status not in MUTABLE:
                continue
            if w.until >= as_of:
                a = replace(
                    a,
                    status=Status.WAIVED,
                    reason=f"waived until {w.until.isoformat()}: {w.reason} (was {a.status.value}: {a.reason})",
                    waiver=w.reason,
                    underlying_status=a.status,
                )
                break
            a = replace(a, notes=a.notes + (f"waiver expired on {w.until.isoformat()} ({w.reason})",))
        result.append(a)
    return result


def unused(assessments: list[Assessment], waivers: list[Waiver], as_of: date) -> list[Waiver]:
    """Active waivers that matched nothing: probably stale or mistyped."""
    return [
        w for w in waivers
        if w.until >= as_of and not any(w.matches(a) for a in assessments)
    ]
