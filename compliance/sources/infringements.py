"""European Commission: register of infringement decisions (one finding per decision).

The register's app (ec.europa.eu/implementing-eu-law/search-infringement-decisions/) sits on a
JSON API (sources.md §6, [V second-hand], from a public mirror script measured 16 Sep 2026):

    POST …/search-infringement-decisions/api/decisions
    body {refId, relatedPetition, petition, decisionDateFrom, decisionDateTo (DD/MM/YYYY),
          langCode: "EN", memberState, decisionCategory, infringementType, activeCase,
          pressRelease, page, size (≤ 5000 used), title, legalBasis, dg, policyArea,
          courtFinancialSanctions, order, sortColumns}
    answer {totalRows, records: [...]}

Quirks that shape this module:
  * `sortColumns` is not honoured, so paging one big result may skip or repeat rows. The
    register is read in date windows that each fit in one page (a year, split into months if a
    year holds more than PAGE_SIZE decisions), and the windows are reconciled against the
    `totalRows` the service reports for the whole span. Any mismatch makes the source "suspect".
  * No CELEX field is documented: the act concerned is parsed from `title` ("Directive (EU)
    2024/1712 …") with compliance.refs, unless a record does carry a CELEX field.
  * There are no per-case URLs (the app ignores URL parameters): `url` stays None, and the
    press release / memo / Court links are kept in `data`.
  * `memberState` is a name (the register's code for Greece is EL; GR is accepted too).
  * One Oct 2026 note reports 404 from the app and 500 from the API: any failed request makes
    the whole search "failed" (never an empty result).

One finding per (decision, catalogued measure it concerns); the rules group them by
`reference` (the case number) and treat a case whose latest decision is a closure as closed.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from .. import memberstates
from ..clock import utcnow
from ..errors import BlockedError, ParseError, SourceError
from ..refs import Reference, extract
from . import SOURCES
from .base import CoverageItem, FoundItem, SourceContext, SourceResult

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["infringements"]
ENDPOINT_NAME = "INFRINGEMENTS"
DEFAULT_ENDPOINT = "https://ec.europa.eu/implementing-eu-law/search-infringement-decisions/api/decisions"
REGISTER_PAGE = (
    "https://ec.europa.eu/implementing-eu-law/search-infringement-decisions/?typeOfSearch=byDecision&langCode=EN"
)

PAGE_SIZE = 5000  # the largest page size the mirror script used (sources.md §6)
PROBE_SIZE = 10  # the request that only reads `totalRows` for the whole span [I: small sizes assumed accepted]
MAX_PAGES = 20  # per window, when a month still holds more than PAGE_SIZE decisions
FAR_FUTURE = date(2100, 12, 31)  # a decision dated after today (data-entry error) must not escape every window

STAGES = ("letter-of-formal-notice", "reasoned-opinion", "referral", "closure")
# The acts a directive/regulation measure can be infringed on (coverage is only given for these).
COVERED_KINDS = ("directive", "regulation")

_CELEX_ACT = re.compile(r"^3[0-9]{4}[LRDFH][0-9]{4}$")
_DMY = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:\s.*)?$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T\s].*)?$")
# What may stand between two acts of one list in a title: "Directives 2011/36/EU and 2012/29/EU",
# "Directive X, Directive Y and Regulation Z". Anything else ("amending", "repealing") ends the list.
_LIST_GAP = re.compile(r"[\s,;&/+]*(?:(?:and|or|as well as)\b[\s,]*)?", re.I)
_CHALLENGE_MARKERS = ("cf-chl", "challenge-platform", "awswafcookiedomainlist", "gokuprops", "captcha",
                      "request rejected", "access denied")
# Names the register may use for a Member State besides data/member_states.yaml's `name`.
_NAME_ALIASES = {
    "czech republic": "CZ", "the netherlands": "NL", "slovak republic": "SK", "luxemburg": "LU",
    "hellenic republic": "EL", "republic of cyprus": "CY", "the czech republic": "CZ",
}
# Former or non-EU states that appear in the register (skipped, and counted in the reason).
_NOT_EU = {"united kingdom", "uk", "gb", "gbr"}


# --- the request -----------------------------------------------------------------------------


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def query_body(date_from: date | None, date_to: date | None, *, page: int = 0,
               size: int | None = None) -> dict[str, Any]:
    """The documented search body: every field sent, unused ones as null (as the app does).

    `order`/`sortColumns` carry the values the mirror script sent (accepted by the service; the
    sort itself is not honoured, hence the date windows).
    """
    size = PAGE_SIZE if size is None else size  # read at call time: tests shrink PAGE_SIZE
    if page < 0 or not 1 <= size <= max(PAGE_SIZE, PROBE_SIZE):
        raise ValueError(f"bad paging: page={page}, size={size}")
    return {
        "refId": None, "relatedPetition": None, "petition": None,
        "decisionDateFrom": dmy(date_from) if date_from else None,
        "decisionDateTo": dmy(date_to) if date_to else None,
        "langCode": "EN", "memberState": None, "decisionCategory": None, "infringementType": None,
        "activeCase": None, "pressRelease": None, "page": page, "size": size, "title": None,
        "legalBasis": None, "dg": None, "policyArea": None, "courtFinancialSanctions": None,
        "order": "asc", "sortColumns": "leadDg",
    }


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{dmy(self.start)}-{dmy(self.end)}"

    def months(self) -> list[Window]:
        """The window cut into calendar months (for a year that holds more than one page)."""
        out = []
        y, m = self.start.year, self.start.month
        while date(y, m, 1) <= self.end:
            first = max(self.start, date(y, m, 1))
            last = min(self.end, date(y, m, calendar.monthrange(y, m)[1]))
            out.append(Window(first, last))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def year_windows(start: date, today: date) -> list[Window]:
    """One window per calendar year from `start` to this year, then one for later dates."""
    windows = [Window(max(start, date(y, 1, 1)), date(y, 12, 31)) for y in range(start.year, today.year + 1)]
    windows.append(Window(date(today.year + 1, 1, 1), FAR_FUTURE))
    return windows


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class Decision:
    """One decision of the register, parsed; `record` keeps the payload's own fields."""

    number: str
    decision_date: date
    decision_type: str
    stage: str | None
    article: str | None
    additional: bool
    member_state: str | None  # EU code; None for a state that is not (or no longer) a Member State
    member_state_raw: str
    non_communication: bool | None
    active: bool | None
    title: str | None
    celex: list[str]  # the act(s) the case concerns
    cited: list[str]  # every act the title cites
    celex_from: str  # "field" | "title" | "none"
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """case number + stage + decision date (the register's natural key, with the stage)."""
        stage = self.stage or "other-" + (_slug(self.decision_type) or "decision")
        return f"{self.number}|{stage}|{self.decision_date.isoformat()}"

    def data(self) -> dict[str, Any]:
        return {
            "infringement_number": self.number,
            "decision_date": self.decision_date.isoformat(),
            "decision_type": self.decision_type,
            "stage": self.stage,
            "treaty_article": self.article,
            "additional": self.additional,
            "member_state": self.member_state,
            "member_state_raw": self.member_state_raw,
            "non_communication": self.non_communication,
            "active_case": self.active,
            "case_title": self.title,
            "celex": self.celex,
            "cited_celex": self.cited,
            "celex_from": self.celex_from,
            "record": self.record,
        }


