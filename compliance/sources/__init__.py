"""The registry of sources: names, what evidence each gives, and how fresh it must be.

This module is deliberately light (no HTTP, no parsers): the rules and `compliance sources`
read it on every run. A source's code lives in its own module, imported only to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceInfo:
    name: str
    title: str
    module: str  # import path of the module holding `build(context)` / `parse_import(...)`
    evidence_kinds: frozenset[str]  # what its findings are evidence of
    max_age_days: float  # older coverage is stale: it can no longer show an absence
    endpoint_names: tuple[str, ...] = ()


SOURCES: dict[str, SourceInfo] = {}


def register(info: SourceInfo) -> SourceInfo:
    SOURCES[info.name] = info
    return info


register(
    SourceInfo(
        name="eurlex",
        title="EUR-Lex / CELLAR: national implementing measures and act metadata",
        module="compliance.sources.eurlex",
        evidence_kinds=frozenset({"national-measure"}),
        max_age_days=14,
        endpoint_names=("EURLEX_SPARQL",),
    )
)


def sources_giving(kind: str) -> set[str]:
    """Names of the sources whose findings are evidence of `kind`."""
    return {name for name, info in SOURCES.items() if kind in info.evidence_kinds}
