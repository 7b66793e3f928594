"""Shared helpers of the benchmark scripts: timing, machine load, generated CELLAR data, stores.

Everything generated here is CONSTRUCTED benchmark data in the documented formats (W3C SPARQL
1.1 JSON results of the NIM query of sources.md §1.4; the store's own tables). The CELLAR URIs,
NIM CELEX suffixes, references and dates are made up: never cite them as evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
CELLAR = "http://publications.europa.eu/resource/cellar/"
NIM_VARS = ["nim", "nimCelex", "country", "title", "notified", "ojName", "ojNumber", "ojPage", "ojDate",
            "typeAct", "refCommission", "refMemberState", "link", "eli"]
DB_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


# --- measuring -----------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores, python {platform.python_version()}, "
            f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)")


def load_now() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def verdict(value: float, target: float, *, at_least: bool = False) -> str:
    ok = value >= target if at_least else value <= target
    return "MET" if ok else "MISSED"


def compliance_cmd(*args: str) -> list[str]:
    """The installed console script (what a user runs)."""
    return [str(VENV_BIN / "compliance"), *args]


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        stdout: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, check=False)


def clean_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env["COMPLIANCE_STATE_DIR"] = str(state_dir)
    env.update(extra)
    return env


def importtime_profile(args: list[str], env: dict[str, str], cwd: Path, top: int = 15) -> str:
    """`python -X importtime` of a CLI run: the modules with the largest cumulative import time."""
    code = "import sys; from compliance.cli import main; sys.argv = ['compliance', *sys.argv[1:]]; main()"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], env=env, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), int(self_us), name.rstrip()))
    rows.sort(reverse=True)
    lines = [f"  {'cumulative ms':>13}  {'self ms':>8}  module"]
    lines += [f"  {c / 1000:13.1f}  {s / 1000:8.1f}  {n}" for c, s, n in rows[:top]]
    top_level = sum(c for c, _, n in rows if not n.startswith("  "))
    return "\n".join(lines) + f"\n  (sum of top-level imports: {top_level / 1000:.1f} ms)"


# --- generated CELLAR NIM data (CONSTRUCTED) -------------------------------------------------------

MEMBER_STATES = [
    ("AT", "AUT", "de"), ("BE", "BEL", "fr"), ("BG", "BGR", "bg"), ("HR", "HRV", "hr"), ("CY", "CYP", "el"),
    ("CZ", "CZE", "cs"), ("DK", "DNK", "da"), ("EE", "EST", "et"), ("FI", "FIN", "fi"), ("FR", "FRA", "fr"),
    ("DE", "DEU", "de"), ("EL", "GRC", "el"), ("HU", "HUN", "hu"), ("IE", "IRL", "en"), ("IT", "ITA", "it"),
    ("LV", "LVA", "lv"), ("LT", "LTU", "lt"), ("LU", "LUX", "fr"), ("MT", "MLT", "mt"), ("NL", "NLD", "nl"),
    ("PL", "POL", "pl"), ("PT", "PRT", "pt"), ("RO", "ROU", "ro"), ("SK", "SVK", "sk"), ("SI", "SVN", "sl"),
    ("ES", "ESP", "es"), ("SE", "SWE", "sv"),
]


def _lit(value: str, datatype: str | None = "string", lang: str | None = None) -> dict[str, str]:
    term = {"type": "literal", "value": value}
    if lang:
        term["xml:lang"] = lang
    elif datatype:
        term["datatype"] = XSD + datatype
    return term


def nim_bindings(celex: str, per_state: int, *, seed: int = 0, start: date | None = None,
                 second_title_every: int = 4) -> Iterator[dict[str, Any]]:
    """Rows of the §1.4 NIM query for directive `celex`: `per_state` NIMs for each of the 27,
    ordered by ?nim as the query's ORDER BY returns them. Every `second_title_every`-th NIM has
    a second (English) title, which multiplies its row as CELLAR does."""
    rng = random.Random(f"{celex}-{seed}")
    start = start or date(2012, 1, 1)
    prefix = "7" + celex[1:]
    n = 0
    for _code, iso3, lang in MEMBER_STATES:
        for i in range(per_state):
            n += 1
            uuid = hashlib.md5(f"{celex}/{iso3}/{i}/{seed}".encode()).hexdigest()
            uri = f"{CELLAR}{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
            notified = start + timedelta(days=rng.randrange(0, 4000))
            published = notified - timedelta(days=rng.randrange(5, 60))
            year = published.year
            row = {
                "nim": {"type": "uri", "value": uri},
                "nimCelex": _lit(f"{prefix}{iso3}_{year}{i:05d}"),
                "country": {"type": "uri", "value": COUNTRY + iso3},
                "title": _lit(f"Act {i} of {year} amending the criminal code ({iso3}, {celex})", lang=lang),
                "notified": _lit(notified.isoformat(), "date"),
                "ojName": _lit(f"Official Journal of {iso3}"),
                "ojNumber": _lit(f"No {rng.randrange(1, 300)}/{year}"),
                "ojDate": _lit(published.isoformat(), "date"),
                "typeAct": _lit("Law"),
                "refCommission": _lit(f"MNE({year}){rng.randrange(10000, 99999)}"),
                "link": {"type": "uri", "value": f"https://gazette.{iso3.lower()}.example/{year}/{i}"},
            }
            yield row
            if second_title_every and n % second_title_every == 0:
                yield {**row, "title": _lit(f"Act {i} of {year} amending the criminal code", lang="en")}


def sparql_document(bindings: list[dict[str, Any]]) -> bytes:
    return json.dumps({"head": {"link": [], "vars": NIM_VARS},
                       "results": {"distinct": False, "ordered": True, "bindings": bindings}},
                      ensure_ascii=False).encode()


def write_sparql_file(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    """Write a W3C SPARQL JSON result streaming (constant memory); returns the number of rows."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"head": {"link": [], "vars": ' + json.dumps(NIM_VARS) + '},\n "results": {"distinct": false, '
                 '"ordered": true, "bindings": [\n')
        for row in rows:
            if count:
                fh.write(",\n")
            fh.write(json.dumps(row, ensure_ascii=False))
            count += 1
        fh.write("\n]}}\n")
    return count