@dataclass
class RegisterPage:
    total: int
    decisions: list[Decision]
    problems: list[str]  # records that could not be read (skipped, said in the reason)
    problem_celex: set[str]  # acts cited by records that could not be read
    not_eu: int = 0
    rows: int = 0


def decode(body: bytes, what: str = "infringement register") -> str:
    if not body or not body.strip():
        raise SourceError(f"{what}: empty body where JSON was expected")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: body is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def check_body(text: str, what: str = "infringement register") -> None:
    """Raise for an answer that is not the register's data: a bot wall, an HTML page, an error."""
    head = text.lstrip()[:4000].lower()
    if head.startswith("<"):
        if any(m in head for m in _CHALLENGE_MARKERS):
            raise BlockedError(f"{what}: a bot challenge or access-denied page came back instead of JSON")
        raise SourceError(
            f"{what}: an HTML page came back instead of JSON (the app page or an error page; the API is "
            "reported to answer 404/500 at times)"
        )


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ParseError(f"{what}: JSON nested too deeply") from None


def _error_envelope(doc: dict[str, Any], what: str) -> None:
    """{"status": 500, "error": "...", "message": "..."} or {"error": ...} without data: a failure."""
    if "totalRows" in doc or "records" in doc:
        return
    parts = [str(doc[k]) for k in ("status", "error", "message", "detail", "title") if doc.get(k) not in (None, "")]
    if parts:
        raise SourceError(f"{what}: the service answered with an error: {' '.join(parts)[:300]}")


