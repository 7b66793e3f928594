"""What the national gazette sources share about acts: how a national act names EU acts, and how
it becomes findings.

A gazette source reads national acts and the EU acts they name. How an act names an EU act
decides what the finding is evidence of:

* the act implements the EU act: the publisher's own EU link (the RIS ``[CELEX-Nr.: …]`` marker
  (AT), the Riigi Teataja ``<normtehnmarkus>`` list (EE), the Sejm ELI ``directives[]`` field
  (PL), ``eli:transposes`` metadata, a Danish EU note ("… indeholder bestemmelser, der
  gennemfører … direktiv …"), a transposition relation in the gazette's metadata) or the act's
  own wording ("se transpone la Directiva …", "to give effect to Directive …"). Such an act is
  a finding of kind ``national-measure``;
* a mere mention (the number in the body text, a full-text search hit without a marker,
  "repealing Directive …"): kind ``citation``. An act that *cites* a directive has not
  necessarily *transposed* it, and the rules count only ``national-measure`` as transposition,
  so a mention can never turn a Member State's status into "met". The finding is still
  stored, with its provenance, for an analyst to read.

Two act models record this, with their own finding `data` (which existing stores and reports
read, so neither is reshaped into the other):

* `BasisAct` (DK, AT, EE, PL): per EU act, the set of *bases* it was found on; strong bases
  (`STRONG_BASES`) make a national measure. `data` is `describe()` plus "directive" and "basis".
* `NationalAct` (ES, LU, FI, IE, NL, FR, DE): a list of `ActRef`, each with where it was found
  and its link (implements / cites). `data["link"]`, `data["link_basis"]` and `data["evidence"]`
  say which wording or field decided.

Dates: a gazette publication has its own publication date, which is the finding's date. A
consolidated text (Danish LBK, Austrian BrKons, an amended Estonian ``terviktekst``, a Polish
"tekst jednolity", BOE consolidated legislation, NeuRIS) lists the EU acts of the law *as
amended* and does not say which amendment transposed which directive: its date would be wrong
either way, so it is left None ("timeliness not assessed") and the known dates are kept in
`data`.

Reading answers safely is _payloads.py's; pacing and what a run covers are _runs.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ...errors import ParseError, one_line
from ...refs import extract
from ..base import FoundItem, SourceResult
from ._payloads import iso
from ._runs import candidate_measures, wanted_state

if TYPE_CHECKING:

    from ...http import FetchResult
    from ...model import Measure
    from ..base import SourceContext

NATIONAL_MEASURE = "national-measure"
CITATION = "citation"


# --- acts recorded by basis (DK, AT, EE, PL) -------------------------------------------------------

STRONG_BASES = frozenset({"celex-marker", "normtehnmarkus", "directives-field", "eli-transposes", "eu-note"})


@dataclass
class BasisAct:
    """One national act with, for each EU act it names, the bases of that reference (see module doc)."""

    key: str  # stable national id: the ELI where there is one
    member_state: str
    title: str | None = None
    type: str | None = None
    url: str | None = None
    reference: str | None = None  # the gazette citation ("BGBl. I Nr. 120/2017", "Dz.U. 2025 poz. 1900")
    adopted: date | None = None
    published: date | None = None
    in_force: date | None = None
    consolidated: bool = False  # a consolidated text: its date is not the transposition date
    bases: dict[str, set[str]] = field(default_factory=dict)  # CELEX -> bases (see module doc)
    data: dict[str, Any] = field(default_factory=dict)  # every other parsed field, JSON-able

    def add(self, celex: str, basis: str) -> None:
        self.bases.setdefault(celex, set()).add(basis)

    def add_all(self, celexes: Iterable[str], basis: str) -> None:
        for celex in celexes:
            self.add(celex, basis)

    @property
    def references(self) -> list[str]:
        return sorted(self.bases)

    def celex(self) -> list[str]:
        return self.references

    def strong(self, celex: str) -> bool:
        return bool(self.bases.get(celex, set()) & STRONG_BASES)

    def date(self) -> tuple[date | None, str]:
        """The date that counts for the rules, and what it is."""
        if self.consolidated:
            return None, "consolidated text: which amendment transposed the act is not stated"
        if self.published:
            return self.published, "publication"
        if self.adopted:
            return self.adopted, "adoption (no publication date given)"
        return None, "no date given"

    def describe(self) -> dict[str, Any]:
        """The JSON-able `data` of a finding about this act."""
        when, kind = self.date()
        out: dict[str, Any] = {
            "national_id": self.key,
            "type": self.type,
            "gazette_reference": self.reference,
            "dates": {
                "adoption": iso(self.adopted),
                "publication": iso(self.published),
                "entry_into_force": iso(self.in_force),
            },
            "date_kind": kind,
            "consolidated": self.consolidated,
            "references": self.references,
            "reference_bases": {c: sorted(b) for c, b in sorted(self.bases.items())},
        }
        out.update(self.data)
        return out

    def finding(self, measure: Measure, fetch: FetchResult | None) -> FoundItem:
        """The finding of this act about `measure`, which it names."""
        celex = measure.celex or ""
        when, _ = self.date()
        return FoundItem(
            key=self.key,
            kind=NATIONAL_MEASURE if self.strong(celex) else CITATION,
            measure_id=measure.id,
            member_state=self.member_state,
            celex=None,  # the national act has no CELEX of its own here
            date=when,
            title=self.title,
            reference=self.reference,
            url=self.url,
            data={**self.describe(), "directive": celex, "basis": sorted(self.bases[celex])},
            fetch=fetch,
        )


def other_references(acts: Iterable[BasisAct], measures: dict[str, Measure]) -> list[str]:
    """EU acts named by `acts` that are not in the catalogue (said in a reason, never dropped silently)."""
    return sorted({c for act in acts for c in act.references if c not in measures})


# --- acts recorded by reference (ES, LU, FI, IE, NL, FR, DE) -----------------------------------------

IMPLEMENTS = "implements"
CITES = "cites"
USER_ASSERTED = "user-asserted"

# Wording that says an act implements the EU act named right after it (§2.13 of sources.md,
# plus the verified Irish "give effect to", and the formulas of the TRANSPOSITION_FORMULAS of
# tests/test_refs.py). Matched case-insensitively in the 160 characters before the reference.
_IMPLEMENTING = re.compile(
    r"transp[oõ]|incorpor\w*\s+(?:al|a\s+la|en\s+el)\s+(?:derecho|ordenamiento)|"  # es, fr, en, pt "transpõe"
    r"mise\s+en\s+(?:oe|œ)uvre|give(?:s|n)?\s+(?:further\s+)?effect\s+to|giving\s+(?:further\s+)?effect\s+to|"
    r"\bimplement(?!ing\s+(?:regulation|decision|directive|act)\b)|umsetzung|umgesetzt|durchführung|"  # en, de
    r"implementatie|uitvoering\s+van|omzetting|"  # nl
    r"täytäntöön|genomför|"  # fi, sv
    r"gennemfør|"  # da (for completeness)
    r"transpu|"  # ro "transpune" ("transpo" above: es, fr, it, pt)
    r"\battuazion|\brecepi|"  # it "Attuazione della direttiva …", "recepimento della direttiva …"
    r"\bpreber|"  # sk "sa preberá smernica …", "sa preberajú právne záväzné akty …"
    r"įgyvendin|perkeli|"  # lt: "Įgyvendinami Europos Sąjungos teisės aktai", "perkeliama"
    r"preuzim|"  # hr: "u hrvatsko zakonodavstvo preuzima se Direktiva"
    r"zapracov|"  # cs: "zapracovává příslušné předpisy Evropské unie"
    r"въвежда",  # bg: "въвеждат изискванията на Директива"
    re.IGNORECASE,
)
# Verbs that, between the implementing wording and the reference, make the reference something
# else: "… implementing Regulation X and repealing Directive Y" only implements X.
_OTHER_RELATION = re.compile(
    r"repeal|amend(?!ed\s+by)|abrog|modifi(?!cad[ao]s?\s+por|ée?s?\s+par)|derog|kumo|upphäv|aufheb|"
    r"(?<!ge)änder(?!t\s+durch)|ersetz|intrekking|wijziging|replac|remplac|sustitu|ändring|"
    r"înlocui|"  # ro "de înlocuire a Deciziei-cadru …" ("abrogare", "modificare": above)
    r"sostitu|"  # it "che sostituisce la decisione quadro …" ("modifica", "abroga": above)
    r"\bmení\b|\bzrušuj|nahrádza|"  # sk "ktorou sa mení smernica …", "ktorou sa zrušuje", "nahrádza"
    r"keiči|panaikin|izmjen|izvan\s+snage|mění|изменени|отмян",  # lt, hr, cs ("zrušuj": sk above), bg
    re.IGNORECASE,
)
_WINDOW = 160


@dataclass(frozen=True)
class ActRef:
    """One EU act referred to by a national act."""

    celex: str
    kind: str  # directive | regulation | decision | framework-decision | recommendation
    link: str  # implements | cites
    where: str  # title | long-title | text | analisis:TRANSPONE | jolux:cites | eu-note | ...
    text: str  # the words as they appear (or the URI / DOUE id)
    basis: str | None = None  # the implementing wording or metadata relation that gives `link`

    def as_dict(self) -> dict[str, Any]:
        out = {"celex": self.celex, "kind": self.kind, "link": self.link, "where": self.where,
               "text": one_line(self.text, 300)}
        if self.basis:
            out["basis"] = one_line(self.basis, 300)
        return out


# Hungarian says it after the act, which stands in the dative: "Ez a törvény a(z) … szóló …
# 2011/36/EU európai parlamenti és tanácsi irányelvnek való megfelelést szolgálja" (the closing
# "jogharmonizációs záradék"; the acts named inside the directive's title carry no dative).
_DATIVE = re.compile(r"(?:n[eé]k|\s+n[eé]k\b)", re.IGNORECASE)
_CONFORMITY = re.compile(r"megfelelést\s+szolgál(?:ja|nak)?|összeegyeztethető\s+szabályozását\s+tartalmazz?a",
                         re.IGNORECASE)
_CONFORMITY_REACH = 1500  # a clause may list items a) … d) before its verb
_SECTION = re.compile(r"§|\(\d+\)\s")  # the clause ends with its section or paragraph


def link_of(text: str, start: int, end: int | None = None) -> tuple[str, str | None]:
    """(link, basis) for a reference at `text[start:end]`: implements when implementing wording
    stands shortly before it with no other relation verb in between, or (Hungarian) when the
    reference is in the dative and a conformity clause follows it in the same section."""
    if end is not None:
        hungarian = _hungarian_link(text, start, end)
        if hungarian:
            return IMPLEMENTS, hungarian
    lo = max(0, start - _WINDOW)
    window = text[lo:start]
    last = None
    # Matched on a slightly longer slice so that look-aheads ("Implementing Regulation") see
    # the words that follow; only matches that begin before the reference count.
    for m in _IMPLEMENTING.finditer(text, lo, min(len(text), start + 40)):
        if m.start() >= start:
            break
        last = m
    if last is None:
        return CITES, None
    last_start, last_end = last.start() - lo, min(last.end(), start) - lo
    if _OTHER_RELATION.search(window[last_end:]):
        return CITES, None
    # The basis shown to a reader: from the implementing word to the reference.
    return IMPLEMENTS, one_line(window[last_start:], 200)


def _hungarian_link(text: str, start: int, end: int) -> str | None:
    """The conformity clause that follows a reference in the dative, if there is one."""
    tail = text[end:end + 12]
    if not (text[start:end].lower().endswith(("nek", "nék")) or _DATIVE.match(tail)):
        return None
    after = text[end:end + _CONFORMITY_REACH]
    stop = _SECTION.search(after)
    m = _CONFORMITY.search(after, 0, stop.start() if stop else len(after))
    if not m:
        return None
    return one_line(text[start:end] + after[:m.end()], 200) if m.end() < 120 else \
        one_line("… " + after[max(0, m.start() - 40):m.end()], 200)


def refs_in_text(text: str | None, where: str, *, classify: bool = True) -> list[ActRef]:
    """Every EU act reference in `text` (refs.extract), each classified by its wording."""
    if not text:
        return []
    out = []
    for ref in extract(text):
        link, basis = link_of(text, ref.start, ref.end) if classify else (CITES, None)
        out.append(ActRef(ref.celex, ref.kind, link, where, ref.text, basis))
    return out


def refs_in_uri(uri: str, where: str, link: str = CITES, basis: str | None = None) -> list[ActRef]:
    """References in an ELI URI of an EU act (…/eli/dir_ue/2011/36/jo, data.europa.eu/eli/dir/…)."""
    return [ActRef(r.celex, r.kind, link, where, uri, basis) for r in extract(uri)]


@dataclass
class NationalAct:
    """One national act as a gazette describes it, with the EU act references it makes."""

    member_state: str
    key: str  # stable: the ELI where there is one, else the gazette's own id
    national_id: str  # BOE-A-2015-10566, 1050/2018, S.I. No. 5 of 2023, JORFTEXT…
    fmt: str  # which payload it was read from, e.g. "boe-legislacion-consolidada-json"
    title: str | None = None
    type: str | None = None
    eli: str | None = None
    url: str | None = None
    adopted: date | None = None
    published: date | None = None
    entry_into_force: date | None = None
    language: str | None = None
    references: list[ActRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific fields, JSON-able
    notes: list[str] = field(default_factory=list)
    # `where` values whose text is a consolidated (current) version, not the act as published.
    consolidated_places: frozenset[str] = frozenset()

    def celex(self) -> list[str]:
        return sorted({r.celex for r in self.references})

    def refs_for(self, celex: str) -> list[ActRef]:
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in self.references:
            ident = (r.where, r.link, r.text)
            if r.celex == celex and ident not in seen:
                seen.add(ident)
                out.append(r)
        return out

    def link_for(self, celex: str) -> tuple[str, str | None]:
        refs = self.refs_for(celex)
        strong = [r for r in refs if r.link == IMPLEMENTS]
        if strong:
            return IMPLEMENTS, strong[0].basis or strong[0].where
        return CITES, None

    def date_for(self, celex: str, link: str) -> tuple[date | None, str]:
        """The date that counts for the rules, and what it is.

        The publication date of the act, except where that date cannot be when the act took up
        the EU act: when the only evidence is a consolidated (current) text, whose references may
        come from any later amendment, or when the act was published before the EU act's year.
        """
        refs = self.refs_for(celex)
        if link != USER_ASSERTED and refs and all(r.where in self.consolidated_places for r in refs):
            return None, ("consolidated text: the act as amended names the EU act, and which amendment "
                          "introduced it is not stated (timeliness not assessed)")
        when = self.published or self.adopted
        if when and celex[1:5].isdecimal() and when.year < int(celex[1:5]):
            return None, (f"the act dates from {when.year}, before the EU act of {celex[1:5]}: "
                          "the reference comes from a later version (timeliness not assessed)")
        if self.published:
            return self.published, "publication in the official gazette"
        if self.adopted:
            return self.adopted, "adoption (enactment or signature; no publication date given)"
        return None, "no date given"

    def _data(self, measure: Measure, link: str, basis: str | None, date_kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": self.fmt,
            "national_id": self.national_id,
            "eli": self.eli,
            "type": self.type,
            "title": self.title,
            "language": self.language,
            "dates": {
                "adoption": iso(self.adopted),
                "publication": iso(self.published),
                "entry_into_force": iso(self.entry_into_force),
            },
            "date_kind": date_kind,
            "references": self.celex(),
            "measure_celex": measure.celex,
            "link": link,
            "link_basis": basis,
            "evidence": [r.as_dict() for r in self.refs_for(measure.celex or "")],
        }
        data.update(self.extra)
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    def finding(self, measure: Measure, fetch: FetchResult | None, *, link: str | None = None,
                basis: str | None = None) -> FoundItem:
        """The finding of this act about `measure`.

        Kind "national-measure" only where the act's own wording or the gazette's metadata says
        it implements the EU act (or the user attributed it with --measure); a mere mention is
        kind "citation" (see the module doc).
        """
        celex = measure.celex or ""
        if link is None:
            link, basis = self.link_for(celex)
        when, date_kind = self.date_for(celex, link)
        return FoundItem(
            key=self.key,
            kind=NATIONAL_MEASURE if link in (IMPLEMENTS, USER_ASSERTED) else CITATION,
            measure_id=measure.id,
            member_state=self.member_state,
            celex=None,  # a national act has no CELEX of its own here; the EU act is data["measure_celex"]
            date=when,
            title=self.title,
            reference=self.national_id,
            url=self.url or self.eli,
            data=self._data(measure, link, basis, date_kind),
            fetch=fetch,
        )


# --- findings ----------------------------------------------------------------------------------------


def findings_for(act: BasisAct | NationalAct, ctx: SourceContext, fetch: FetchResult | None,
                 measures: dict[str, Measure] | None = None) -> list[FoundItem]:
    """One finding per catalogued (selected) measure that the act names."""
    by_celex = candidate_measures(ctx) if measures is None else measures
    return [act.finding(by_celex[c], fetch) for c in act.celex() if c in by_celex]


def unique_findings(items: Iterable[FoundItem]) -> list[FoundItem]:
    """One finding per (act, measure), the first: an act found again (for another directive, on
    another page) gives nothing new."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if (item.key, item.measure_id) not in seen:
            seen.add((item.key, item.measure_id))
            out.append(item)
    return out


