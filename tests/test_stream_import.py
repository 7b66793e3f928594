"""The streamed `compliance import` (refresh/stream_import.py) stores exactly what the whole-file import
stores, byte for byte: every column of every finding (the `data` JSON text, the content hash, key,
dates, provenance), in file order, and lists the same findings.

The data is CONSTRUCTED (tests/fixtures/README.md, eurlex/): a few thousand NIM rows in the W3C
SPARQL 1.1 JSON result format, in the two shapes an import meets (the §1.4 query's variables and
those of the real CELLAR capture: dir/c/country/notif/ojn/ojno/e/t), with the irregular cases of
real results: NIMs of several rows, omnibus NIMs, unknown countries, rows without key, dates that
are not dates, whitespace, quotes and non-ASCII text.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from compliance.refresh import stream_import

XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
CELLAR = "http://publications.europa.eu/resource/cellar/"
DIRECTIVES = ["32012L5001", "32014L5002", "32019L5003"]  # made up, catalogued by the test
OTHER = "32016L5999"  # made up, not catalogued
ISO3 = ["AUT", "BEL", "DEU", "DNK", "FRA", "GRC", "IRL", "POL", "SWE"]
TEXTS = ["Loi n° 2013-711 du 5 août 2013", "Νόμος 4198/2013", "Ustawa z dnia 13 czerwca 2013 r.",
         'Act "quoted" \\ back\tslash', "  Gesetz \n  vom\r\n 1.  Juli ", "Emoji 🇪🇺 act", "Ctrl \x01 char", ""]

WRITE_COLUMNS = ("source", "key", "kind", "measure_id", "celex", "member_state", "date", "title", "reference", "url",
                 "stage", "data", "content_hash", "active", "withdrawn_at")


def _lit(value: str, datatype: str = "string", lang: str | None = None) -> dict[str, str]:
    if lang is not None:
        return {"type": "literal", "xml:lang": lang, "value": value}
    return {"type": "literal", "datatype": XSD + datatype, "value": value}


def _uri(value: str) -> dict[str, str]:
    return {"type": "uri", "value": value}


def capture_shape_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """One row per NIM, the variables of the real capture (what benchmarks/scale.py generates)."""
    rows = []
    for i in range(n):
        celex = DIRECTIVES[i % len(DIRECTIVES)]
        iso3 = ISO3[i % len(ISO3)]
        year = 2013 + i % 7
        row = {
            "dir": _lit(celex),
            "c": _lit(f"7{celex[1:]}{iso3}_{year}{i:05d}"),
            "country": _uri(COUNTRY + iso3),
            "notif": _lit(f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}", "date"),
            "ojn": _lit(f"Official Journal of {iso3}"),
            "ojno": _lit(f"No {rng.randrange(1, 400)}/{year}"),
            "e": _uri(f"https://eli.{iso3.lower()}.example/{year}/{i}"),
            "t": _lit(f"Act {i} of {year} {TEXTS[i % len(TEXTS)]}", lang=["en", "de", "", "fr"][i % 4]),
        }
        if i % 11 == 0:
            del row["ojno"]
        if i % 13 == 0:
            del row["e"]
        if i % 17 == 0:
            row["notif"] = _lit("2014-02-30", "date")  # not a date
        if i % 19 == 0:
            row["notif"] = _lit(f"{year}-03-04T00:00:00+02:00", "dateTime")
        if i % 23 == 0:
            del row["t"]
        rows.append(row)
    return rows


def query_shape_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """The §1.4 query's variables, NIMs of one or more adjacent rows and the irregular cases."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        celex = DIRECTIVES[i % len(DIRECTIVES)]
        iso3 = ISO3[(i * 5) % len(ISO3)]
        nim_celex = f"7{celex[1:]}{iso3}_2015{i:05d}"
        row: dict[str, Any] = {
            "nim": _uri(f"{CELLAR}nim-{i}"),
            "nimCelex": _lit(nim_celex),
            "country": _uri(COUNTRY + iso3),
            "title": _lit(TEXTS[(i * 3) % len(TEXTS)] or f"Title {i}", lang=["en", "pl", "el"][i % 3]),
            "notified": _lit(f"2015-{1 + i % 12:02d}-{1 + i % 27:02d}", "date"),
        }
        kind = i % 10
        if kind == 0:
            row.update(ojName=_lit(" Dziennik   Ustaw "), ojNumber=_lit(f"poz. {i}"), ojPage=_lit(str(i % 90)),
                       ojDate=_lit("2015-02-03", "date"), typeAct=_lit("Loi\n organique"),
                       refCommission=_lit(f"(MNE({2015}){i})"), refMemberState=_lit(f"Dz.U. {i}"),
                       link=_uri(f"https://isap.example/{i}"), eli=_uri(f"https://eli.example/{i}"))
        elif kind == 1:
            row.update(refMemberState=_lit(f" BGBl. I Nr. {i} "), link=_uri(f"https://ris.example/{i}"))
        elif kind == 2:
            row.update(ojName=_lit("Moniteur belge"), ojNumber=_lit(""))  # an empty value
        elif kind == 3:
            del row["nimCelex"]  # the directive comes from ?dir
            row["dir"] = _lit(celex)
        elif kind == 4:
            row["nimCelex"] = _lit(f"7{OTHER[1:]}{iso3}_2015{i:05d}")  # a NIM of a directive not catalogued
        elif kind == 5:
            row["dir"] = _lit(DIRECTIVES[(i + 1) % len(DIRECTIVES)])  # omnibus: two catalogued directives
        elif kind == 6:
            row["c"] = _lit(f"7{celex[1:]}{iso3}_other{i}")  # an alias of lower rank: nimCelex wins
            row["x-extra"] = _lit("ignored")
        elif kind == 7:
            del row["title"]
            del row["notified"]
        rows.append(row)
        extra = i % 7
        if extra == 1:  # a second title (another language)
            rows.append({**row, "title": _lit(f"Second title {i}", lang="fr")})
        elif extra == 2:  # a second notification date, one that is not a date
            rows.append({**row, "notified": _lit("2014-02-30", "date")})
            rows.append({**row, "notified": _lit("2016-01-01", "date")})
        elif extra == 3:  # the same measure under another country
            rows.append({**row, "country": _uri(COUNTRY + "FIN")})
        if i % 97 == 0:
            rows.append({"country": _uri(COUNTRY + "ITA"), "title": _lit("no key")})  # skipped: no key
        if i % 89 == 0:
            rows.append({"nim": _uri(f"{CELLAR}gb-{i}"), "nimCelex": _lit(f"7{celex[1:]}GBR_{i}"),
                         "country": _uri(COUNTRY + "GBR")})  # skipped: not an EU Member State
        if i % 41 == 0:
            rows.append({"nim": _uri(f"{CELLAR}x-{i}"), "country": _uri(COUNTRY + "ESP"), "dir": _lit(celex),
                         "title": _lit(f"  Ley {i}  ", lang="es"), "notified": _lit(" 2017-05-06 ", "date")})
        _ = rng
    return rows


