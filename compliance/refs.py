"""Find references to EU acts in gazette text (24 EU languages); normalise them to CELEX.

Recognised forms (see ``../shared/reference/sources.md`` §2.13):

* Citations anchored by an act noun (directive, regulation, decision, framework decision,
  recommendation) in any of the 24 official languages, inflected or compounded
  (``dyrektywą``, ``direktiivin``, ``Durchführungsverordnung``, ``id-Direttiva``):

  - old numbering ``Directive 2011/36/EU``, ``Directive 95/46/EC``, ``2008/841/JHA``;
  - new numbering ``Directive (EU) 2024/1712``, ``Regulation (EU, Euratom) 2018/1046``;
  - old regulations with a number marker ``Regulation (EC) No 1049/2001`` (number/year);
  - the noun may come first, possibly with up to four words in between
    (``dyrektywy Parlamentu Europejskiego i Rady 2011/36/UE``), or after the number, as in
    Hungarian (``2011/36/EU irányelv``, ``(EU) 2024/1712 irányelve``,
    ``1049/2001/EK rendelet``, ``2011/36/EU európai parlamenti és tanácsi irányelv``);
  - list continuations inherit the noun: ``Directives 2011/36/EU and 2012/29/EU``.

* CELEX numbers (``32011L0036``, ``CELEX:32016L0680``, ``32016L0680R(01)`` -> base number), and
  the 2-digit-year form used in Austrian RIS labels (``[CELEX-Nr.: 395L0046]``, only after a
  ``CELEX`` label).
* ELI URIs of EU acts: ``http://data.europa.eu/eli/dir/2011/36/oj``, ``…/eli/reg_impl/…``,
  ``…/eli/dec_framw/…`` and the Legilux mirror form ``…/eli/dir_ue/1995/46/jo``.

Not recognised, by design:

* A number without an act noun (``2011/36/EU`` alone): its kind (directive or decision?) is
  unknown, so no CELEX can be built. ``Directive 2011/36`` (no institution marker) is ignored too.
* Spanish BOE ``DOUE-L-YYYY-NNNNN`` ids: they identify the OJ publication, not the act, and
  sources.md §2.4 says they need a mapping (a lookup) to reach CELEX. The BOE ``texto`` next to
  them usually names the act ("la Directiva 2011/36/UE"), and that text is extracted normally.
* Consolidated CELEX (sector 0), CELEX sectors other than 3, types other than L/R/D/F/H, joint
  actions and common positions.

Kind ``"act"`` is reserved for references whose kind is unknown; the recognisers above always
know it, so :func:`extract` does not currently produce it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

__all__ = ["Reference", "extract", "render", "to_celex"]


@dataclass(frozen=True)
class Reference:
    """One reference to an EU act found in a text; ``text == input[start:end]``."""

    celex: str  # e.g. "32011L0036"
    kind: str  # directive | regulation | decision | framework-decision | recommendation | act
    text: str  # the matched text as it appears
    start: int  # offset in the input
    end: int


_TYPE_LETTER = {
    "directive": "L",
    "regulation": "R",
    "decision": "D",
    "framework-decision": "F",
    "recommendation": "H",
}
_KIND_OF_LETTER = {letter: kind for kind, letter in _TYPE_LETTER.items()}

# Act nouns: regex stems matched case-insensitively at the start of a word (after an optional
# compound prefix such as "Durchführungs", "rakendus", "tietosuoja-", "id-").
#        directive                regulation            decision
#        framework decision                        recommendation
_NOUNS: dict[str, tuple[str, str, str, str, str]] = {
    "bg": ("директив", "регламент", "решени", r"рамков\w*\s+решени", "препоръ"),
    "cs": ("směrnic", "nařízení", "rozhodnut", r"rámcov\w*\s+rozhodnut", "doporučení"),
    "da": ("direktiv", "forordning", "afgørelse|beslutning", "rammeafgørelse",
           "henstilling|anbefaling"),
    "de": ("richtlinie", "verordnung", "beschl[uü](?:ss|ß)|entscheidung",
           "rahmenbeschl[uü](?:ss|ß)", "empfehlung"),
    "el": ("οδηγ[ιί]", "κανονισμ", "απ[οό]φ[αά]σ", r"απ[οό]φ[αά]σ\w*[\s-]+πλα[ιί]σ",
           "σ[υύ]στ[αά]σ"),
    "en": ("directive", "regulation", "decision", r"framework\s+decision", "recommendation"),
    "es": ("directiva", "reglamento", "decisi[oó]n", r"decisi[oó]n\w*[\s-]+marco",
           "recomendaci[oó]n"),
    "et": ("direktiiv", "määrus", "otsus", "raamotsus", "soovitus"),
    "fi": ("direktiiv", "asetu[sk]", "päätö[sk]", "puitepäätö[sk]", "suositu[sk]"),
    "fr": ("directive", "r[èe]glement", "d[ée]cision", r"d[ée]cisions?[\s-]+cadres?",
           "recommandation"),
    "ga": ("th?reoir|th?reorach", "rialach[áa]i?n", "ch?inneadh|ch?innidh",
           r"ch?inn\w*\s+r[ée]ime", "mh?oladh|mh?olta"),
    "hr": ("direktiv", "uredb", "odluk", r"okvirn\w*\s+odluk", "preporuk"),
    "hu": ("irányelv", "rendelet", "határozat", "kerethatározat", "ajánlás"),
    "it": ("direttiv", "regolament", "decision", r"decis\w*[\s-]+quadro", "raccomandazion"),
    "lt": ("direktyv", "reglament", "sprendim", r"pamatin\w*\s+sprendim", "rekomendacij"),
    "lv": ("direktīv", "regul", "lēmum", "pamatlēmum", "ieteikum"),
    "mt": ("direttiv", "regolament", "de[cċ]i[zż]joni", r"de[cċ]i[zż]joni\w*\s+qafas",
           "rakkomandazzjoni"),
    "nl": ("richtlijn", "verordening", "besluit|beschikking", "kaderbesluit", "aanbeveling"),
    "pl": ("dyrektyw", "rozporządze", "decyzj", r"decyzj\w*\s+ramow", "zaleceni"),
    "pt": ("direc?tiv", "regulament", "decis[ãaõo]", r"decis\w*[\s-]+quadro",
           "recomenda[çc]"),
    "ro": ("directiv", "regulament", "decizi", r"decizi\w*[\s-]+cadru", "recomand[aă]r"),
    "sk": ("smernic", "nariaden", "rozhodnut", r"rámcov\w*\s+rozhodnut", "odporúčan"),
    "sl": ("direktiv", "uredb", "sklep", r"okvirn\w*\s+sklep", "priporočil"),
    "sv": ("direktiv", "förordning", "beslut", "rambeslut", "rekommendation"),
}
_COLUMNS = ("directive", "regulation", "decision", "framework-decision", "recommendation")
# Classification order: a framework decision noun contains a decision noun
# ("Rahmenbeschluss" ⊃ "beschluss", "kerethatározat" ⊃ "határozat").
_KIND_ORDER = ("framework-decision", "recommendation", "directive", "regulation", "decision")

# Number markers (old regulations, some decisions):
# No, Nr., n°, n.º, n., N:o, č., št., br., αριθ., №, Nru, Uimh.
_MARKER = r"(?:n\.\s?[º°o]|n[º°o]|nos?|nr|n:o|n:ro|n|č|št|br|αριθ|№|nru|uimh)\.?"
# Words allowed between a number and a noun that follows it (Hungarian institution adjectives).
_POSTFIX_GAP = ("európai", "parlamenti", "és", "tanácsi", "bizottsági", "végrehajtási",
                "felhatalmazáson", "alapuló")
# Words that may separate the items of a list of acts sharing one noun.
_CONJUNCTIONS = (
    "and or und oder sowie et ou y o e ed en of og eller och samt ja sekä tai ning või un vai "
    "ir bei ar i oraz lub albo a nebo či alebo in ali ili és vagy illetve și şi sau και ή и или "
    "agus nó u jew"
)
_ARTICLES = "the der die des den la le les el los las il lo gli az a het de det o os"

_L = r"[^\W\d_]"  # any letter (Latin, Greek, Cyrillic, ...)
_WINDOW = 160  # characters searched on each side of a number for its noun
_FLAGS = re.IGNORECASE | re.VERBOSE


def _stems(kind: str) -> str:
    column = _COLUMNS.index(kind)
    return "|".join(sorted({nouns[column] for nouns in _NOUNS.values()}))


# Nouns of the language that writes the number first; such a noun wins over a noun before.
_POSTFIX_RE = re.compile("|".join(_NOUNS["hu"]), re.IGNORECASE)
_KIND_RE = {kind: re.compile(rf"(?:{_stems(kind)})", re.IGNORECASE) for kind in _KIND_ORDER}
_NOUN = rf"(?<![\w-])(?:{_L}+-)?{_L}*?(?:{'|'.join(_stems(k) for k in _KIND_ORDER)}){_L}*"
_GAP_WORD = rf"(?!{_NOUN}){_L}+(?:['’-]{_L}+)*"

# The number core of a citation:
# "(EU) 2024/1712", "(EC) No 1049/2001", "2011/36/EU", "No 1082/2013/EU".
_CORE = re.compile(
    rf"""
    (?:\(\s*(?P<pfx>{_L}{{2,6}}(?:\s*,\s*{_L}{{2,10}})?)\s*\)\s*)?
    (?:(?<!{_L})(?P<no>{_MARKER})\s*)?
    (?<![\d/.,])(?P<a>\d{{1,4}})/(?P<b>\d{{1,4}})
    (?:/(?P<sfx>{_L}{{2,6}})(?!{_L}))?
    (?![\d/])
    """,
    _FLAGS,
)
_BEFORE = re.compile(rf"(?P<noun>{_NOUN})(?P<gap>(?:\s+{_GAP_WORD}){{0,4}})\s*\Z", _FLAGS)
_AFTER = re.compile(
    rf"(?P<gap>(?:[\s-]+(?:{'|'.join(_POSTFIX_GAP)})){{0,4}})[\s-]+(?P<noun>{_NOUN})", _FLAGS
)
_LIST_SEP = re.compile(
    rf"\s*(?:[,;]\s*)?(?:(?:{'|'.join(_CONJUNCTIONS.split())})\s+)?"
    rf"(?:(?:{'|'.join(_ARTICLES.split())})\s+)?",
    re.IGNORECASE,
)
_CELEX = re.compile(
    r"(?:(?<=%3A)|(?<![0-9A-Za-z]))3(?P<y>(?:19|20)\d\d)(?P<t>[LRDFH])(?P<n>\d{4})"
    r"(?:R\(\d{2}\))?(?!\d)"
)
_CELEX_ITEM = r"3\d{2}(?:\d{2})?[LRDFH]\d{4}(?:R\(\d{2}\))?(?!\d)"
_CELEX_LABELLED = re.compile(
    rf"CELEX[^\w\n]{{0,3}}(?:(?:nr|no|n°|nº|num(?:ber|éro|ero)?)\.?)?[\s:.#=]*"
    rf"(?P<items>{_CELEX_ITEM}(?:\s*[,;]\s*{_CELEX_ITEM})*)",
    re.IGNORECASE,
)
_CELEX_SHORT = re.compile(r"(?<!\d)3(?P<y>\d{2})(?P<t>[LRDFH])(?P<n>\d{4})(?:R\(\d{2}\))?(?!\d)")
_ELI = re.compile(
    r"(?:https?://[\w.-]+)?/eli/(?P<t>dir|reg|dec|reco)(?:_(?P<sub>impl|del|framw))?(?:_ue)?"
    r"/(?P<y>\d{4})/(?P<n>\d{1,4})(?!\d)(?:/[\w-]+(?:\.[\w-]+)*)*"
)
_ELI_KIND = {"dir": "directive", "reg": "regulation", "dec": "decision", "reco": "recommendation"}


def to_celex(kind: str, year: int, number: int) -> str:
    """CELEX number of an EU act: ``to_celex("directive", 2011, 36) == "32011L0036"``.

    Two-digit years are read as 19xx (``95`` -> 1995). Raises ValueError for a kind without a
    CELEX type letter (e.g. ``"act"``) or a year/number out of range.
    """
    if kind not in _TYPE_LETTER:
        raise ValueError(f"no CELEX type letter for kind {kind!r}")
    if 0 <= year < 100:
        year += 1900
    if not (1000 <= year <= 9999 and 1 <= number <= 9999):
        raise ValueError(f"year {year} or number {number} out of range")
    return f"3{year:04d}{_TYPE_LETTER[kind]}{number:04d}"


def _year(digits: str) -> int | None:
    """The year written as ``digits`` if it can be an EU act's year (1952-2099), else None."""
    if len(digits) == 2:
        year = 1900 + int(digits)
    elif len(digits) == 4:
        year = int(digits)
    else:
        return None
    return year if 1952 <= year <= 2099 else None


