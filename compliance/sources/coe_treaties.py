"""Council of Europe Treaty Office: signatures and ratifications of conventions (CETS 211, Medicrime).

Every catalogued measure with `identifiers: {cets: "NNN"}` is read from the Treaty Office's JSON
web service (sources.md §5, [V second-hand] from several public scrapers):

    GET https://conventions-ws.coe.int/WS_LFRConventions/api/signatures?numSTE=211&langue=ENG
    header  token: <the anonymous key the public page gives every browser>

The key is never stored in this code: it is read at run time from COMPLIANCE_COE_TOKEN, else
from the public treaty page, whose source carries it as `window.conventions_api_key='…'`. No
key -> the source is "unavailable", with the reason.

The chart is an outer list of three buckets (CoE member states, non-member states,
international organisations), each a list of rows such as (a real row quoted in public notes)
    {"CodePays":"BUL","LibPaysOrga":"Bulgaria","NumSTE":"148","DateSignature":null,
     "DateConsentement":null,"DateEntreeVigueur":null}
plus DateDenonciation, DateEffetDenonciation, DateSuspension and the R/D/A/T/C/O flags
(Reserves, Declarations, Autorites, Territoires, Communications, Objections). `CodePays` is the
Treaty Office's own code ("BUL", not ISO "BGR"), so rows are matched to EU Member States by
their English name (`langue=ENG`) first. The chart lists every CoE member state, signatory or
not, so every EU Member State should appear; one that does not is "suspect", never "not ratified".

[I] Exact key names other than those above, and the date format (ISO "2011-10-28T00:00:00" is
assumed, "/Date(ms)/" and DD/MM/YYYY are accepted too) are unconfirmed: capture a real chart.
Some Linux TLS stacks need `DEFAULT@SECLEVEL=1` ciphers to talk to conventions-ws.coe.int.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..catalogue import memberstates
from ..clock import utcnow
from ..errors import BlockedError, ParseError, SourceError
from . import SOURCES
from .base import CoverageItem, FoundItem, SourceContext, SourceResult

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["coe-treaties"]
ENDPOINT_NAME = "COE_TREATIES"
DEFAULT_ENDPOINT = "https://conventions-ws.coe.int/WS_LFRConventions/"
# The public page whose source carries the anonymous key ({cets} is filled in).
PAGE_ENDPOINT_NAME = "COE_TREATIES_PAGE"
DEFAULT_PAGE = "https://www.coe.int/en/web/conventions/full-list?module=signatures-by-treaty&treatynum={cets}"
TOKEN_ENV = "COMPLIANCE_COE_TOKEN"

BUCKETS = ("member-states", "non-member-states", "organisations")
FLAGS = {"R": "Reserves", "D": "Declarations", "A": "Autorites", "T": "Territoires", "C": "Communications",
         "O": "Objections"}
DATE_FIELDS = {
    "signature": "DateSignature",
    "consent": "DateConsentement",  # ratification, acceptance, approval or accession
    "entry_into_force": "DateEntreeVigueur",
    "denunciation": "DateDenonciation",
    "denunciation_effect": "DateEffetDenonciation",
    "suspension": "DateSuspension",
}

_KEY_RE = re.compile(r"""window\.conventions_api_key\s*=\s*(["'])([^"'\s]{1,200})\1""")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-.]{8,128}$")
_CETS_RE = re.compile(r"^\s*(?:C?ETS\s*(?:No\.?\s*)?)?0*([0-9]{1,3})\s*$", re.I)
_MS_DATE_RE = re.compile(r"^/Date\((-?[0-9]{1,15})([+-][0-9]{4})?\)/$")
_ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T\s].*)?$")
_DMY_RE = re.compile(r"^([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})$")
_CHALLENGE_MARKERS = ("cf-chl", "challenge-platform", "just a moment", "captcha", "attention required")
# English names the chart may use besides data/member_states.yaml's; CoE codes seen in real rows.
_NAME_ALIASES = {"czech republic": "CZ", "slovak republic": "SK", "the netherlands": "NL",
                 "republic of cyprus": "CY", "hellenic republic": "EL"}
_COE_CODES = {"BUL": "BG"}


def endpoint(ctx: SourceContext) -> str:
    base = ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)
    return base if base.endswith("/") else base + "/"