def nim_file(path: Path, rows: list[dict[str, Any]]) -> None:
    doc = {"head": {"link": [], "vars": sorted({k for r in rows for k in r})},
           "results": {"distinct": False, "ordered": True, "bindings": rows}}
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def watch_catalogue(path: Path) -> Path:
    lines = ["version: test-stream", "measures:"]
    for celex in DIRECTIVES:
        lines += [f"  - id: celex-{celex.lower()}", f"    celex: {celex}", "    sources: ['https://eur-lex.europa.eu/']",
                  "    obligations:",
                  "      - {id: transposition, type: transposition, addressee: member-states, date: 2020-01-01, "
                  "verified: false}"]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(7)
    path = tmp_path / "nims.json"
    nim_file(path, capture_shape_rows(rng, 2500) + query_shape_rows(rng, 1500))
    return path, watch_catalogue(tmp_path / "watch.yaml")


def stored(state: Path) -> dict[str, Any]:
    """The store's findings and import fetches, as they are stored (sqlite3, no conversion)."""
    db = sqlite3.connect(state / "compliance.db")
    try:
        fetches = db.execute("SELECT id, run_id, source, method, url, final_url, request, request_key, status_code, "
                             "retrieved_at, sha256, size, content_type, etag, last_modified, archive_path, "
                             "not_modified, imported_from FROM fetch ORDER BY id").fetchall()
        findings = db.execute(f"SELECT id, {', '.join(WRITE_COLUMNS)}, fetch_id, first_seen_run, last_seen_run, "
                              "first_seen_at, last_seen_at FROM finding ORDER BY id").fetchall()
        runs = db.execute("SELECT id, kind, status FROM refresh_run ORDER BY id").fetchall()
    finally:
        db.close()
    return {"fetches": fetches, "findings": findings, "runs": runs}


