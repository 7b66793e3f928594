"""The 27 Member States, and resolution of the codes users type (EU or ISO, any case)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..errors import CatalogueError, ConfigError
from ..model import MemberState

# The package's data files (a directory of the installed package; importlib.resources would cost
# every run its import, about 5 ms with tempfile, shutil and the compression modules).
DATA_DIR = Path(__file__).resolve().parent / "data"

# Pseudo-target for Commission deliverables: `--member-state EU` reports them.
EU = "EU"

_PRIMED: tuple[MemberState, ...] | None = None


def prime(states: tuple[MemberState, ...]) -> None:
    """Use these states, read from the catalogue cache (catalogue/cache.py, keyed by the sha256 of
    member_states.yaml), instead of parsing the YAML: `check` then needs no YAML parser at all."""
    global _PRIMED
    if len(states) == 27 and all(isinstance(s, MemberState) for s in states):
        _PRIMED = tuple(states)


@cache
def member_states() -> tuple[MemberState, ...]:
    """Load data/member_states.yaml once."""
    if _PRIMED is not None:
        return _PRIMED
    import yaml

    text = (DATA_DIR / "member_states.yaml").read_text("utf-8")
    try:
        # libyaml's parser when PyYAML has it (every command resolves codes; the pure-Python one
        # takes tens of milliseconds of each run).
        rows = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["member_states"]  # noqa: S506
        states = tuple(
            MemberState(
                code=r["code"],
                iso=r["iso"],
                iso3=r["iso3"],
                name=r["name"],
                languages=tuple(r["languages"]),
            )
            for r in rows
        )
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"member_states.yaml: malformed ({exc})") from exc
    if len(states) != 27:
        raise CatalogueError(f"member_states.yaml: expected 27 Member States, found {len(states)}")
    return states


@cache
def _index() -> dict[str, MemberState]:
    index: dict[str, MemberState] = {}
    for ms in member_states():
        index[ms.code] = ms
        index[ms.iso] = ms
        index[ms.iso3] = ms
    return index


def codes() -> tuple[str, ...]:
    return tuple(ms.code for ms in member_states())


def lookup(code: str) -> MemberState | None:
    """The Member State for an EU, ISO alpha-2 or alpha-3 code, case-insensitive."""
    return _index().get(code.strip().upper())


def normalise(code: str) -> str:
    """Canonical (EU) code for a code a user or a file gave; raises CatalogueError if unknown."""
    ms = lookup(code)
    if ms is None:
        raise CatalogueError(f"unknown Member State code {code!r}")
    return ms.code


def parse_targets(values: tuple[str, ...] | list[str]) -> list[str]:
    """Resolve `--member-state` values: codes (EU/ISO), `all`, or `EU` for Commission items."""
    result: list[str] = []
    for raw in values:
        if not raw.strip(" ,"):
            raise ConfigError(f"--member-state {raw!r} is empty: give an EU or ISO code (e.g. DK), 'all', or 'EU'")
        for part in raw.split(","):
            value = part.strip()
            if not value:
                continue
            if value.lower() == "all":
                result.extend(codes())
                continue
            if value.upper() == EU:
                result.append(EU)
                continue
            ms = lookup(value)
            if ms is None:
                raise ConfigError(
                    f"unknown Member State {value!r}: use an EU or ISO code (e.g. DK, EL or GR), "
                    "'all', or 'EU' for Commission deliverables"
                )
            result.append(ms.code)
    seen: set[str] = set()
    return [c for c in result if not (c in seen or seen.add(c))]