def chart_page(cets: str) -> str:
    """The human-facing chart (a React app), cited as the findings' URL."""
    return DEFAULT_PAGE.format(cets=cets)


def normalise_cets(value: Any) -> str:
    """'211', 'CETS 211', 'ETS No. 5' -> the Treaty Office's 3-digit form ('211', '005')."""
    m = _CETS_RE.match(str(value)) if isinstance(value, str | int) else None
    if not m:
        raise ValueError(f"not a CETS number: {value!r}")
    return f"{int(m.group(1)):03d}"


# --- the token -------------------------------------------------------------------------------


def token_from_page(text: str) -> str | None:
    """The anonymous key in the page source (`window.conventions_api_key='…'`), or None."""
    m = _KEY_RE.search(text)
    if m and _TOKEN_RE.match(m.group(2)):
        return m.group(2)
    return None


REFUSED = "the service refused the token"


def get_token(ctx: SourceContext, cets: str, *, fresh: bool = False) -> tuple[str, str, bool]:
    """(token, where it came from, whether it is the last run's: the page answered 304);
    SourceError(status="unavailable") when none can be had.

    The page is asked for conditionally: a 304 says it, and so the key in it, is what the last run
    read (the archived body). `fresh` asks unconditionally, for when the service refused that key.
    The token itself never reaches a message, a log line or a request record (http.py redacts
    the `token` header).
    """
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env, f"environment variable {TOKEN_ENV}", False
    if ctx.http is None:
        raise SourceError(f"no Treaty Office token: set {TOKEN_ENV}", status="unavailable")
    page = ctx.settings.endpoint(PAGE_ENDPOINT_NAME, DEFAULT_PAGE).replace("{cets}", cets)
    try:
        fetch = ctx.http.get(INFO.name, page, headers={"Accept": "text/html"}, conditional=not fresh)
    except SourceError as exc:
        raise SourceError(
            f"no Treaty Office token: the public page could not be read ({exc}); set {TOKEN_ENV} to the "
            "page's window.conventions_api_key", status="unavailable",
        ) from None
    token = token_from_page(fetch.text(errors="replace"))
    if token is None:
        raise SourceError(
            f"no Treaty Office token: {fetch.url} no longer carries window.conventions_api_key (or is a bot "
            f"challenge); set {TOKEN_ENV}", status="unavailable",
        )
    return token, "the public Treaty Office page", fetch.not_modified


# --- parsing ---------------------------------------------------------------------------------