def _total(value: Any, what: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{what}: totalRows is missing or not a number ({value!r})")
    if isinstance(value, int):
        total = value
    elif isinstance(value, str) and value.strip().isdigit():
        total = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        total = int(value)
    else:
        raise ParseError(f"{what}: totalRows is not a whole number ({value!r})")
    if total < 0:
        raise ParseError(f"{what}: negative totalRows ({total})")
    return total


def parse_envelope(body: bytes, what: str = "infringement register") -> tuple[int | None, list[Any]]:
    """(totalRows, records) of one answer; totalRows is None for a bare list (a saved export)."""
    text = decode(body, what)
    check_body(text, what)
    doc = _load_json(text, what)
    if isinstance(doc, list):
        return None, doc
    if not isinstance(doc, dict):
        raise ParseError(f"{what}: expected a JSON object {{totalRows, records}}, got {type(doc).__name__}")
    _error_envelope(doc, what)
    if "records" not in doc:
        raise ParseError(f"{what}: no 'records' in the answer (keys: {', '.join(sorted(map(str, doc))[:8])})")
    records = doc["records"]
    if records is None:
        records = []
    if not isinstance(records, list):
        raise ParseError(f"{what}: 'records' is not a list")
    return _total(doc.get("totalRows"), what), records


def normalise(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def parse_date(value: Any) -> date | None:
    """DD/MM/YYYY (documented), also ISO YYYY-MM-DD[T…]; None when neither."""
    text = normalise(value)
    try:
        if m := _DMY.match(text):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _ISO.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return None


def parse_flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False,
            "0": False}.get(normalise(value).lower())


def stage_of(decision_type: str) -> tuple[str | None, str | None, bool]:
    """(stage, treaty article, additional) of a `decisionType` text or category code.

    The regexes follow jfjelstul/euip data-raw/code/01_decisions.R (closing, withdrawal, formal
    notice / reasoned opinion / referral × Art. 258 (226 EC) / 260 (228 EC), "additional").
    An additional reasoned opinion is a reasoned opinion; a referral under Art. 260 (with
    fines) is a referral. A withdrawal (of a referral) has no stage of its own: None.
    """
    text = normalise(decision_type).lower()
    article = None
    if m := re.search(r"\b(258|260|226|228)\b", text):
        article = {"226": "258", "228": "260"}.get(m.group(1), m.group(1))
    additional = "additional" in text
    code = text.upper()
    if re.search(r"\bclos(?:e|ed|ing|ure|ures)\b", text) or code in ("CLOSURE", "CLOSURES", "CLOS"):
        return "closure", article, additional
    if "withdraw" in text:
        return None, article, additional
    if re.search(r"\brefer(?:ral|red|s)?\b", text) or code in ("RTC", "REF"):
        return "referral", article, additional
    if "reasoned opinion" in text or code in ("RO", "ARO"):
        return "reasoned-opinion", article, additional
    if "formal notice" in text or code in ("LFN", "ALFN", "AFN"):
        return "letter-of-formal-notice", article, additional
    return None, article, additional


def member_state_code(value: Any) -> str | None:
    """EU code for the register's `memberState` (a name; EL or GR for Greece also accepted)."""
    text = normalise(value)
    if not text:
        return None
    low = text.lower()
    if low in _NAME_ALIASES:
        return _NAME_ALIASES[low]
    for ms in memberstates.member_states():
        if ms.name.lower() == low:
            return ms.code
    if len(text) in (2, 3) and low not in _NOT_EU:
        ms = memberstates.lookup(text)
        return ms.code if ms else None
    return None


def _celex_field(record: dict[str, Any]) -> list[str]:
    """A CELEX the record carries itself (not documented; used first when present)."""
    found: list[str] = []
    for key, value in record.items():
        if "celex" not in str(key).lower():
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            text = normalise(v).upper().removeprefix("CELEX:")
            if _CELEX_ACT.match(text) and text not in found:
                found.append(text)
    return found


def concerned_acts(title: str) -> tuple[list[str], list[str]]:
    """(the act(s) a case title is about, every act it cites), as CELEX.

    The first act cited is the one concerned, together with acts listed right after it
    ("Directives 2011/36/EU and 2012/29/EU"); acts after other words ("… amending Directive
    2011/36/EU") are the ones it modifies, so they are only kept as cited.
    """
    refs: list[Reference] = extract(title)
    cited = list(dict.fromkeys(r.celex for r in refs))
    if not refs:
        return [], []
    concerned = [refs[0].celex]
    for prev, ref in zip(refs, refs[1:], strict=False):
        if not _LIST_GAP.fullmatch(title[prev.end:ref.start]):
            break
        if ref.celex not in concerned:
            concerned.append(ref.celex)
    return concerned, cited


def parse_decision(raw: Any) -> Decision:
    """One record of `records`; ParseError when a field the rules need is missing or malformed."""
    if not isinstance(raw, dict):
        raise ParseError(f"a record is {type(raw).__name__}, not an object")
    number = normalise(raw.get("infringementNumber"))
    if not number:
        raise ParseError("a record has no infringementNumber")
    when = parse_date(raw.get("decisionDate"))
    if when is None:
        raise ParseError(f"{number}: decisionDate {raw.get('decisionDate')!r} is not a DD/MM/YYYY date")
    decision_type = normalise(raw.get("decisionType"))
    if not decision_type:
        raise ParseError(f"{number}: no decisionType")
    ms_raw = normalise(raw.get("memberState"))
    if not ms_raw:
        raise ParseError(f"{number}: no memberState")
    stage, article, additional = stage_of(decision_type)
    title = normalise(raw.get("title")) or None
    celex = _celex_field(raw)
    cited: list[str] = []
    source = "field" if celex else "none"
    if title:
        concerned, cited = concerned_acts(title)
        if not celex and concerned:
            celex, source = concerned, "title"
    non_comm = parse_flag(raw.get("nonCommunicationCase"))
    if non_comm is None and normalise(raw.get("caseType")):
        non_comm = "non-communication" in normalise(raw.get("caseType")).lower()
    return Decision(
        number=number, decision_date=when, decision_type=decision_type, stage=stage, article=article,
        additional=additional, member_state=member_state_code(ms_raw), member_state_raw=ms_raw,
        non_communication=non_comm, active=parse_flag(raw.get("activeInfringementCase")), title=title,
        celex=celex, cited=cited, celex_from=source, record=raw,
    )


def parse_decisions(body: bytes, what: str = "infringement register") -> RegisterPage:
    """Parse one answer of api/decisions (or a saved list of records).

    Records that cannot be read are skipped and listed in `problems` (with the acts their title
    cites, so that the measures concerned can be marked suspect); a body that is not the
    register's answer raises ParseError / SourceError / BlockedError.
    """
    total, records = parse_envelope(body, what)
    page = RegisterPage(total=total if total is not None else len(records), decisions=[], problems=[],
                        problem_celex=set(), rows=len(records))
    for index, raw in enumerate(records):
        try:
            decision = parse_decision(raw)
        except ParseError as exc:
            page.problems.append(f"record {index}: {exc}")
            if isinstance(raw, dict):
                page.problem_celex.update(_celex_field(raw))
                title = raw.get("title")
                if isinstance(title, str):
                    page.problem_celex.update(concerned_acts(title)[1])
            continue
        if decision.member_state is None:
            page.not_eu += 1
        page.decisions.append(decision)
    return page


# --- findings --------------------------------------------------------------------------------


def decision_item(decision: Decision, measure: Measure, fetch: FetchResult | None) -> FoundItem:
    return FoundItem(
        key=decision.key,
        kind="infringement",
        measure_id=measure.id,
        member_state=decision.member_state,
        celex=measure.celex,
        date=decision.decision_date,
        title=decision.title or f"{decision.decision_type} in case {decision.number}",
        reference=decision.number,
        url=None,  # the register has no page per case or decision (sources.md §6)
        stage=decision.stage,
        data=decision.data(),
        fetch=fetch,
    )


def _targets(ctx: SourceContext) -> list[str] | None:
    if not ctx.member_states:
        return None
    known = set(memberstates.codes())
    return [c for c in ctx.member_states if c in known]


def _coverage(measure_id: str, targets: list[str] | None, status: str, reason: str | None,
              fetch: FetchResult | None = None) -> list[CoverageItem]:
    states = ["*"] if targets is None else targets
    return [CoverageItem(measure_id, status, state, reason, fetch) for state in states]


def _measure_start(measure: Measure) -> date:
    """From when decisions about a measure can exist: its adoption, else its CELEX year."""
    if measure.adopted:
        return date(measure.adopted.year, 1, 1)
    return date(int((measure.celex or "32000")[1:5]), 1, 1)


@dataclass
class _Sweep:
    """What reading the register window by window gave."""

    decisions: dict[tuple[str, str, str], tuple[Decision, FetchResult]] = field(default_factory=dict)
    fetches: list[FetchResult] = field(default_factory=list)
    window_total: int = 0
    pages: int = 0
    problems: list[str] = field(default_factory=list)
    problem_celex: set[str] = field(default_factory=set)
    health: list[str] = field(default_factory=list)  # reasons to call the result suspect
    not_eu: int = 0


def _post(ctx: SourceContext, url: str, body: dict[str, Any]) -> FetchResult:
    if ctx.http is None:
        raise SourceError("infringements: no HTTP client (import mode cannot query the register)",
                          status="unavailable")
    return ctx.http.post(INFO.name, url, json=body, headers={"Accept": "application/json"})


def _read_window(ctx: SourceContext, url: str, window: Window, sweep: _Sweep, *, split: bool = True) -> None:
    """Read every decision dated within `window`, checking its count against `totalRows`."""
    fetch = _post(ctx, url, query_body(window.start, window.end, page=0))
    sweep.fetches.append(fetch)
    page = parse_decisions(fetch.body, f"infringement register {window.label}")
    if page.total > PAGE_SIZE and split and len(window.months()) > 1:
        ctx.progress(f"infringements: {window.label}: {page.total} decisions, reading month by month")
        for month in window.months():
            _read_window(ctx, url, month, sweep, split=False)
        return
    sweep.window_total += page.total
    seen: dict[tuple[str, str, str], tuple[Decision, FetchResult]] = {}
    pages = [(page, fetch)]
    number = 0
    while sum(p.rows for p, _ in pages) < page.total:
        number += 1
        if number >= MAX_PAGES:
            sweep.health.append(f"{window.label}: still short of {page.total} decisions after {MAX_PAGES} pages")
            break
        more = _post(ctx, url, query_body(window.start, window.end, page=number))
        sweep.fetches.append(more)
        next_page = parse_decisions(more.body, f"infringement register {window.label} page {number}")
        if not next_page.rows:
            break
        pages.append((next_page, more))
    for p, f in pages:
        sweep.pages += 1
        sweep.problems.extend(f"{window.label}: {x}" for x in p.problems)
        sweep.problem_celex |= p.problem_celex
        outside = 0
        for d in p.decisions:
            if not window.start <= d.decision_date <= window.end:
                outside += 1
            seen.setdefault((d.number, d.decision_date.isoformat(), d.decision_type), (d, f))
        if outside:
            sweep.health.append(f"{window.label}: {outside} decision(s) dated outside the window asked for "
                                "(the date filter was not applied?)")
    read = len(seen) + sum(len(p.problems) for p, _ in pages)
    if read != page.total:
        sweep.health.append(f"{window.label}: the register reported {page.total} decisions, {read} distinct "
                            "ones were read")
    for key, value in seen.items():
        if key in sweep.decisions:
            sweep.health.append(f"decision {key[0]} of {key[1]} came back in two windows")
            continue
        sweep.decisions[key] = value
        if value[0].member_state is None:
            sweep.not_eu += 1


def sweep_register(ctx: SourceContext, url: str, start: date, today: date) -> tuple[_Sweep, FetchResult]:
    """Read the register from `start` on, window by window; SourceError/ParseError on a failure."""
    probe = _post(ctx, url, query_body(start, FAR_FUTURE, page=0, size=min(PROBE_SIZE, PAGE_SIZE)))
    total = parse_decisions(probe.body, "infringement register (total)").total
    sweep = _Sweep(fetches=[probe])
    for window in year_windows(start, today):
        ctx.progress(f"infringements: decisions of {window.label}")
        _read_window(ctx, url, window, sweep)
    if sweep.window_total != total:
        sweep.health.append(
            f"the register reports {total} decisions from {dmy(start)} on, but its date windows add up to "
            f"{sweep.window_total}"
        )
    if total == 0:
        sweep.health.append(f"the register reports no decision at all from {dmy(start)} on")
    return sweep, probe


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the register for every decision since the oldest selected act; match them by CELEX."""
    result = SourceResult()
    targets = _targets(ctx)
    selected = [m for m in ctx.measures() if m.celex]
    covered = [m for m in selected if m.kind in COVERED_KINDS]
    if not covered:
        result.reason = "no selected directive or regulation with a CELEX number"
        return result
    if targets == []:
        result.reason = "no EU Member State selected"
        return result
    today = utcnow().date()
    start = min(_measure_start(m) for m in covered)
    url = endpoint(ctx)
    try:
        sweep, probe = sweep_register(ctx, url, start, today)
    except (SourceError, ParseError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        reason = f"infringement register search failed: {exc}"
        if isinstance(exc, ParseError):
            reason = f"infringement register: unexpected payload: {exc}"
        result.status, result.reason = status, reason
        for measure in covered:
            result.coverage.extend(_coverage(measure.id, targets, status, reason))
        return result

    result.fetches.extend(sweep.fetches)
    by_celex = {m.celex: m for m in selected}
    per_measure: dict[str, int] = {}
    for decision, fetch in sweep.decisions.values():
        if decision.member_state is None or (targets is not None and decision.member_state not in targets):
            continue
        for celex in decision.celex:
            measure = by_celex.get(celex)
            if measure is None:
                continue
            result.findings.append(decision_item(decision, measure, fetch))
            per_measure[measure.id] = per_measure.get(measure.id, 0) + 1

    notes = []
    if sweep.not_eu:
        notes.append(f"{sweep.not_eu} decision(s) concern states that are not EU Member States (skipped)")
    if sweep.problems:
        notes.append(f"{len(sweep.problems)} record(s) could not be read: " + "; ".join(sweep.problems[:5]))
    summary = (f"searched {len(sweep.decisions)} decisions dated from {dmy(start)} on in "
               f"{sweep.pages} page(s)")
    status = "suspect" if sweep.health else "ok"
    for measure in covered:
        m_status, reason = status, f"{summary}; {per_measure.get(measure.id, 0)} decision(s) on {measure.celex}"
        if sweep.health:
            reason = "register counts do not reconcile: " + "; ".join(sweep.health[:5])
        elif measure.celex in sweep.problem_celex:
            m_status = "suspect"
            reason = f"a record citing {measure.celex} could not be read; " + reason
        result.coverage.extend(_coverage(measure.id, targets, m_status, "; ".join([reason, *notes]), probe))
    if sweep.health:
        result.status = "suspect"
        result.reason = "infringement register counts do not reconcile: " + "; ".join(sweep.health[:5])
    else:
        result.reason = "; ".join([summary, *notes])
    ctx.progress(f"infringements: {result.status}: {result.reason}")
    return result


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved api/decisions answer ({totalRows, records}) or a list of records.

    Imports give findings only, never coverage: a saved search cannot prove that a case does not
    exist. `fetch` is None; refresh.py attaches the file's own provenance.
    """
    page = parse_decisions(body, name)
    candidates = [m for m in (ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()) if m.celex]
    by_celex = {m.celex: m for m in candidates}
    targets = _targets(ctx)
    result = SourceResult()
    unmatched = 0
    for decision in page.decisions:
        matched = [by_celex[c] for c in decision.celex if c in by_celex]
        if not matched:
            unmatched += 1
            continue
        if decision.member_state is None or (targets is not None and decision.member_state not in targets):
            continue
        for measure in matched:
            result.findings.append(decision_item(decision, measure, None))
    notes = []
    if page.rows != page.total:
        notes.append(f"the file says totalRows={page.total} but holds {page.rows} record(s): a partial export")
    if unmatched:
        notes.append(f"{unmatched} decision(s) concern no catalogued act" + (" selected" if ctx.measure_ids else ""))
    if page.not_eu:
        notes.append(f"{page.not_eu} decision(s) concern states that are not EU Member States (skipped)")
    if page.problems:
        notes.append(f"{len(page.problems)} record(s) could not be read: " + "; ".join(page.problems[:5]))
    if page.decisions and unmatched == len(page.decisions):
        raise ParseError(f"{name}: none of the {unmatched} decision(s) concerns a catalogued act"
                         + (" selected with --measure" if ctx.measure_ids else ""))
    result.reason = "; ".join(notes) or None
    return result