def _deadline_year(measure: Measure) -> int:
    dates = [o.date for o in measure.obligations if o.type == "transposition" and o.date]
    return min(dates).year if dates else int((measure.celex or "0" * 10)[1:5]) + 2


def harvest_years(measures: Iterable[Measure], today: date, max_years: int,
                  years_after_deadline: int) -> tuple[list[int], list[int]]:
    """Years a harvest source reads for `measures`: from each EU act's year to a few years after
    its transposition deadline (transposing acts come near the deadline), never in the future.
    (years to read, most recent first; years left out beyond `max_years`)."""
    years: set[int] = set()
    for m in measures:
        first = int((m.celex or "0" * 10)[1:5])
        last = min(today.year, _deadline_year(m) + years_after_deadline)
        years.update(range(first, last + 1))
    ordered = sorted((y for y in years if y <= today.year), reverse=True)
    return ordered[:max_years], ordered[max_years:]


def import_result(acts: Iterable[NationalAct], name: str, ctx: SourceContext,
                  notes: Iterable[str] = ()) -> SourceResult:
    """Findings for `compliance import`: never coverage (a saved file cannot prove an absence).

    With `--measure` and a file of exactly one act that does not name the measure, the act is
    attributed to it on the user's word (data["link"] = "user-asserted"). A file that gives no
    finding at all is a ParseError that says what the file does cite.
    """
    acts = list(acts)
    if not acts:
        raise ParseError(f"{name}: no act found in the file")
    result = SourceResult()
    wanted = candidate_measures(ctx)
    cited: set[str] = set()
    for act in acts:
        cited.update(act.celex())
        if not wanted_state(ctx, act.member_state):
            continue
        result.findings.extend(findings_for(act, ctx, None, wanted))
    if ctx.measure_ids and len(acts) == 1 and wanted_state(ctx, acts[0].member_state):
        act = acts[0]
        named = set(act.celex())
        for measure in ctx.measures():
            if not measure.celex or measure.celex not in named:
                result.findings.append(act.finding(
                    measure, None, link=USER_ASSERTED,
                    basis=f"attributed with --measure {measure.id}; the file itself does not name "
                          f"{measure.celex or 'this measure'}",
                ))
    all_notes = list(notes)
    for act in acts:
        all_notes.extend(f"{act.national_id}: {n}" for n in act.notes)
    silent = [a.national_id for a in acts if not a.references]
    if silent and len(acts) > 1:  # a file of several acts: say which gave nothing, and why
        shown = ", ".join(silent[:5]) + (f" and {len(silent) - 5} more" if len(silent) > 5 else "")
        all_notes.append(f"{len(silent)} of {len(acts)} act(s) name no EU act in what the file holds: {shown}")
    if not result.findings:
        if ctx.member_states and not any(wanted_state(ctx, a.member_state) for a in acts):
            raise ParseError(
                f"{name}: the file holds acts of {acts[0].member_state}, not of the selected Member States")
        scope = " selected with --measure" if ctx.measure_ids else ""
        if ctx.measure_ids and len(acts) > 1:
            hint = "; --measure can attribute a file of one act only"
        elif ctx.measure_ids:
            hint = ""
        else:
            hint = "; add the EU act to your catalogue (by CELEX), or pass --measure when the file holds one act"
        said = (f"they cite {', '.join(sorted(cited))}, none of which is a catalogued measure{scope}" if cited
                else "they cite no EU act at all")
        raise ParseError(f"{name}: {len(acts)} act(s) read; {said}{hint}")
    result.reason = "; ".join(all_notes) or None
    return result