def parse_date(value: Any) -> date | None:
    """ISO (with or without time), /Date(ms±hhmm)/ (.NET) or DD/MM/YYYY; None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if m := _ISO_RE.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _DMY_RE.match(text):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _MS_DATE_RE.match(text):
            when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m.group(1)))
            if m.group(2):
                sign = 1 if m.group(2)[0] == "+" else -1
                when += sign * timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:5]))
            return when.date()
    except (ValueError, OverflowError):
        return None
    return None


def eu_code(name: Any, code: Any) -> str | None:
    """EU code of a chart row (by English name, then by code), None for any other state."""
    low = re.sub(r"\s+", " ", name).strip().lower() if isinstance(name, str) else ""
    if low in _NAME_ALIASES:
        return _NAME_ALIASES[low]
    for ms in memberstates.member_states():
        if ms.name.lower() == low:
            return ms.code
    raw = code.strip().upper() if isinstance(code, str) else ""
    if raw in _COE_CODES:
        return _COE_CODES[raw]
    if len(raw) in (2, 3):
        ms = memberstates.lookup(raw)
        return ms.code if ms else None
    return None


@dataclass
class ChartRow:
    bucket: str
    code: str | None
    name: str | None
    member_state: str | None  # EU code, None for other states and organisations
    dates: dict[str, date | None]
    flags: list[str]
    raw: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # dates that could not be read

    def data(self, cets: str) -> dict[str, Any]:
        return {
            "cets": cets,
            "country_code": self.code,
            "country": self.name,
            "bucket": self.bucket,
            **{k: (v.isoformat() if v else None) for k, v in self.dates.items()},
            "flags": self.flags,
            "notes": self.notes,
            "record": self.raw,
        }


@dataclass
class Chart:
    cets: str | None  # NumSTE of the rows (None if they carry none)
    rows: list[ChartRow]
    member_rows: int  # rows in the CoE member states bucket (all rows for a flat list)


def _check_text(body: bytes, what: str) -> str:
    if not body or not body.strip():
        raise SourceError(f"{what}: empty body where JSON was expected")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    head = text.lstrip()[:4000].lower()
    if head.startswith("<"):
        if any(m in head for m in _CHALLENGE_MARKERS):
            raise BlockedError(f"{what}: a bot challenge came back instead of JSON")
        raise SourceError(f"{what}: an HTML page came back instead of JSON")
    return text


def _row(raw: Any, bucket: str, what: str) -> ChartRow:
    if not isinstance(raw, dict):
        raise ParseError(f"{what}: a row of the {bucket} bucket is {type(raw).__name__}, not an object")
    name, code = raw.get("LibPaysOrga"), raw.get("CodePays")
    if not (isinstance(name, str) and name.strip()) and not (isinstance(code, str) and code.strip()):
        raise ParseError(f"{what}: a row of the {bucket} bucket has neither LibPaysOrga nor CodePays")
    dates: dict[str, date | None] = {}
    notes: list[str] = []
    for key, source_key in DATE_FIELDS.items():
        value = raw.get(source_key)
        dates[key] = parse_date(value)
        if value not in (None, "") and dates[key] is None:
            notes.append(f"{source_key} {value!r} is not a date")
    return ChartRow(
        bucket=bucket,
        code=code.strip() if isinstance(code, str) else None,
        name=re.sub(r"\s+", " ", name).strip() if isinstance(name, str) else None,
        member_state=eu_code(name, code) if bucket != "organisations" else None,
        dates=dates,
        flags=[letter for letter, key in FLAGS.items() if raw.get(key) not in (None, False, "", 0, [], "0")],
        raw=raw,
        notes=notes,
    )


def parse_chart(body: bytes, cets: str | None = None) -> Chart:
    """Parse api/signatures; ParseError for another shape, SourceError for an error envelope."""
    what = f"Treaty Office chart of CETS {cets}" if cets else "Treaty Office chart"
    text = _check_text(body, what)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ParseError(f"{what}: JSON nested too deeply") from None
    if isinstance(doc, dict):
        # ASP.NET Web API error envelope: {"Message": "Authorization has been denied for this request."}
        message = doc.get("Message") or doc.get("message") or doc.get("error")
        if message:
            raise SourceError(f"{what}: the service answered with an error: {str(message)[:300]}")
        raise ParseError(f"{what}: expected a list of buckets, got an object")
    if not isinstance(doc, list):
        raise ParseError(f"{what}: expected a list of buckets, got {type(doc).__name__}")
    rows: list[ChartRow] = []
    if all(isinstance(b, list) for b in doc):
        if len(doc) > len(BUCKETS):
            raise ParseError(f"{what}: {len(doc)} buckets, expected at most {len(BUCKETS)}")
        for bucket, items in zip(BUCKETS, doc, strict=False):
            rows.extend(_row(raw, bucket, what) for raw in items)
        member_rows = len(doc[0]) if doc else 0
    else:  # a flat list of rows (a hand-saved extract): treated as one bucket of states
        rows = [_row(raw, BUCKETS[0], what) for raw in doc]
        member_rows = len(rows)
    numbers = set()
    for row in rows:
        value = row.raw.get("NumSTE")
        if value in (None, ""):
            continue
        try:
            numbers.add(normalise_cets(value))
        except ValueError:
            raise ParseError(f"{what}: NumSTE {value!r} is not a CETS number") from None
    if len(numbers) > 1:
        raise ParseError(f"{what}: rows of several treaties ({', '.join(sorted(numbers))})")
    found = numbers.pop() if numbers else None
    if cets and found and found != cets:
        raise ParseError(f"{what}: the rows are for CETS {found}")
    return Chart(cets=found or cets, rows=rows, member_rows=member_rows)


# --- findings --------------------------------------------------------------------------------


def row_items(row: ChartRow, cets: str, measure: Measure, today: date,
              fetch: FetchResult | None) -> list[FoundItem]:
    """Signature, ratification (or denunciation once it took effect) of an EU Member State."""
    if row.member_state is None:
        return []
    ms, reference, data = row.member_state, f"CETS {cets}", row.data(cets)
    name = row.name or ms

    def item(kind: str, when: date, title: str) -> FoundItem:
        return FoundItem(key=f"CETS {cets}|{ms}|{kind}", kind=kind, measure_id=measure.id, member_state=ms,
                         date=when, title=title, reference=reference, url=chart_page(cets), data=data,
                         fetch=fetch)

    items = []
    signed, consent = row.dates["signature"], row.dates["consent"]
    effect = row.dates["denunciation_effect"]
    if signed:
        items.append(item("signature", signed, f"{name} signed CETS {cets}"))
    if effect and effect <= today:
        items.append(item("denunciation", effect, f"{name} denounced CETS {cets} (effective {effect.isoformat()})"))
    elif consent:
        eif = row.dates["entry_into_force"]
        suffix = f"; in force for it from {eif.isoformat()}" if eif else ""
        items.append(item("ratification", consent, f"{name} ratified or acceded to CETS {cets}{suffix}"))
    return items



def _chart_coverage(measure_id: str, chart: Chart, targets: list[str] | None,
                    fetch: FetchResult | None) -> tuple[list[CoverageItem], str, str]:
    """Coverage of one chart: "*" when every EU Member State is listed with readable dates."""
    wanted = list(memberstates.codes()) if targets is None else targets
    if chart.member_rows == 0 or not any(r.member_state for r in chart.rows):
        reason = "the chart lists no member state: an empty or broken answer"
        return [CoverageItem(measure_id, "suspect", s, reason, fetch) for s in (targets or ["*"])], "suspect", reason
    listed = {r.member_state: r for r in chart.rows if r.member_state}
    missing = [s for s in wanted if s not in listed]
    unreadable = [s for s in wanted if s in listed and listed[s].notes]
    ratified = sum(1 for r in listed.values() if r.dates["consent"])
    summary = f"chart read: {len(listed)} EU Member States listed, {ratified} with ratification/accession"
    if not missing and not unreadable:
        states = ["*"] if targets is None else targets
        return [CoverageItem(measure_id, "ok", s, summary, fetch) for s in states], "ok", summary
    items = []
    for s in wanted:
        if s in missing:
            items.append(CoverageItem(measure_id, "suspect", s, f"{s} is not listed in the chart", fetch))
        elif s in unreadable:
            items.append(CoverageItem(measure_id, "suspect", s, f"{s}: " + "; ".join(listed[s].notes), fetch))
        else:
            items.append(CoverageItem(measure_id, "ok", s, summary, fetch))
    notes = ([f"not listed: {', '.join(missing)}"] if missing else []) + (
        [f"unreadable dates: {', '.join(unreadable)}"] if unreadable else [])
    return items, "ok", f"{summary}; " + "; ".join(notes)


def fetch_chart(ctx: SourceContext, cets: str, token: str) -> FetchResult:
    if ctx.http is None:
        raise SourceError("coe-treaties: no HTTP client", status="unavailable")
    fetch = ctx.http.get(
        INFO.name,
        urljoin(endpoint(ctx), "api/signatures"),
        params={"numSTE": cets, "langue": "ENG"},
        headers={"token": token, "Accept": "application/json"},
        conditional=True,
        ok_statuses=(401, 403),
    )
    if fetch.status_code in (401, 403):
        if any(m in fetch.text(errors="replace")[:4000].lower() for m in _CHALLENGE_MARKERS):
            raise BlockedError(f"Treaty Office chart of CETS {cets}: HTTP {fetch.status_code} bot challenge")
        raise SourceError(
            f"Treaty Office chart of CETS {cets}: {REFUSED} (HTTP {fetch.status_code}); "
            f"set {TOKEN_ENV} or check the public page's window.conventions_api_key", status="unavailable",
        )
    return fetch


def _cets_measures(ctx: SourceContext) -> list[Measure]:
    return [m for m in ctx.measures() if m.identifiers.get("cets")]


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the chart of every selected measure with a CETS number; one failure never stops the rest."""
    result = SourceResult()
    measures = _cets_measures(ctx)
    if not measures:
        result.reason = "no selected measure has a CETS number (identifiers: {cets: ...})"
        return result
    targets = ctx.eu_targets()
    if targets == []:
        result.reason = "no EU Member State selected"
        return result
    first = next((c for c in (_safe_cets(m) for m in measures) if c), "211")
    try:
        token, origin, reused = get_token(ctx, first)
    except SourceError as exc:
        result.status, result.reason = exc.status, str(exc)
        for m in measures:
            result.coverage.extend(CoverageItem(m.id, exc.status, s, str(exc)) for s in (targets or ["*"]))
        return result
    ctx.progress(f"coe-treaties: token from {origin}")
    today = utcnow().date()
    outcomes: list[tuple[str, str, str]] = []
    for measure in measures:
        part = SourceResult()
        status, reason = _refresh_measure(ctx, measure, token, targets, today, part)
        if reused and REFUSED in reason:
            # The key the page carried last run (it answered 304) is no longer taken: read it afresh.
            reused = False
            try:
                token, origin, _ = get_token(ctx, first, fresh=True)
            except SourceError:
                pass  # the refusal stands
            else:
                ctx.progress(f"coe-treaties: the last run's token was refused; token from {origin}, read again")
                part = SourceResult()
                status, reason = _refresh_measure(ctx, measure, token, targets, today, part)
        result.fetches.extend(part.fetches)
        result.findings.extend(part.findings)
        result.coverage.extend(part.coverage)
        outcomes.append((measure.id, status, reason))
        ctx.progress(f"coe-treaties: {measure.id}: {status}: {reason}")
    bad = [o for o in outcomes if o[1] != "ok"]
    if bad and len(bad) == len(outcomes):
        statuses = {o[1] for o in bad}
        result.status = statuses.pop() if len(statuses) == 1 else "failed"
        result.reason = f"all {len(outcomes)} chart(s) unusable; first: {bad[0][0]}: {bad[0][2]}"
    else:
        result.reason = "; ".join(f"{mid}: {status}: {reason}" for mid, status, reason in outcomes)
    return result