def _year_number(core: re.Match[str], kind: str) -> tuple[int, int] | None:
    """Read ``a/b`` as (year, number). Number/year: regulations after "No" or written
    ``1049/2001/EK`` (Hungarian), decisions after "No" (``Decision No 1082/2013/EU``).
    Year/number: everything else, including ``directive n° 2000/60/CE``. If the guessed year
    is not a year, the other side is tried (``(EU) No 2016/679``)."""
    a, b = core["a"], core["b"]
    ya, yb = _year(a), _year(b)
    if kind == "regulation":
        number_first = bool(core["no"] or (core["sfx"] and yb and yb < 2015))
    elif kind == "decision":
        number_first = bool(core["no"]) and not (len(a) == 4 and len(b) == 2 and ya)
    else:
        number_first = False
    year, number = (yb, a) if number_first else (ya, b)
    if year is None:
        year, number = (ya, b) if number_first else (yb, a)
    if year is None or not 1 <= int(number) <= 9999:
        return None
    return year, int(number)


def _is_institution(abbrev: str | None) -> bool:
    """"EU", "EÚ", "ΕΕ", "WSiSW" (mostly upper case); "see", "NR:" are not."""
    if not abbrev:
        return False
    head = abbrev.split(",")[0].strip()
    return head[0].isupper() and 2 * sum(c.isupper() for c in head) > len(head)


