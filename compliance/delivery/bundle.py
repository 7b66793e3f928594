"""Export bundles for auditors: per-country reports with their evidence, and their manifest.

A bundle is a directory:

    manifest.json            tool and catalogue version, as-of date, sources' freshness, and the
                             SHA-256 and size of every other file in the bundle
    index.html, map.svg      the EU overview: schematic map + Member State x measure matrix (html)
    index.pdf                the same, printed (pdf)
    <CC>/report.html|.pdf|.xlsx|.json|.md, <CC>/assessments.csv, <CC>/evidence.csv
    archive/<sha256>         with --with-archive: the raw responses the evidence rests on, each
                             described in manifest.archive.bodies by the fetches it came from
                             (request URL, HTTP status, content type, retrieval time; redacted)

`verify` re-hashes everything against the manifest, so a bundle handed to someone else can be
checked offline. The manifest does not hash itself: record the SHA-256 that `compliance export`
prints for it to detect a manifest rewritten together with the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputError
from ..faults import ENVIRONMENT, storage_fault

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..report.assembly import Report
    from ..report.scoreboard import Scoreboard
    from ..report.trends import Trend
    from ..store.engine import Store

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
ALL_FORMATS = ("html", "pdf", "xlsx", "csv", "json", "markdown")
DEFAULT_FORMATS = ("html", "xlsx", "csv", "json", "markdown")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Fields of `compliance sources` rows kept in the manifest (endpoints are left out: a configured
# endpoint URL may carry credentials in its query string).
_SOURCE_FIELDS = ("source", "title", "enabled", "last_status", "last_run_at", "last_success_at", "last_error",
                  "max_age_days", "stale")


def parse_formats(values: tuple[str, ...] | list[str]) -> list[str]:
    """`--format html,pdf --format csv` -> ['html', 'pdf', 'csv']; 'all' means every format."""
    result: list[str] = []
    for raw in values:
        for part in raw.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name == "all":
                result.extend(ALL_FORMATS)
            elif name == "md":
                result.append("markdown")
            elif name in ALL_FORMATS:
                result.append(name)
            else:
                raise ConfigError(f"unknown export format {part.strip()!r}: use {', '.join(ALL_FORMATS)} or all")
    seen: set[str] = set()
    return [f for f in (result or list(DEFAULT_FORMATS)) if not (f in seen or seen.add(f))]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()


# -- writing -------------------------------------------------------------------------------


@dataclass
class ExportResult:
    out: Path
    files: list[dict[str, Any]]
    archived: list[str] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)  # evidence bodies not copied, and why
    manifest_sha256: str = ""


def _archive_plan(reports: list[Report], archive_root: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Which evidence bodies can be copied (present and intact) and which cannot, with why."""
    from ..store.archive import Archive

    archive = Archive(archive_root)
    wanted = sorted({e.sha256 for r in reports for a in r.assessments for e in a.evidence if e.sha256})
    ok: list[str] = []
    missing: list[dict[str, str]] = []
    for sha in wanted:
        if not _SHA256.fullmatch(sha):
            missing.append({"sha256": sha, "reason": "not a lowercase hex sha256"})
        elif not archive.path(sha).is_file():
            missing.append({"sha256": sha, "reason": f"not in the archive ({archive_root})"})
        elif not archive.verify(sha):
            missing.append({"sha256": sha, "reason": "archived body does not hash to its name (altered)"})
        else:
            ok.append(sha)
    return ok, missing


