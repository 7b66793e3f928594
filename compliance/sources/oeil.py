"""European Parliament: Legislative Observatory (OEIL) and EP Open Data procedures.

Evidence of what the Commission delivered (rule COM-001 reads kinds "proposal" and "adoption"
for member_state "EU"): for every selected measure whose catalogue `identifiers` has a
`procedure` ("2021/0411(COD)"),

  * the OEIL procedure file (HTML, sources.md §4) gives the dates: the Commission proposal
    (key event "Legislative proposal published" / the Commission's "Legislative proposal"
    document), the adoption ("Final act signed", else "Act adopted by Council…"), the OJ
    publication, and the final act's CELEX (the EUR-Lex link of the "Final act" block);
  * the EP Open Data API v2 (`/api/v2/procedures/{YYYY-NNNN}`, JSON-LD) confirms the procedure
    (label, type, stage, title, Parliament events). It carries no Commission or Council dates,
    so it never makes a finding by itself; when it fails, the OEIL findings still stand and the
    reason says so.

Measures without a procedure identifier are skipped and listed in the result's reason: neither
OEIL nor the EP Open Data API has a documented lookup by COM number (sources.md §4 documents the
procedure file by reference, the RSS of new dossiers and a yearly XML list only).

Coverage "ok" (member_state "EU") only when the procedure file was read completely, names the
procedure asked for, has a Commission proposal, and agrees with the catalogue (COM number,
CELEX of the final act); a disagreement is "suspect" and gives no findings, because the
catalogue's procedure number is then probably wrong.

Pure parsing lives in `oeil_parse` (re-exported here).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BlockedError, ParseError, SourceError
from . import SOURCES
from .base import CoverageItem, FoundItem, SourceContext, SourceResult
from .oeil_odp import OdpEvent, OdpProcedure, parse_odp_procedure  # noqa: F401 - re-exported, as above
from .oeil_parse import (  # noqa: F401 - re-exported: the public parsing API of this source
    PROCEDURE_RE,
    PROPOSAL_EVENTS,
    FinalAct,
    GatewayDocument,
    KeyEvent,
    Milestones,
    OeilProcedure,
    check_challenge,
    check_procedure,
    com_numbers,
    decode,
    looks_like_oeil,
    odp_id,
    parse_procedure_html,
)
from .parallel import host_workers, ordered_map

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["oeil"]
OEIL_ENDPOINT = "OEIL"
ODP_ENDPOINT = "EP_OPEN_DATA"
DEFAULT_OEIL = "https://oeil.europarl.europa.eu/oeil/en/procedure-file"
DEFAULT_ODP = "https://data.europarl.europa.eu/api/v2/procedures"
JSON_LD = "application/ld+json"
EU = "EU"
# A challenge page may come with one of these statuses: read it, do not just fail on the status.
_CHALLENGE_STATUSES = (202, 403, 405)


def oeil_endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(OEIL_ENDPOINT, DEFAULT_OEIL)


def odp_endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ODP_ENDPOINT, DEFAULT_ODP).rstrip("/")


def procedure_of(measure: Measure) -> str | None:
    value = (measure.identifiers or {}).get("procedure")
    return value.strip() if isinstance(value, str) and value.strip() else None


def catalogue_coms(measure: Measure) -> list[str]:
    """The COM numbers the catalogue gives for a measure (identifiers.com, then `proposal` text)."""
    out = com_numbers((measure.identifiers or {}).get("com"))
    return out + [c for c in com_numbers(measure.proposal) if c not in out]


# --- fetching --------------------------------------------------------------------------------


def _checked(fetch: FetchResult, what: str) -> FetchResult:
    """Refuse a challenge page or an error status that was let through for inspection."""
    text = fetch.body[:200_000].decode("utf-8", "replace")
    check_challenge(text, what)
    if fetch.status_code >= 300 and not fetch.not_modified:
        if fetch.status_code in (403, 405):
            raise BlockedError(f"{what}: HTTP {fetch.status_code} (access refused; a WAF?)")
        raise SourceError(f"{what}: HTTP {fetch.status_code}")
    return fetch


def fetch_oeil(ctx: SourceContext, reference: str) -> FetchResult:
    if ctx.http is None:
        raise SourceError("oeil: no HTTP client (import mode cannot query OEIL)", status="unavailable")
    fetch = ctx.http.get(
        INFO.name, oeil_endpoint(ctx), params={"reference": reference},
        headers={"Accept": "text/html"}, conditional=True, ok_statuses=_CHALLENGE_STATUSES,
    )
    return _checked(fetch, f"OEIL procedure file {reference}")


def fetch_odp(ctx: SourceContext, reference: str) -> FetchResult:
    if ctx.http is None:
        raise SourceError("oeil: no HTTP client (import mode cannot query EP Open Data)", status="unavailable")
    fetch = ctx.http.get(
        INFO.name, f"{odp_endpoint(ctx)}/{odp_id(reference)}", params={"format": JSON_LD},
        headers={"Accept": JSON_LD}, conditional=True, ok_statuses=_CHALLENGE_STATUSES,
    )
    return _checked(fetch, f"EP Open Data procedure {reference}")


# The canary of `compliance sources --probe`: the file of Directive (EU) 2023/977, a completed procedure.
PROBE_PROCEDURE = "2021/0411(COD)"
PROBE_CELEX = "32023L0977"


def probe(ctx: SourceContext) -> str:
    """One procedure file whose outcome is known: it must parse (sections, key events) and name
    the final act Directive (EU) 2023/977 and a dated Commission proposal; ParseError if not."""
    fetch = fetch_oeil(ctx, PROBE_PROCEDURE)
    proc = parse_procedure_html(fetch.body, PROBE_PROCEDURE)
    m = proc.milestones()
    final = m.final_act.celex if m.final_act else None
    if final != PROBE_CELEX or m.proposal_date is None:
        raise ParseError(f"OEIL procedure file {PROBE_PROCEDURE}: final act {final or 'none'} (expected {PROBE_CELEX}),"
                         f" proposal date {m.proposal_date or 'none'}: the page no longer reads as it did")
    return (f"procedure file {PROBE_PROCEDURE}: proposal {m.proposal_date.isoformat()}, final act {final}, "
            f"{len(proc.events)} key events")


# --- findings --------------------------------------------------------------------------------


def disagreements(measure: Measure, proc: OeilProcedure, milestones: Milestones) -> list[str]:
    """Where the procedure file contradicts the catalogue (wrong procedure number?)."""
    problems: list[str] = []
    expected = procedure_of(measure)
    if expected and expected != proc.reference:
        problems.append(f"the catalogue gives procedure {expected}, the file is {proc.reference}")
    wanted = com_numbers((measure.identifiers or {}).get("com"))
    found = proc.com_references()
    if wanted and found and not set(wanted) & set(found):
        problems.append(f"the catalogue gives {', '.join(wanted)}, the procedure names {', '.join(found)}")
    final = milestones.final_act
    if measure.celex and final is not None and final.celex and final.celex != measure.celex:
        problems.append(f"the catalogue gives CELEX {measure.celex}, the procedure's final act is {final.celex}")
    return problems


def _title(what: str, ref: str | None, proc: OeilProcedure) -> str:
    return f"{what}{' ' + ref if ref else ''} ({proc.reference}): {proc.title or 'untitled'}"


def items(measure: Measure, proc: OeilProcedure, milestones: Milestones, fetch: FetchResult | None,
          url: str | None, extra: dict[str, Any] | None = None) -> list[FoundItem]:
    """The proposal and (when dated) adoption findings of one procedure file."""
    base = {**proc.summary(), **(extra or {})}
    found: list[FoundItem] = []
    m = milestones
    if m.proposal_date is not None:
        com = (m.proposal_com or proc.com_references() or [None])[0]
        found.append(FoundItem(
            key=f"{proc.reference}:proposal",
            kind="proposal",
            measure_id=measure.id,
            member_state=EU,
            date=m.proposal_date,
            title=_title("Commission proposal", com, proc),
            reference=com,
            url=url,
            stage=proc.stage,
            data={**base, "date_kind": "Commission proposal", "proposal_com": m.proposal_com,
                  "proposal_dates": m.proposal_sources},
            fetch=fetch,
        ))
    if m.adoption_date is not None:
        final = m.final_act
        found.append(FoundItem(
            key=f"{proc.reference}:adoption",
            kind="adoption",
            measure_id=measure.id,
            member_state=EU,
            celex=final.celex if final else None,
            date=m.adoption_date,
            title=_title("Final act", final.title if final else None, proc),
            reference=(final.title or final.celex) if final else None,
            url=(final.url if final and final.url else url),
            stage=proc.stage,
            data={
                **base,
                "date_kind": m.adoption_event,
                "signature_date": m.signature_date.isoformat() if m.signature_date else None,
                "council_adoption_date": m.council_adoption_date.isoformat() if m.council_adoption_date else None,
                "oj_publication_date": m.oj_date.isoformat() if m.oj_date else None,
                "final_act": final.as_dict() if final else None,
            },
            fetch=fetch,
        ))
    return found


# --- one measure -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    measure_id: str
    status: str  # ok | suspect | failed | blocked | unavailable
    reason: str


def _odp_check(ctx: SourceContext, reference: str, result: SourceResult) -> tuple[dict[str, Any], str | None]:
    """The EP Open Data view of the procedure for the findings' data, and a note when it failed."""
    try:
        fetch = fetch_odp(ctx, reference)
        result.fetches.append(fetch)
        odp = parse_odp_procedure(fetch.body, reference)
    except (SourceError, ParseError) as exc:
        return {"ep_open_data": None}, f"EP Open Data not read ({exc})"
    return {"ep_open_data": {**odp.summary(), "url": fetch.url, "sha256": fetch.sha256}}, None


