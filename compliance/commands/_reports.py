"""Build reports the way `compliance check` does, for export, map and calendar.

Kept apart from cli.check (which is not to change here) but with the same inputs: settings,
catalogue, store, waivers, per-source max ages, --as-of and --horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..config.settings import Settings
    from ..report.assembly import Report
    from ..store.engine import Store


@dataclass
class Inputs:
    settings: Settings
    catalogue: Catalogue
    store: Store
    as_of: date
    horizon_days: int
    measure_ids: list[str] | None
    waivers: list
    max_age_days: dict[str, float]

    def reports(self, targets: list[str]) -> list[Report]:
        from ..report.assembly import build_reports

        return build_reports(
            self.catalogue, self.store, targets, as_of=self.as_of, horizon_days=self.horizon_days,
            measure_ids=self.measure_ids, waivers=self.waivers, max_age_days=self.max_age_days,
        )


def load_inputs(config_file: str | None, catalogues: tuple[str, ...], *, as_of: date | None,
                horizon: int | None = None, measures: tuple[str, ...] = (),
                waivers: str | None = None) -> Inputs:
    from ..checks import RULES
    from ..checks import waivers as waiver_mod
    from ..cli import _catalogue, _settings, existing_store
    from ..clock import utcnow

    settings = _settings(config_file, catalogues, waivers)
    catalogue = _catalogue(settings)
    measures = tuple(catalogue.resolve(measures))  # CatalogueError (exit 2) for an unknown one
    waiver_list = (
        waiver_mod.load(settings.waivers_file, set(RULES), set(catalogue.measures))
        if settings.waivers_file else []
    )
    store = existing_store(settings)
    max_age = {name: s.max_age_days for name, s in settings.file.sources.items() if s.max_age_days}
    return Inputs(
        settings=settings, catalogue=catalogue, store=store, as_of=as_of or utcnow().date(),
        horizon_days=horizon if horizon is not None else settings.file.check.horizon,
        measure_ids=list(measures) or None, waivers=waiver_list, max_age_days=max_age,
    )