def _markdown(report: Report, archived: set[str]) -> str:
    from ..render import markdown
    from ..render.evidence import annex
    from ..render.neutralise import md_text, safe_url

    lines = [markdown.render([report]).rstrip("\n"), "", "## Evidence annex", ""]
    items = annex(report, archived).items
    if not items:
        lines.append("No evidence items.")
    else:
        lines.append("| Id | Source | Kind | Title | Reference | URL | Date | Retrieved | SHA-256 | In bundle |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for item in items:
            e = item.evidence
            url = safe_url(e.url)
            lines.append("| " + " | ".join([
                md_text(item.id),
                md_text(e.source + (" (curated)" if e.curated else "")),
                md_text(e.kind),
                md_text(e.title or "-"),
                md_text(e.reference or "-"),
                f"<{url}>" if url else md_text(e.url or "-"),
                e.date.isoformat() if e.date else md_text(e.date_text or "-"),
                e.retrieved_at.isoformat(timespec="seconds") if e.retrieved_at else "-",
                md_text(e.sha256 or "-"),
                md_text(item.bundle_path or "-"),
            ]) + " |")
    return "\n".join(lines) + "\n"


def _country_files(report: Report, formats: list[str], *, sources: list[dict], meta, archived: set[str],
                   with_archive: bool, overview: bool, chart_svg: str | None = None,
                   fetches: dict[int, dict[str, Any]] | None = None) -> dict[str, bytes]:
    from ..render import csv_, pdf, xlsx
    from ..render.evidence import EVIDENCE_COLUMNS, annex, annex_dicts, evidence_rows
    from ..render.export_html import render_country
    from ..render.rows import report_dict

    cc = report.member_state
    files: dict[str, bytes] = {}
    if "html" in formats or "pdf" in formats:
        page = render_country(report, annex=annex(report, archived, fetches), sources=sources, meta=meta,
                              with_archive=with_archive, overview_href="../index.html" if overview else None,
                              archive_prefix="../", chart_svg=chart_svg)
        if "html" in formats:
            files[f"{cc}/report.html"] = page.encode("utf-8")
        if "pdf" in formats:
            files[f"{cc}/report.pdf"] = pdf.render(page)
    if "xlsx" in formats:
        files[f"{cc}/report.xlsx"] = xlsx.render([report], archived)
    if "csv" in formats:
        files[f"{cc}/assessments.csv"] = csv_.render([report]).encode("utf-8")
        files[f"{cc}/evidence.csv"] = csv_.write_csv(EVIDENCE_COLUMNS, evidence_rows(report, archived)).encode("utf-8")
    if "json" in formats:
        data = {**report_dict(report), "evidence_annex": annex_dicts(report, archived, fetches)}
        files[f"{cc}/report.json"] = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if "markdown" in formats:
        files[f"{cc}/report.md"] = _markdown(report, archived).encode("utf-8")
    return files


def _overview_files(all_reports: list[Report], exported: list[Report], formats: list[str], *,
                    sources: list[dict], meta, measure_ids: list[str] | None,
                    scoreboard: dict | None = None) -> dict[str, bytes]:
    from ..render import pdf
    from ..render.export_html import render_index
    from ..render.overview import overview
    from ..render.svgmap import render_map

    ov = overview(all_reports)
    subtitle = f"Most urgent status per Member State, as of {meta.as_of}"
    if measure_ids:
        subtitle += f"; measures: {', '.join(measure_ids)}"
    links = {r.member_state: f"{r.member_state}/report.html" for r in exported} if "html" in formats else {}
    svg = render_map(ov.states, title="EU Member States by status", subtitle=subtitle, links=links)
    files: dict[str, bytes] = {}
    page = render_index(ov, map_svg=svg, exported=exported, links=links, sources=sources, meta=meta,
                        scoreboard=scoreboard)
    if "html" in formats:
        files["index.html"] = page.encode("utf-8")
        files["map.svg"] = render_map(ov.states, title="EU Member States by status", subtitle=subtitle).encode()
    if "pdf" in formats:
        files["index.pdf"] = pdf.render(page)
    return files


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"{out}: directory is not empty; export into a new or empty directory")


def _scoreboard_files(board: Scoreboard, history: Trend, formats: list[str], charts: dict[str, str],
                      meta) -> dict[str, bytes]:  # noqa: ANN001
    """scoreboard.html (charts, and the assessments behind each number), .json (with the trend), .csv, .md."""
    from ..render import scoreboard as sb

    files: dict[str, bytes] = {}
    if "html" in formats:
        files["scoreboard.html"] = sb.render_html(board, charts=charts, meta=meta).encode("utf-8")
    if "json" in formats:
        files["scoreboard.json"] = sb.render_json(board, history).encode("utf-8")
    if "csv" in formats:
        files["scoreboard.csv"] = sb.render_csv(board).encode("utf-8")
    if "markdown" in formats:
        files["scoreboard.md"] = sb.render_markdown(board).encode("utf-8")
    return files