def _refresh_measure(ctx: SourceContext, measure: Measure, reference: str, result: SourceResult) -> _Outcome:
    try:
        check_procedure(reference)
        ctx.progress(f"oeil: {measure.id}: procedure file {reference}")
        fetch = fetch_oeil(ctx, reference)
        result.fetches.append(fetch)
        proc = parse_procedure_html(fetch.body, reference)
    except (SourceError, ParseError, ValueError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        result.coverage.append(CoverageItem(measure.id, status, EU, str(exc)))
        return _Outcome(measure.id, status, str(exc))

    milestones = proc.milestones()
    problems = disagreements(measure, proc, milestones)
    if problems:
        reason = f"{reference} does not match the catalogue: " + "; ".join(problems)
        result.coverage.append(CoverageItem(measure.id, "suspect", EU, reason, fetch))
        return _Outcome(measure.id, "suspect", reason)
    if milestones.proposal_date is None:
        reason = (
            f"{reference} ({proc.procedure_type or 'type unknown'}): no dated Commission proposal in the procedure "
            f"file (no key event {', '.join(map(repr, PROPOSAL_EVENTS))}); the labels may have changed"
        )
        result.coverage.append(CoverageItem(measure.id, "suspect", EU, reason, fetch))
        return _Outcome(measure.id, "suspect", reason)

    extra, odp_note = _odp_check(ctx, reference, result)
    result.findings.extend(items(measure, proc, milestones, fetch, fetch.url, extra))
    notes = [f"proposal {milestones.proposal_date.isoformat()}"]
    if milestones.adoption_date:
        notes.append(f"adopted {milestones.adoption_date.isoformat()} ({milestones.adoption_event})")
    elif milestones.final_act is not None:
        notes.append("a final act is listed but no signature or Council adoption event was recognised")
    notes += proc.notes
    if odp_note:
        notes.append(odp_note)
    reason = f"{reference}: " + "; ".join(notes)
    result.coverage.append(CoverageItem(measure.id, "ok", EU, reason, fetch))
    return _Outcome(measure.id, "ok", reason)


def _skipped(measures: list[Measure]) -> str | None:
    listed = [m.id for m in measures if catalogue_coms(m)]
    if not listed:
        return None
    return (f"{len(listed)} measure(s) skipped: no procedure identifier, and OEIL has no lookup by COM number "
            f"(first: {listed[0]})")


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the procedure file of every selected measure with a procedure identifier.

    Member-State filters do not apply: this is EU-level evidence. One failing measure never
    stops the rest; a bot challenge stops the run (the same wall would answer every request).
    """
    result = SourceResult()
    selected = ctx.measures()
    with_proc = [(m, procedure_of(m)) for m in selected if procedure_of(m)]
    skipped = _skipped([m for m in selected if not procedure_of(m)])
    if not with_proc:
        result.reason = "; ".join(filter(None, ["no selected measure has a procedure identifier", skipped]))
        return result
    challenged = threading.Event()

    def read(item: tuple[Measure, str | None]) -> tuple[_Outcome, SourceResult] | None:
        if challenged.is_set():
            return None  # a bot challenge was met: no new request is started
        part = SourceResult()
        outcome = _refresh_measure(ctx, item[0], item[1] or "", part)
        if outcome.status == "blocked":
            challenged.set()
        return outcome, part

    # The first procedure file is read alone (a bot challenge costs one request), the others then
    # at once, up to the host's concurrency; each measure's part is merged in order, as one read
    # after another would give it (nothing after a bot challenge counts).
    reads = [read(item) for item in with_proc[:1]]
    if reads[0] is not None and reads[0][0].status != "blocked":
        reads += ordered_map(read, with_proc[1:], host_workers(ctx, oeil_endpoint(ctx), len(with_proc) - 1), "oeil")
    outcomes: list[_Outcome] = []
    for (measure, _reference), done in zip(with_proc, reads, strict=False):
        if done is None:
            break  # only after a blocked one, which ends the loop first
        outcome, part = done
        result.fetches += part.fetches
        result.coverage += part.coverage
        result.findings += part.findings
        outcomes.append(outcome)
        ctx.progress(f"oeil: {measure.id}: {outcome.status}: {outcome.reason}")
        if outcome.status == "blocked":
            for rest, _ref in with_proc[len(outcomes):]:
                reason = f"not tried: OEIL answered {measure.id} with a bot challenge"
                result.coverage.append(CoverageItem(rest.id, "blocked", EU, reason))
                outcomes.append(_Outcome(rest.id, "blocked", reason))
            break

    bad = [o for o in outcomes if o.status != "ok"]
    parts: list[str] = []
    if len(bad) == len(outcomes):
        statuses = {o.status for o in bad}
        result.status = statuses.pop() if len(statuses) == 1 else "failed"
        parts.append(f"all {len(outcomes)} procedure(s) {result.status}; first: {bad[0].measure_id}: {bad[0].reason}")
    elif bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        parts.append(f"{len(bad)} of {len(outcomes)} procedure(s) not ok; first: {bad[0].measure_id}: "
                     f"{bad[0].status}: {bad[0].reason}{more}")
    if skipped:
        parts.append(skipped)
    result.reason = "; ".join(parts) or None
    return result


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved OEIL procedure-file page, or an EP Open Data procedure JSON-LD.

    Imports give findings only, never coverage (a saved file cannot prove an absence). The EP
    Open Data answer has no Commission or Council dates, so it is read, checked and reported,
    but gives no findings.
    """
    text = decode(body, name)
    head = text.lstrip()
    if head.startswith(("{", "[")):
        try:
            odp = parse_odp_procedure(body)
        except ParseError as exc:
            raise ParseError(f"{name}: {exc}") from None
        _measure_for(name, ctx, odp.reference, None)
        return SourceResult(reason=(
            f"{name}: EP Open Data procedure {odp.reference} read ({len(odp.events)} Parliament event(s), stage "
            f"{odp.current_stage or 'unknown'}); it carries no Commission proposal or final-act dates, so it gives "
            "no findings: import the OEIL procedure file for those"
        ))
    check_challenge(text, name)
    if not looks_like_oeil(text):
        raise ParseError(f"{name}: neither an OEIL procedure-file page nor an EP Open Data procedure JSON-LD")
    try:
        proc = parse_procedure_html(body)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    milestones = proc.milestones()
    measure = _measure_for(name, ctx, proc.reference, (proc, milestones))
    result = SourceResult(findings=items(measure, proc, milestones, None, None))
    notes = list(proc.notes)
    if milestones.proposal_date is None:
        notes.append(f"{proc.reference}: no dated Commission proposal in the file")
    result.reason = "; ".join(notes) or None
    return result


def _measure_for(name: str, ctx: SourceContext, reference: str,
                 parsed: tuple[OeilProcedure, Milestones] | None) -> Measure:
    """The one catalogued measure a saved procedure is for: by procedure identifier, or --measure."""
    pool = ctx.measures() if ctx.measure_ids else list(ctx.catalogue.measures.values())
    matches = [m for m in pool if procedure_of(m) == reference]
    if not matches and ctx.measure_ids and len(pool) == 1:
        matches = pool
    if len(matches) != 1:
        found = (f"{len(matches)} measures have it" if matches
                 else "no catalogued measure has it as identifiers.procedure")
        raise ParseError(f"{name}: procedure {reference}: {found}; pass --measure with the one measure it is for")
    measure = matches[0]
    problems = disagreements(measure, *parsed) if parsed is not None else []
    if procedure_of(measure) and procedure_of(measure) != reference:
        problems.insert(0, f"the catalogue gives procedure {procedure_of(measure)}")
    if problems:
        raise ParseError(f"{name}: procedure {reference} does not fit {measure.id}: " + "; ".join(problems))
    return measure
