"""Load and strictly validate the measure catalogue and the curated evidence.

The built-in catalogue is `compliance/catalogue/data/measures.yaml`; users extend or override it with
files in the same format (docs/catalogue.md). Every problem is reported as a CatalogueError
naming the file and the entry, never as a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BuiltinCatalogueError, CatalogueError
from ..model import Applicability, Evidence, Measure, Obligation
from . import memberstates
from .memberstates import DATA_DIR

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .cache import Builtin
    from .spec import MeasureSpec

_ACT_NUMBER = re.compile(r"(?<![0-9/])((?:19|20)[0-9]{2})/([0-9]{1,4})(?![0-9/])")  # "2024/1712"
_CELEX_NUMBER = re.compile(r"^3([0-9]{4})[A-Z]{1,2}([0-9]{4})")  # 32024L1712 -> ("2024", "1712")


@dataclass
class Catalogue:
    version: str
    measures: dict[str, Measure]
    curated: list[Evidence] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @cached_property
    def by_celex(self) -> dict[str, Measure]:
        return {m.celex: m for m in self.measures.values() if m.celex}

    def get(self, measure_id: str) -> Measure:
        """The measure named by its id, its CELEX ("32024L1712") or its number ("2024/1712",
        "Directive (EU) 2024/1712"); CatalogueError when none or several match."""
        found = self.measures.get(measure_id)
        if found is not None:
            return found
        text = " ".join(measure_id.split())
        matches = [m for m in self.measures.values() if m.celex and m.celex.upper() == text.upper()]
        number = _ACT_NUMBER.search(text)
        if not matches and number:
            year, serial = number.groups()
            matches = [m for m in self.measures.values()
                       if m.celex and (n := _CELEX_NUMBER.match(m.celex)) and n.groups() == (year, serial.zfill(4))]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CatalogueError(f"{measure_id!r} names several measures ({', '.join(m.id for m in matches)}): "
                                 "give the id")
        raise CatalogueError(f"unknown measure {measure_id!r}: give an id, a CELEX (32024L1712) or a number "
                             "(2024/1712); see `compliance measures`")

    def resolve(self, values: Iterable[str]) -> list[str]:
        """The ids of the measures named by `values` (ids, CELEX numbers or act numbers; see get)."""
        ids = [self.get(v).id for v in values]
        return list(dict.fromkeys(ids))


def _yaml_load(text: str, name: str) -> Any:
    """Parse YAML without PyYAML's implicit dates, so date errors are reported per entry."""
    import yaml

    # libyaml's parser when PyYAML was built with it (ten times faster on the catalogue).
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[valid-type,misc]
        pass

    _Loader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a (C)SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}: not valid YAML: {str(exc).splitlines()[0]}") from exc


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "entry"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _entry_name(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return f"entry {raw['id']!r}"
    return f"entry #{index + 1}"


def _to_measure(spec: MeasureSpec, origin: str, where: str) -> Measure:
    exceptions: dict[str, Applicability] = {}
    for code, exc in spec.applicability.exceptions.items():
        try:
            canonical = memberstates.normalise(code)
        except CatalogueError as err:
            raise CatalogueError(f"{where}: applicability.exceptions: {err}") from None
        exceptions[canonical] = Applicability(exc.status, exc.basis, exc.verified, exc.note)
    default_basis = spec.applicability.basis
    if spec.applicability.default == "voluntary" and not default_basis:
        default_basis = "non-binding"
    return Measure(
        id=spec.id,
        title=spec.title,
        kind=spec.kind,
        celex=spec.celex,
        celex_verified=spec.celex_verified,
        strategy=spec.strategy,
        action=spec.action,
        obligations=tuple(
            Obligation(o.id, o.type, o.addressee, o.date, o.date_text, o.verified, o.article, o.note, o.act)
            for o in spec.obligations
        ),
        default_applicability=Applicability(spec.applicability.default, default_basis, True),
        exceptions=exceptions,
        sources=tuple(spec.sources),
        identifiers=dict(spec.identifiers),
        oj=spec.oj,
        adopted=spec.adopted,
        entry_into_force=spec.entry_into_force,
        promised=spec.promised,
        proposal=spec.proposal,
        verified=dict(spec.verified),
        notes=spec.notes,
        origin=origin,
    )


def _validated_entries(text: str, name: str, file_model: Any, entry_model: Any, field: str) -> tuple[Any, list]:
    """(document, [(where, entry)]) of one YAML file: the file's shape, then each entry, with
    errors and duplicate ids reported against the file and the entry."""
    from pydantic import ValidationError

    data = _yaml_load(text, name)
    if not isinstance(data, dict) or field not in data:
        found = ("a list of entries" if isinstance(data, list) else "nothing" if data is None
                 else f"the keys {', '.join(map(str, data))}" if isinstance(data, dict) else "a single value")
        raise CatalogueError(f"{name}: no top-level `{field}:` key (found {found}): the file must start with "
                             f"`{field}:` followed by its list of entries (docs/catalogue.md)")
    try:
        doc = file_model.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(f"{name}: {_describe(exc)}") from None
    entries = []
    seen: set[str] = set()
    for index, raw in enumerate(getattr(doc, field)):
        where = f"{name}: {_entry_name(raw, index)}"
        try:
            spec = entry_model.model_validate(raw)
        except ValidationError as exc:
            raise CatalogueError(f"{where}: {_describe(exc)}") from None
        if spec.id in seen:
            raise CatalogueError(f"{where}: duplicate id {spec.id!r}")
        seen.add(spec.id)
        entries.append((where, spec))
    return doc, entries


def parse_measures(text: str, name: str, origin: str) -> tuple[str | None, list[Measure]]:
    """Validate one catalogue file's text; `name` is used in error messages."""
    from .spec import CatalogueFile, MeasureSpec

    doc, entries = _validated_entries(text, name, CatalogueFile, MeasureSpec, "measures")
    return doc.version, [_to_measure(spec, origin, where) for where, spec in entries]


def parse_curated(text: str, name: str, measures: dict[str, Measure]) -> list[Evidence]:
    from .spec import CuratedFile, CuratedSpec

    doc, entries = _validated_entries(text, name, CuratedFile, CuratedSpec, "evidence")
    items: list[Evidence] = []
    for where, spec in entries:
        measure = measures.get(spec.measure)
        if measure is None:
            raise CatalogueError(f"{where}: unknown measure {spec.measure!r}")
        if spec.obligation and spec.obligation not in {o.id for o in measure.obligations}:
            if measure.origin != "built-in":
                continue  # the user replaced the measure; this curated fact no longer fits it
            raise CatalogueError(f"{where}: measure {spec.measure!r} has no obligation {spec.obligation!r}")
        for code in spec.member_states:
            if code.upper() == memberstates.EU:
                target = memberstates.EU
            else:
                try:
                    target = memberstates.normalise(code)
                except CatalogueError as err:
                    raise CatalogueError(f"{where}: {err}") from None
            items.append(
                Evidence(
                    source="curated",
                    kind=spec.kind,
                    title=spec.title,
                    url=spec.source,
                    reference=spec.reference,
                    date=spec.date,
                    date_text=spec.date_text,
                    retrieved_at=None,
                    sha256=None,
                    verified=spec.verified,
                    curated=True,
                    recorded=spec.recorded or doc.recorded,
                    stage=spec.stage,
                    member_state=target,
                    measure_id=spec.measure,
                    obligation_id=spec.obligation,
                    key=spec.id,
                )
            )
    return items


def _builtin(name: str) -> str:
    return (DATA_DIR / name).read_text("utf-8")


def _cached_builtin(cache_dir: Path) -> Builtin:
    """The validated built-in catalogue: from the cache when it is current, else parsed, validated
    and cached. Validation errors of the built-in files are raised as by load()."""
    from .cache import Builtin, cache_key, read, write

    key = cache_key()
    if key is not None:
        cached = read(cache_dir, key)
        if cached is not None:
            return cached
    version, measure_list = parse_measures(_builtin("measures.yaml"), "measures.yaml (built-in)", "built-in")
    measures = {m.id: m for m in measure_list}
    curated = parse_curated(_builtin("curated_evidence.yaml"), "curated_evidence.yaml", measures)
    builtin = Builtin(version, measures, curated)
    if key is not None:
        write(cache_dir, key, builtin)
    return builtin


@contextmanager
def _builtin_errors() -> Iterator[None]:
    """A built-in file that cannot be read or does not validate is a broken installation
    (exit 3), not a mistake in the user's input (exit 2)."""
    try:
        yield
    except BuiltinCatalogueError:
        raise
    except CatalogueError as exc:
        raise BuiltinCatalogueError(f"the built-in catalogue is broken (reinstall the tool): {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BuiltinCatalogueError(f"the built-in catalogue cannot be read (reinstall the tool): {exc}") from None


def load(extra_files: Iterable[str | Path] = (), *, cache_dir: Path | None = None) -> Catalogue:
    """The built-in catalogue, extended or overridden by the user's files, in order.

    With `cache_dir`, the validated built-in catalogue is read from (or written to) a cache
    there (see catalogue/cache.py); the user's files are validated on every call.
    """
    with _builtin_errors():
        builtin = _cached_builtin(cache_dir) if cache_dir is not None else None
        if builtin is None:
            version, measure_list = parse_measures(_builtin("measures.yaml"), "measures.yaml (built-in)", "built-in")
            measures = {m.id: m for m in measure_list}
            builtin_curated = None
    if builtin is not None:
        version, measures, builtin_curated = builtin.version, dict(builtin.measures), builtin.curated
    files = ["built-in"]
    for extra in extra_files:
        path = Path(extra)
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(f"{path}: cannot read catalogue file ({exc})") from None
        user_version, user_measures = parse_measures(text, str(path), str(path))
        for m in user_measures:
            measures[m.id] = m
        files.append(str(path))
        if user_version:
            version = f"{version}+{user_version}"
    if builtin_curated is None:
        curated = parse_curated(_builtin("curated_evidence.yaml"), "curated_evidence.yaml", measures)
    else:
        curated = _fitting(builtin_curated, measures)
    return Catalogue(version=version or "unversioned", measures=measures, curated=curated, files=files)


def _fitting(curated: list[Evidence], measures: dict[str, Measure]) -> list[Evidence]:
    """The built-in curated evidence (validated against the built-in measures) that still fits
    once the user's files are applied: what parse_curated keeps for the same measures."""
    kept = []
    for item in curated:
        measure = measures[item.measure_id or ""]
        if item.obligation_id and item.obligation_id not in {o.id for o in measure.obligations}:
            continue  # the user replaced the measure; this curated fact no longer fits it
        kept.append(item)
    return kept