def run_import(run_cli, monkeypatch, state: Path, path: Path, catalogue: Path, *, stream: bool,
               extra: tuple[str, ...] = ()) -> dict[str, Any]:
    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 0 if stream else 1 << 40)
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(state))
    code, out, err = run_cli("import", "--source", "eurlex", str(path), "--catalogue", str(catalogue),
                             "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def comparable(findings: list[tuple]) -> list[tuple]:
    """The written columns of each finding (not its id, run or time), by (measure, key)."""
    n = len(WRITE_COLUMNS)
    return sorted((row[1:1 + n] for row in findings), key=lambda r: (r[3], r[1]))


def golden_digest(snapshot: dict[str, Any]) -> str:
    """sha256 of the findings in id order with every column; times and ids checked to be the import's own."""
    (fetch,) = [f for f in snapshot["fetches"] if f[3] == "IMPORT"]
    fetch_id, run_id, retrieved_at = fetch[0], fetch[1], fetch[9]
    rows = []
    for row in snapshot["findings"]:
        *columns, fid, first_run, last_run, first_at, last_at = row[1:]
        assert (fid, first_run, last_run, first_at, last_at) == (fetch_id, run_id, run_id, retrieved_at, retrieved_at)
        rows.append(columns)
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


# sha256 of the findings the streamed import of `big_file` stored before its per-row speed-up
# (golden_digest of the code of 2026-11-22, refresh/stream_import.py as it was then).
GOLDEN = "51e506b1d6cd29d97a96272f5cba8fa78cfbecf6327c8bfe0205d3f06a6000b5"


def test_streamed_import_stores_what_the_whole_file_import_stores(big_file, run_cli, monkeypatch, tmp_path):
    path, catalogue = big_file
    whole_out = run_import(run_cli, monkeypatch, tmp_path / "whole", path, catalogue, stream=False)
    stream_out = run_import(run_cli, monkeypatch, tmp_path / "stream", path, catalogue, stream=True)
    whole, stream = stored(tmp_path / "whole"), stored(tmp_path / "stream")

    assert len(whole["findings"]) > 3500
    assert comparable(stream["findings"]) == comparable(whole["findings"])
    # The provenance: one IMPORT fetch row, the same but for its time and run.
    (wf,), (sf,) = ([f for f in s["fetches"] if f[3] == "IMPORT"] for s in (whole, stream))
    assert wf[2:9] + wf[10:] == sf[2:9] + sf[10:]
    assert stream["runs"] == whole["runs"] and [r[2] for r in stream["runs"]] == ["ok"]

    # The same listing (the whole-file one is sorted by Member State and CELEX, the stream is in
    # file order) and the same notes and counts.
    items = stream_out.pop("findings")
    assert sorted(map(json.dumps, items)) == sorted(map(json.dumps, whole_out.pop("findings")))
    assert stream_out == whole_out and "ignored measures of directives" in stream_out["reason"]
    # Stored in file order, as listed; of two findings with one key (some capture-shape and
    # query-shape NIM CELEX numbers coincide here) the first is stored.
    listed = list(dict.fromkeys((i["measure"], i["key"]) for i in items))
    assert len(listed) < len(items)
    assert [(r[4], r[2]) for r in stream["findings"]] == listed
    # Byte for byte what the streamed import stored before it was made faster.
    assert golden_digest(stream) == GOLDEN


def test_importing_again_and_a_changed_file_match_the_whole_file_path(big_file, run_cli, monkeypatch, tmp_path):
    path, catalogue = big_file
    changed = tmp_path / "changed.json"
    doc = json.loads(path.read_text("utf-8"))
    bindings = doc["results"]["bindings"]
    bindings[5]["t"]["value"] += " (amended)"
    bindings[6]["notif"]["value"] = "2020-12-31"
    del bindings[7]["ojn"]
    changed.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    outcome = {}
    for mode in ("whole", "stream"):
        state = tmp_path / mode
        first = run_import(run_cli, monkeypatch, state, path, catalogue, stream=mode == "stream")
        again = run_import(run_cli, monkeypatch, state, path, catalogue, stream=mode == "stream")
        third = run_import(run_cli, monkeypatch, state, changed, catalogue, stream=mode == "stream")
        assert (again["new"], again["changed"]) == (0, 0) and first["new"] > 3500
        assert (third["new"], third["changed"]) == (0, 3)
        outcome[mode] = stored(state)
    assert comparable(outcome["stream"]["findings"]) == comparable(outcome["whole"]["findings"])
    last_run = {m: max(r[0] for r in outcome[m]["runs"]) for m in outcome}
    for mode, snapshot in outcome.items():
        assert {row[-3] for row in snapshot["findings"]} == {last_run[mode]}  # every finding seen in the last run


def test_a_measure_given_on_the_command_line_matches_the_whole_file_path(run_cli, monkeypatch, tmp_path):
    """NIMs without a CELEX or a ?dir: their measure comes from --measure."""
    rows = query_shape_rows(random.Random(3), 600)
    for row in rows:
        for name in ("nimCelex", "c", "dir"):
            row.pop(name, None)
        name, number = row["nim"]["value"].rsplit("/", 1)[-1].split("-") if "nim" in row else ("", "1")
        if int(number) % 5 == 0:  # some with a NIM CELEX of the measure all the same
            row["nimCelex"] = _lit(f"7{DIRECTIVES[0][1:]}AUT_{name}{number}")
    path = tmp_path / "nims.json"
    nim_file(path, rows)
    catalogue = watch_catalogue(tmp_path / "watch.yaml")
    outs = {mode: run_import(run_cli, monkeypatch, tmp_path / mode, path, catalogue, stream=mode == "stream",
                             extra=("--measure", f"celex-{DIRECTIVES[0].lower()}")) for mode in ("whole", "stream")}
    whole, stream = stored(tmp_path / "whole"), stored(tmp_path / "stream")
    assert len(whole["findings"]) > 50
    assert comparable(stream["findings"]) == comparable(whole["findings"])
    assert outs["stream"]["reason"] == outs["whole"]["reason"]


def test_a_bad_file_fails_in_one_line_and_leaves_nothing(big_file, run_cli, monkeypatch, tmp_path):
    path, catalogue = big_file
    cut = tmp_path / "cut.json"
    cut.write_bytes(path.read_bytes()[:-5000])  # cut in the middle of the bindings
    monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 0)
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(tmp_path / "state"))
    code, _, err = run_cli("import", "--source", "eurlex", str(cut), "--catalogue", str(catalogue))
    assert code == 2 and err.count("\n") <= 1 and "not JSON" in err and "cut.json" in err
    snapshot = stored(tmp_path / "state")
    assert snapshot["findings"] == [] and [r[2] for r in snapshot["runs"]] == ["failed"]
    assert not [f for f in snapshot["fetches"] if f[3] == "IMPORT"]


