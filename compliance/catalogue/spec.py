"""The validated shape of catalogue files (pydantic models); see docs/catalogue.md.

Kept apart from catalogue/load.py so that a command served by the cached built-in catalogue (the
usual `compliance check`) never imports pydantic. User catalogue files are always validated here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

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
    act: str | None = None
    verified: bool
    note: str | None = None

    @model_validator(mode="after")
    def _date_or_text(self) -> ObligationSpec:
        if self.date is None and not self.date_text:
            raise ValueError("an obligation without a date needs date_text saying why")
        if self.act is not None and not CELEX_RE.match(self.act):
            raise ValueError(f"act {self.act!r} is not a CELEX number (e.g. 32026L0470)")
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