def _kind_of(noun: str) -> str:
    return next(kind for kind in _KIND_ORDER if _KIND_RE[kind].search(noun))


def _cores(text: str) -> list[tuple[int, int, re.Match[str]]]:
    """Number cores carrying an institution marker: (start, end, match)."""
    cores = []
    for m in _CORE.finditer(text):
        start = m.start()
        if not _is_institution(m["pfx"]):
            if not _is_institution(m["sfx"]):
                continue
            start = m.start("no") if m["no"] else m.start("a")
        cores.append((start, m.end(), m))
    return cores


def _cited(text: str) -> list[Reference]:
    """References written with an act noun, including list continuations."""
    cores = _cores(text)
    # Per core: (kind, start, end, resolved by a following noun?) or None.
    found: list[tuple[str, int, int, bool] | None] = []
    for start, end, _ in cores:
        before = _BEFORE.search(text, max(0, start - _WINDOW), start)
        after = _AFTER.match(text, end, end + _WINDOW)
        # A Hungarian noun after the number wins; then a noun before it; then any noun after
        # it (Finnish/Estonian "(EU) 2024/1712 direktiivi").
        if after and (_POSTFIX_RE.search(after["noun"]) or not before):
            found.append((_kind_of(after["noun"]), start, after.end("noun"), True))
        elif before:
            found.append((_kind_of(before["noun"]), before.start(), end, False))
        else:
            found.append(None)
    # "Directives 2011/36/EU and 2012/29/EU"; Hungarian "a 2011/36/EU és a 2012/29/EU irányelv".
    for i in range(1, len(cores)):
        prev = found[i - 1]
        if found[i] is None and prev and _LIST_SEP.fullmatch(text, cores[i - 1][1], cores[i][0]):
            found[i] = (prev[0], cores[i][0], cores[i][1], False)
    for i in range(len(cores) - 2, -1, -1):
        nxt = found[i + 1]
        sep = _LIST_SEP.fullmatch(text, cores[i][1], cores[i + 1][0])
        if found[i] is None and nxt and nxt[3] and sep:
            found[i] = (nxt[0], cores[i][0], cores[i][1], True)
    refs = []
    for (_, _, core), hit in zip(cores, found, strict=True):
        if hit is None:
            continue
        kind, start, end, _ = hit
        pair = _year_number(core, kind)
        if pair:
            refs.append(Reference(to_celex(kind, *pair), kind, text[start:end], start, end))
    return refs


