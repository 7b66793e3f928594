"""Load and strictly validate the measure catalogue and the curated evidence.

The built-in catalogue is `compliance/data/measures.yaml`; users extend or override it with
files in the same format (docs/catalogue.md). Every problem is reported as a CatalogueError
naming the file and the entry, never as a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from . import memberstates
from .errors import CatalogueError
from .model import Applicability, Evidence, Measure, Obligation

SLUG = r"^[a-z0-9][a-z0-9-]*$"
CELEX_RE = re.compile(r"^[0-9CE][0-9]{4}[A-Z]{1,2}[0-9]{4}(?:\([0-9]{2}\))?$")


def _iso_date(value: Any) -> Any:
    """Accept only real ISO dates (YYYY-MM-DD); pydantic alone would take integers."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a valid date: {value!r}") from exc
    raise ValueError(f"expected an ISO date YYYY-MM-DD, got {value!r}")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObligationSpec(_Strict):
    id: str = Field(pattern=SLUG)
    type: Literal[
        "transposition",
        "application",
        "designation",
        "national-strategy",
        "ratification",
        "proposal",
        "consultation",
        "other",
    ]
    addressee: Literal["member-states", "commission"]
    date: IsoDate | None = None
    date_text: str | None = None
    article: str | None = None
    verified: bool
    note: str | None = None

    @model_validator(mode="after")
    def _date_or_text(self) -> ObligationSpec:
        if self.date is None and not self.date_text:
            raise ValueError("an obligation without a date needs date_text saying why")
        return self


ApplicabilityStatus = Literal["bound", "not-bound", "unknown", "voluntary"]


class ExceptionSpec(_Strict):
    status: ApplicabilityStatus
    basis: str
    note: str | None = None
    verified: bool


class ApplicabilitySpec(_Strict):
    default: ApplicabilityStatus = "bound"
    basis: str | None = None
    exceptions: dict[str, ExceptionSpec] = Field(default_factory=dict)


Kind = Literal[
    "directive",
    "regulation",
    "recommendation",
    "convention",
    "commission-deliverable",
    "non-legislative",
]


class MeasureSpec(_Strict):
    id: str = Field(pattern=SLUG)
    title: str
    kind: Kind
    celex: str | None = None
    celex_verified: bool = False
    identifiers: dict[str, str] = Field(default_factory=dict)
    oj: str | None = None
    adopted: IsoDate | None = None
    entry_into_force: IsoDate | None = None
    strategy: Literal["oc", "thb", "both", "related", "user"]
    action: str
    obligations: list[ObligationSpec] = Field(default_factory=list)
    applicability: ApplicabilitySpec = Field(default_factory=ApplicabilitySpec)
    promised: str | None = None
    proposal: str | None = None
    sources: list[str] = Field(min_length=1)
    verified: dict[str, bool] = Field(default_factory=dict)
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_watch_entry(cls, data: Any) -> Any:
        """A user may watch an act by CELEX alone: fill what can be derived from the CELEX."""
        if isinstance(data, dict) and data.get("celex") and "kind" not in data:
            letter = re.sub(r"^[0-9]{5}", "", str(data["celex"]))[:1]
            kind = {"L": "directive", "R": "regulation", "H": "recommendation"}.get(letter)
            if kind:
                data = {**data, "kind": kind}
        if isinstance(data, dict) and data.get("celex"):
            data = {
                "title": f"CELEX {data['celex']} (title to be filled from CELLAR)",
                "strategy": "user",
                "action": "watched by the user",
                **data,
            }
        return data

    @model_validator(mode="after")
    def _check(self) -> MeasureSpec:
        if self.celex is not None and not CELEX_RE.match(self.celex):
            raise ValueError(f"celex {self.celex!r} is not a CELEX number (e.g. 32011L0036)")
        ids = [o.id for o in self.obligations]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate obligation ids: {', '.join(dupes)}")
        return self


class CatalogueFile(_Strict):
    version: str | None = None
    measures: list[dict[str, Any]]


class CuratedSpec(_Strict):
    id: str = Field(pattern=SLUG)
    measure: str
    member_states: list[str] = Field(min_length=1)
    kind: Literal["infringement", "notification", "ratification", "signature", "proposal", "adoption"]
    stage: (
        Literal["letter-of-formal-notice", "reasoned-opinion", "referral", "closure"] | None
    ) = None
    date: IsoDate | None = None
    date_text: str | None = None
    reference: str | None = None
    title: str
    source: str
    verified: bool
    recorded: IsoDate | None = None
    obligation: str | None = None

    @model_validator(mode="after")
    def _check(self) -> CuratedSpec:
        if self.date is None and not self.date_text:
            raise ValueError("an item without a date needs date_text")
        if (self.kind == "infringement") != (self.stage is not None):
            raise ValueError("stage is required for infringements and only for them")
        return self


class CuratedFile(_Strict):
    recorded: IsoDate
    evidence: list[dict[str, Any]]


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
        try:
            return self.measures[measure_id]
        except KeyError:
            raise CatalogueError(f"unknown measure {measure_id!r} (see `compliance measures`)") from None


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
            Obligation(o.id, o.type, o.addressee, o.date, o.date_text, o.verified, o.article, o.note)
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


def parse_measures(text: str, name: str, origin: str) -> tuple[str | None, list[Measure]]:
    """Validate one catalogue file's text; `name` is used in error messages."""
    data = _yaml_load(text, name)
    try:
        doc = CatalogueFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(f"{name}: {_describe(exc)}") from None
    measures: list[Measure] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc.measures):
        where = f"{name}: {_entry_name(raw, index)}"
        try:
            spec = MeasureSpec.model_validate(raw)
        except ValidationError as exc:
            raise CatalogueError(f"{where}: {_describe(exc)}") from None
        if spec.id in seen:
            raise CatalogueError(f"{where}: duplicate id {spec.id!r}")
        seen.add(spec.id)
        measures.append(_to_measure(spec, origin, where))
    return doc.version, measures


def parse_curated(text: str, name: str, measures: dict[str, Measure]) -> list[Evidence]:
    data = _yaml_load(text, name)
    try:
        doc = CuratedFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(f"{name}: {_describe(exc)}") from None
    items: list[Evidence] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc.evidence):
        where = f"{name}: {_entry_name(raw, index)}"
        try:
            spec = CuratedSpec.model_validate(raw)
        except ValidationError as exc:
            raise CatalogueError(f"{where}: {_describe(exc)}") from None
        if spec.id in seen:
            raise CatalogueError(f"{where}: duplicate id {spec.id!r}")
        seen.add(spec.id)
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
    return resources.files("compliance.data").joinpath(name).read_text("utf-8")


def load(extra_files: Iterable[str | Path] = ()) -> Catalogue:
    """The built-in catalogue, extended or overridden by the user's files, in order."""
    version, builtin = parse_measures(_builtin("measures.yaml"), "measures.yaml (built-in)", "built-in")
    measures = {m.id: m for m in builtin}
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
    curated = parse_curated(_builtin("curated_evidence.yaml"), "curated_evidence.yaml", measures)
    return Catalogue(version=version or "unversioned", measures=measures, curated=curated, files=files)
