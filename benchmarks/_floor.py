"""The floor of `compliance check`: plain sqlite3 and the standard library, no rules, no project code.

Usage: python benchmarks/_floor.py DB SKELETON

SKELETON (written by check_floor.py from a real report) is a JSON object:
  {"format": "json"|"text", "as_of": "YYYY-MM-DD", "states": [...],
   "parts": [text, {"ms": CC, "measure": ID}, text, ...]}
For each Member State in "states", in that order, the floor reads the findings the report reads
(active, of that state, not dated after the as-of date, in id order, which the index on
member_state gives without a sort) and
their fetches' provenance, and then writes the document:
  json: every placeholder part replaced by the evidence items of those rows for that measure,
        written as Evidence.to_dict() is at that depth (the report's 13 keys, same layout);
  text: the text parts as they are (the text report shows counts, not items), after the rows were
        read and counted per measure.
One state at a time, so that memory holds one state's rows. Whatever the report itself computes
(statuses, reasons, counts) is in the skeleton's text: this is the cost of reading and writing.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from json.encoder import encode_basestring as enc

FINDINGS = ("SELECT id, source, kind, title, url, reference, date, stage, member_state, measure_id, fetch_id, key "
            "FROM finding WHERE active IS 1 AND (date IS NULL OR date <= ?) AND member_state = ? ORDER BY id")
FETCHES = "SELECT id, retrieved_at, sha256, url FROM fetch WHERE id IN (SELECT fetch_id FROM finding WHERE active IS 1)"
KEYS = ("source", "kind", "url", "reference", "title", "date", "date_text", "retrieved_at", "sha256", "curated",
        "recorded", "verified", "stage")
EVIDENCE_INDENT = 5  # assessments -> evidence -> item: the depth of an evidence item's keys is 6


def _q(value: str | None) -> str:
    return "null" if value is None else enc(value)


def main() -> None:
    db, skeleton_path = sys.argv[1], sys.argv[2]
    with open(skeleton_path, encoding="utf-8") as fh:
        skeleton = json.load(fh)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    fetches = {}
    for fid, retrieved_at, sha256, url in con.execute(FETCHES):
        # SQLite holds UTC wall time "YYYY-MM-DD HH:MM:SS.ffffff"; the report writes isoformat().
        fetches[fid] = (enc(retrieved_at.replace(" ", "T") + "+00:00"), enc(sha256), url)
    missing = ("null", "null", None)
    inner = "\n" + "  " * (EVIDENCE_INDENT + 1)
    p = [("{" if i == 0 else ",") + inner + enc(k) + ": " for i, k in enumerate(KEYS)]
    close = "\n" + "  " * EVIDENCE_INDENT + "}"
    item_sep = ",\n" + "  " * EVIDENCE_INDENT
    as_json = skeleton["format"] == "json"
    as_of = skeleton["as_of"]
    out = sys.stdout
    current: str | None = None
    groups: dict[str, list[str]] = {}
    counts: dict[str, int] = {}

    def read(state: str) -> None:
        groups.clear()
        counts.clear()
        for (_id, source, kind, title, url, reference, day, stage, _ms, measure, fetch_id,
             _key) in con.execute(FINDINGS, (as_of, state)):
            if not as_json:
                counts[measure] = counts.get(measure, 0) + 1
                continue
            retrieved, sha256, fetch_url = fetches.get(fetch_id, missing)
            text = "".join((p[0], enc(source), p[1], enc(kind), p[2], _q(url or fetch_url), p[3], _q(reference),
                            p[4], _q(title), p[5], _q(day), p[6], "null", p[7], retrieved, p[8], sha256, p[9],
                            "false", p[10], "null", p[11], "true", p[12], _q(stage), close))
            group = groups.get(measure)
            if group is None:
                group = groups[measure] = []
            group.append(text)

    states = iter(skeleton["states"])
    for part in skeleton["parts"]:
        if isinstance(part, str):
            out.write(part)
            continue
        while current != part["ms"]:
            current = next(states)
            read(current)
        out.write(item_sep.join(groups[part["measure"]]))
    for state in states:  # the states whose report cites no finding are read all the same
        read(state)
    out.flush()


if __name__ == "__main__":
    main()