def _celex_refs(text: str) -> list[Reference]:
    refs = []
    for m in _CELEX.finditer(text):
        if _year(m["y"]):
            celex = f"3{m['y']}{m['t']}{m['n']}"
            refs.append(Reference(celex, _KIND_OF_LETTER[m["t"]], m[0], m.start(), m.end()))
    for label in _CELEX_LABELLED.finditer(text):
        base = label.start("items")
        for m in _CELEX_SHORT.finditer(label["items"]):
            if _year(m["y"]) and int(m["n"]):
                kind = _KIND_OF_LETTER[m["t"]]
                celex = to_celex(kind, int(m["y"]), int(m["n"]))
                refs.append(Reference(celex, kind, m[0], base + m.start(), base + m.end()))
    return refs


def _eli_refs(text: str) -> list[Reference]:
    refs = []
    for m in _ELI.finditer(text):
        kind = "framework-decision" if m["sub"] == "framw" else _ELI_KIND[m["t"]]
        year, number = _year(m["y"]), int(m["n"])
        if year and number:
            refs.append(Reference(to_celex(kind, year, number), kind, m[0], m.start(), m.end()))
    return refs


def extract(text: str) -> list[Reference]:
    """All references in order of appearance, de-duplicated by (celex, start)."""
    refs = sorted(_cited(text) + _celex_refs(text) + _eli_refs(text),
                  key=lambda r: (r.start, r.end, r.celex))
    seen: set[tuple[str, int]] = set()
    unique = []
    for ref in refs:
        if (ref.celex, ref.start) not in seen:
            seen.add((ref.celex, ref.start))
            unique.append(ref)
    return unique


def render(refs: list[Reference], fmt: str) -> str:
    """``"text"``: one ``celex<TAB>kind<TAB>text`` line per reference (whitespace in the text
    collapsed to single spaces); ``"json"``: a list of objects with keys celex, kind, text,
    start, end."""
    if fmt == "text":
        return "".join(f"{r.celex}\t{r.kind}\t{' '.join(r.text.split())}\n" for r in refs)
    if fmt == "json":
        return json.dumps([asdict(r) for r in refs], ensure_ascii=False, indent=2)
    raise ValueError(f"unknown format {fmt!r} (expected 'text' or 'json')")