# --- a store holding generated findings --------------------------------------------------------------


@dataclass
class BuiltStore:
    path: Path
    findings: int
    fetches: int
    coverage: int
    seconds: float


def directives(catalogue: Any) -> list[Any]:
    return [m for m in catalogue.measures.values() if m.kind == "directive" and m.celex]


def build_store(state_dir: Path, target_findings: int) -> BuiltStore:
    """A store as a full eurlex refresh of the built-in catalogue would leave it, with about
    `target_findings` national-measure findings spread over the catalogue's directives and the 27.

    The rows come from the real parser (parse_nim_rows / group_nim_rows / nim_item) run on
    generated NIM pages of PAGE_SIZE rows; they are written with plain INSERTs (the store's
    schema, created by the store itself) so that the setup takes seconds.
    """
    sys.path.insert(0, str(ROOT))
    from compliance.catalogue.load import load
    from compliance.refresh.run import _content_hash
    from compliance.sources import eurlex
    from compliance.store.engine import Store

    started = time.perf_counter()
    state_dir.mkdir(parents=True, exist_ok=True)
    db = state_dir / "compliance.db"
    if db.exists():
        db.unlink()
    Store.open(f"sqlite:///{db}")  # schema via the store's own migrations
    catalogue = load()
    dirs = directives(catalogue)
    per_state = max(1, round(target_findings / (len(dirs) * 27)))
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.strftime(DB_TIME)
    con = sqlite3.connect(db)
    cur = con.cursor()
    cur.execute("INSERT INTO refresh_run (kind, started_at, finished_at, status) VALUES ('refresh', ?, ?, 'ok')",
                (stamp, stamp))
    run_id = cur.lastrowid
    n_findings = n_fetches = n_coverage = 0
    for index, measure in enumerate(dirs):
        rows = list(nim_bindings(measure.celex, per_state, seed=index))
        pages = [rows[i:i + eurlex.PAGE_SIZE] for i in range(0, len(rows), eurlex.PAGE_SIZE)]
        fetch_ids = []
        parsed_rows = []
        for page_no, page in enumerate(pages):
            body = sparql_document(page)
            sha = hashlib.sha256(body).hexdigest()
            url = f"https://publications.europa.eu/webapi/rdf/sparql?query=nim-{measure.celex}-{page_no}"
            cur.execute(
                "INSERT INTO fetch (run_id, source, method, url, final_url, request, request_key, status_code, "
                "retrieved_at, sha256, size, content_type, etag, archive_path, not_modified) "
                "VALUES (?, 'eurlex', 'GET', ?, ?, '{}', ?, 200, ?, ?, ?, 'application/sparql-results+json', ?, ?, 0)",
                (run_id, url, url, sha, stamp, sha, len(body), f'"{sha[:16]}"', f"{sha[:2]}/{sha[2:4]}/{sha}"))
            fetch_ids.append(cur.lastrowid)
            parsed_rows.extend(eurlex.parse_nim_rows(body, page_no))
        n_fetches += len(pages)
        parsed = eurlex.group_nim_rows(parsed_rows, measure.celex)
        batch = []
        for rec in parsed.records:
            item = eurlex.nim_item(rec, measure.id, measure.celex, None)
            batch.append((
                "eurlex", item.key, item.kind, item.measure_id, item.celex, item.member_state,
                item.date.isoformat() if item.date else None, item.title, item.reference, item.url, item.stage,
                json.dumps(item.data, sort_keys=True, default=str), _content_hash(item),
                fetch_ids[rec.first_page], 1, run_id, run_id, stamp, stamp,
            ))
        cur.executemany(
            "INSERT INTO finding (source, key, kind, measure_id, celex, member_state, date, title, reference, url, "
            "stage, data, content_hash, fetch_id, active, first_seen_run, last_seen_run, first_seen_at, "
            "last_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        n_findings += len(batch)
        cur.execute(
            "INSERT INTO coverage (run_id, source, measure_id, member_state, status, reason, checked_at, fetch_id) "
            "VALUES (?, 'eurlex', ?, '*', 'ok', ?, ?, ?)",
            (run_id, measure.id, f"{len(parsed.records)} notified measure(s) from 27 Member State(s)", stamp,
             fetch_ids[0]))
        n_coverage += 1
        transposition = sorted({o.date.isoformat() for o in measure.obligations
                                if o.type == "transposition" and o.date})
        meta = {"title": measure.title, "date_document": None, "entry_into_force": [], "transposition": transposition,
                "transposition_predicate": "directive_date_transposition", "deadline": [], "in_force": True,
                "end_of_validity": [], "eli": None, "work": [], "rows": 1, "celex_match": "typed",
                "amended_by": []}
        cur.execute("INSERT INTO act_metadata (source, measure_id, celex, data, fetch_id, retrieved_at) "
                    "VALUES ('eurlex', ?, ?, ?, ?, ?)",
                    (measure.id, measure.celex, json.dumps(meta, sort_keys=True), fetch_ids[0], stamp))
    cur.execute("INSERT INTO source_run (run_id, source, started_at, finished_at, status, requests, "
                "not_modified, findings_new, findings_changed, findings_gone, errors) "
                "VALUES (?, 'eurlex', ?, ?, 'ok', ?, 0, ?, 0, 0, 0)",
                (run_id, stamp, stamp, n_fetches, n_findings))
    con.commit()
    con.close()
    return BuiltStore(db, n_findings, n_fetches, n_coverage, time.perf_counter() - started)