def _safe_cets(measure: Measure) -> str | None:
    try:
        return normalise_cets(measure.identifiers.get("cets"))
    except ValueError:
        return None


def _refresh_measure(ctx: SourceContext, measure: Measure, token: str, targets: list[str] | None,
                     today: date, result: SourceResult) -> tuple[str, str]:
    raw = measure.identifiers.get("cets")
    try:
        cets = normalise_cets(raw)
        fetch = fetch_chart(ctx, cets, token)
        result.fetches.append(fetch)
        chart = parse_chart(fetch.body, cets)
    except (SourceError, ParseError, ValueError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        reason = str(exc) if not isinstance(exc, ParseError) else f"unexpected payload: {exc}"
        result.coverage.extend(CoverageItem(measure.id, status, s, reason) for s in (targets or ["*"]))
        return status, reason
    for row in chart.rows:
        if row.member_state and (targets is None or row.member_state in targets):
            result.findings.extend(row_items(row, cets, measure, today, fetch))
    coverage, status, reason = _chart_coverage(measure.id, chart, targets, fetch)
    result.coverage.extend(coverage)
    return status, reason


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved api/signatures answer; the treaty comes from NumSTE or --measure.

    Imports give findings only, never coverage. `fetch` is None; refresh/run.py attaches the file.
    """
    pool = ctx.measures() if ctx.measure_ids else list(ctx.catalogue.measures.values())
    candidates = [m for m in pool if m.identifiers.get("cets") and _safe_cets(m)]
    chart = parse_chart(body)
    if chart.cets:
        matched = [m for m in candidates if _safe_cets(m) == chart.cets]
        if not matched:
            raise ParseError(f"{name}: the chart is for CETS {chart.cets}, which no catalogued measure"
                             + (" selected with --measure" if ctx.measure_ids else "")
                             + " has as identifiers.cets")
    elif ctx.measure_ids and len(candidates) == 1:
        matched = candidates
    else:
        raise ParseError(f"{name}: the rows carry no NumSTE; pass --measure with the one convention it is for")
    targets = ctx.eu_targets()
    today = utcnow().date()
    result = SourceResult()
    for measure in matched:
        cets = _safe_cets(measure) or ""
        for row in chart.rows:
            if row.member_state and (targets is None or row.member_state in targets):
                result.findings.extend(row_items(row, cets, measure, today, None))
    notes = [f"{r.member_state}: " + "; ".join(r.notes) for r in chart.rows if r.member_state and r.notes]
    result.reason = "; ".join(notes) or None
    return result
