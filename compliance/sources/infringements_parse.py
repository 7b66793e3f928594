"""Pure parsing for the infringement register source: request bodies and date windows in, decisions out.

Nothing here touches the network or the store. Bad input raises `ParseError` (one line); a body that
is an HTML page, a bot wall or an error envelope raises `SourceError` / `BlockedError`, so that a
failed register can never look like "no infringement". Formats: ../shared/reference/sources.md §6.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..catalogue import memberstates
from ..errors import BlockedError, ParseError, SourceError
from ..refs import Reference, extract

PAGE_SIZE = 5000  # the largest page size the mirror script used (sources.md §6)
PROBE_SIZE = 10  # the request that only reads `totalRows` for the whole span [I: small sizes assumed accepted]
FAR_FUTURE = date(2100, 12, 31)  # a decision dated after today (data-entry error) must not escape every window

STAGES = ("letter-of-formal-notice", "reasoned-opinion", "referral", "closure")

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


def dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def query_body(date_from: date | None, date_to: date | None, *, page: int = 0,
               size: int | None = None) -> dict[str, Any]:
    """The documented search body: every field sent, unused ones as null (as the app does).

    `order`/`sortColumns` carry the values the mirror script sent (accepted by the service; the
    sort itself is not honoured, hence the date windows).
    """
    size = PAGE_SIZE if size is None else size
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
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):  # not isdigit(): "¹" is a digit
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