def _bodies(reports: list[Report], archived: list[str], fetches: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each archived body with the fetches the bundle's evidence read it from."""
    ids: dict[str, set[int]] = {sha: set() for sha in archived}
    for r in reports:
        for a in r.assessments:
            for e in a.evidence:
                if e.sha256 in ids and e.fetch_id is not None:
                    ids[e.sha256].add(e.fetch_id)
    return [{"sha256": sha, "path": f"archive/{sha}",
             "fetches": [fetches[i] for i in sorted(ids[sha]) if i in fetches]} for sha in archived]


def write_bundle(out: Path, reports: list[Report], *, formats: list[str], catalogue: Catalogue,
                 sources: list[dict], overview_reports: list[Report] | None, archive_root: Path | None,
                 generated_at: datetime, measure_ids: list[str] | None = None,
                 scoreboard: tuple[Scoreboard, Trend] | None = None, store: Store | None = None) -> ExportResult:
    """Render every file in memory, write them to a temporary directory beside `out`, write the
    manifest last, then move the directory into place (so `out` is never half-written).

    `store`: where the evidence's fetch rows are read from, for the annexes (JSON, HTML) and for
    the manifest's description of each archived body."""
    from .. import __version__
    from ..render.export_html import Meta

    _prepare_out(out)
    if "pdf" in formats:
        from ..render import pdf

        pdf.check_available()
    if not reports:
        raise ConfigError("nothing to export: no Member State selected")
    first = reports[0]
    meta = Meta.of(tool_version=__version__, catalogue_version=catalogue.version, as_of=first.as_of,
                   generated_at=generated_at, horizon_days=first.horizon_days)
    source_rows = [{k: row.get(k) for k in _SOURCE_FIELDS} for row in sources]
    archived, missing = _archive_plan(reports, archive_root) if archive_root is not None else ([], [])
    archived_set = set(archived)
    fetches: dict[int, dict[str, Any]] = {}
    if store is not None:
        from ..store.provenance import fetch_records

        fetches = fetch_records(store, {e.fetch_id for r in reports for a in r.assessments for e in a.evidence})
    with_overview = overview_reports is not None and ("html" in formats or "pdf" in formats)

    files: dict[str, bytes] = {}
    charts: dict[str, str] = {}
    context = None
    if scoreboard is not None:
        from ..render.scoreboard import html_context

        board, history = scoreboard
        if "html" in formats or "pdf" in formats:
            from ..render.charts import scoreboard_charts

            charts = scoreboard_charts(history, [s.member_state for s in board.rows])
        files.update(_scoreboard_files(board, history, formats, charts, meta))
        context = html_context(board, {k: v for k, v in charts.items() if k == "EU"},
                               detail_href="scoreboard.html" if "html" in formats else None)
    if with_overview:
        files.update(_overview_files(overview_reports, reports, formats, sources=source_rows, meta=meta,
                                     measure_ids=measure_ids, scoreboard=context))
    for report in reports:
        files.update(_country_files(report, formats, sources=source_rows, meta=meta, archived=archived_set,
                                    with_archive=archive_root is not None, overview=with_overview,
                                    chart_svg=charts.get(report.member_state), fetches=fetches))

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it 0700; the bundle is meant to be shared
    except OSError as exc:
        raise storage_fault(exc, str(out), errnos=ENVIRONMENT) or ConfigError(
            f"{out}: cannot create the export directory ({exc.strerror or exc})") from None
    try:
        listed: list[dict[str, Any]] = []
        for rel, body in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            listed.append({"path": rel, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)})
        if archive_root is not None:
            from ..store.archive import Archive

            (tmp / "archive").mkdir()
            for sha in archived:
                target = tmp / "archive" / sha
                shutil.copyfile(Archive(archive_root).path(sha), target)
                # Re-hash the copy: the manifest states what is in the bundle, not what should be.
                listed.append({"path": f"archive/{sha}", "sha256": sha256_file(target),
                               "size": target.stat().st_size})
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "generator": "compliance",
            "tool_version": __version__,
            "catalogue_version": catalogue.version,
            "catalogue_files": [_catalogue_file(f) for f in catalogue.files],
            "as_of": meta.as_of,
            "generated_at": meta.generated_at,
            "horizon_days": meta.horizon_days,
            "member_states": [r.member_state for r in reports],
            "measures": measure_ids,
            "formats": formats,
            "with_archive": archive_root is not None,
            "sources": source_rows,
            "archive": {"included": archived, "missing": missing, "bodies": _bodies(reports, archived, fetches)},
            "files": sorted(listed, key=lambda f: f["path"]),
        }
        body = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        (tmp / MANIFEST).write_bytes(body)
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise storage_fault(exc, str(out), errnos=ENVIRONMENT) or ConfigError(
            f"{out}: cannot write the bundle ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out=out, files=manifest["files"], archived=archived, missing=missing,
                        manifest_sha256=hashlib.sha256(body).hexdigest())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _catalogue_file(name: str) -> dict[str, Any]:
    """A catalogue file with its hash, so the bundle says exactly which user entries were used."""
    if name == "built-in":
        return {"path": name, "sha256": None}
    try:
        return {"path": name, "sha256": sha256_file(Path(name))}
    except OSError:
        return {"path": name, "sha256": None}