def test_scattered_rows_fall_back_to_the_whole_file_read(big_file, run_cli, monkeypatch, tmp_path):
    path, catalogue = big_file
    doc = json.loads(path.read_text("utf-8"))
    doc["results"]["bindings"].append(doc["results"]["bindings"][0])  # the first NIM again, at the end
    scattered = tmp_path / "scattered.json"
    scattered.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    outs = {mode: run_import(run_cli, monkeypatch, tmp_path / mode, scattered, catalogue, stream=mode == "stream")
            for mode in ("whole", "stream")}
    whole, stream = stored(tmp_path / "whole"), stored(tmp_path / "stream")
    assert comparable(stream["findings"]) == comparable(whole["findings"]) and whole["findings"]
    assert [r[2] for r in stream["runs"]] == ["interrupted", "ok"]
    assert outs["stream"]["new"] == outs["whole"]["new"]


def test_text_output_of_a_whole_file_import_lists_the_first_rows_like_a_streamed_one(tmp_path):
    from compliance.refresh.stream_import import TEXT_ROWS
    from compliance.render.refresh import render_import
    from compliance.sources.base import FoundItem, SourceResult

    findings = [FoundItem(key=f"k{i}", kind="national-measure", measure_id="thb-directive-2011-36", member_state="DE",
                          title=f"Act {i} \x1b[31mred\x1b[0m") for i in range(TEXT_ROWS + 5)]
    out = render_import(tmp_path / "f.json", b"{}", SourceResult(findings=findings), None, "text")
    assert f"Act {TEXT_ROWS - 1} " in out and f"Act {TEXT_ROWS} " not in out
    assert "... and 5 more findings (--format json lists them all)" in out
    assert "\x1b" not in out and "\\x1b[31mred" in out  # a title's control characters are shown, not obeyed
    assert out.rstrip().endswith("dry run: nothing stored")