# -- verifying -----------------------------------------------------------------------------


@dataclass
class VerifyResult:
    checked: int
    problems: list[str]
    manifest: dict[str, Any]
    manifest_sha256: str = ""  # of manifest.json itself (which cannot list its own hash)


def _safe_relative(path: object) -> str | None:
    """A manifest path, if it is a plain relative POSIX path inside the bundle."""
    if not isinstance(path, str) or not path or "\\" in path or _CONTROL.search(path):
        return None
    p = PurePosixPath(path)
    if p.is_absolute() or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return str(p)


def load_manifest(bundle: Path) -> dict[str, Any]:
    """The manifest, checked for shape; InputError (exit 2) when missing or malformed."""
    if not bundle.is_dir():
        raise InputError(f"{bundle}: not a directory")
    path = bundle / MANIFEST
    if not path.is_file():
        raise InputError(f"{bundle}: no {MANIFEST}: not an export bundle")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: malformed manifest ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise InputError(f"{path}: malformed manifest (no 'files' list)")
    seen: set[str] = set()
    for i, entry in enumerate(data["files"]):
        rel = _safe_relative(entry.get("path")) if isinstance(entry, dict) else None
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if rel is None or rel == MANIFEST or not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise InputError(f"{path}: malformed manifest (files[{i}] needs a relative 'path' inside the bundle "
                             "and a lowercase hex 'sha256')")
        if rel in seen:
            raise InputError(f"{path}: malformed manifest ({rel} listed twice)")
        seen.add(rel)
    return data


def _show(path: str) -> str:
    """A file name found on disk, printable on one line (control characters escaped)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def verify_bundle(bundle: Path, expect_sha256: str | None = None) -> VerifyResult:
    """Every listed file present with its sha256, nothing unlisted, archived bodies hashing to
    their names; with `expect_sha256`, the manifest itself hashing to the value recorded when
    the bundle was handed over (a rewritten manifest is found only that way)."""
    manifest = load_manifest(bundle)
    manifest_sha = sha256_file(bundle / MANIFEST)
    problems: list[str] = []
    if expect_sha256 is not None and manifest_sha != expect_sha256.lower():
        problems.append(f"changed: {MANIFEST}: sha256 {manifest_sha}, expected {expect_sha256.lower()}")
    listed = {e["path"]: e["sha256"] for e in manifest["files"]}
    root_dir = bundle.resolve()
    for rel, expected in listed.items():
        target = bundle / rel
        outside = target.exists() and not target.resolve().is_relative_to(root_dir)
        if target.is_symlink() or outside or (target.exists() and not target.is_file()):
            problems.append(f"not a regular file: {rel}")
            continue
        if not target.exists():
            problems.append(f"missing: {rel}")
            continue
        actual = sha256_file(target)
        if actual != expected:
            problems.append(f"changed: {rel}: sha256 {actual}, manifest says {expected}")
    for root, dirs, names in os.walk(bundle):
        dirs.sort()
        for name in sorted(names) + sorted(d for d in dirs if Path(root, d).is_symlink()):
            rel = Path(root, name).relative_to(bundle).as_posix()
            if rel == MANIFEST:
                continue
            if rel not in listed:
                problems.append(f"unlisted file: {_show(rel)}")
            if rel.startswith("archive/"):
                name_sha = rel.removeprefix("archive/")
                full = bundle / rel
                if not _SHA256.fullmatch(name_sha):
                    problems.append(f"archive body with a name that is not a sha256: {_show(rel)}")
                elif full.is_file() and not full.is_symlink() and sha256_file(full) != name_sha:
                    problems.append(f"archive body does not hash to its name: {rel}")
    archive = manifest.get("archive")
    included = archive.get("included", []) if isinstance(archive, dict) else []
    for sha in included if isinstance(included, list) else []:
        if f"archive/{sha}" not in listed:
            problems.append(f"archive body archive/{sha} named in manifest.archive but not in manifest.files")
    return VerifyResult(checked=len(listed), problems=problems, manifest=manifest, manifest_sha256=manifest_sha)
