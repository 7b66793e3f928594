"""A schematic SVG tile map of the EU coloured by status, from data/eu_map.yaml (no network).

Every piece of text that reaches the SVG (titles, names, links) goes through `xml_text`, which
escapes markup and drops characters XML 1.0 forbids, so a hostile catalogue title stays text.
"""

from __future__ import annotations

import html
import re
from functools import cache

from ..catalogue import memberstates
from ..catalogue.memberstates import DATA_DIR
from ..errors import CatalogueError
from ..model import STATUS_ORDER, Status
from .overview import ABBREVIATIONS, StateCell

# Fill colours; the same hues as the HTML report's status classes (templates/report.html.j2).
COLOURS: dict[Status, str] = {
    Status.INFRINGEMENT: "#8b0000",
    Status.OVERDUE: "#cc0000",
    Status.DUE_SOON: "#a66300",
    Status.UNKNOWN: "#7a007a",
    Status.MET_LATE: "#006b75",
    Status.MET: "#1a7f37",
    Status.NOT_DUE: "#1f4fa3",
    Status.WAIVED: "#666666",
    Status.NOT_APPLICABLE: "#8c8c8c",
}
NO_DATA = "#e4e4e4"
SCHEMATIC_NOTE = ("Schematic tile map: one tile per Member State in approximate geographic position; "
                  "not to scale, no borders.")

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TILE, GAP, MARGIN, HEADER = 60, 6, 20, 64


def xml_text(value: object) -> str:
    """Text safe inside an SVG/XML element or a double-quoted attribute."""
    return html.escape(_XML_ILLEGAL.sub("", str(value)), quote=True)


@cache
def tiles() -> dict[str, tuple[int, int]]:
    """The tile grid: EU code -> (column, row). Checked to hold exactly the 27 Member States."""
    import yaml

    text = (DATA_DIR / "eu_map.yaml").read_text("utf-8")
    try:
        raw = yaml.safe_load(text)["tiles"]
        grid = {str(code): (int(pos[0]), int(pos[1])) for code, pos in raw.items()}
    except (KeyError, TypeError, ValueError, IndexError, yaml.YAMLError) as exc:
        raise CatalogueError(f"eu_map.yaml: malformed ({exc})") from exc
    if set(grid) != set(memberstates.codes()):
        raise CatalogueError("eu_map.yaml: the tiles must be exactly the 27 Member States' EU codes")
    if len(set(grid.values())) != len(grid):
        raise CatalogueError("eu_map.yaml: two Member States share a tile")
    return grid


def _shorten(text: str, limit: int = 95) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def render_map(states: list[StateCell], *, title: str, subtitle: str,
               links: dict[str, str] | None = None, id_prefix: str = "eumap") -> str:
    """The SVG document (also valid inline in HTML). `states` may cover fewer than 27: the
    others are drawn grey as 'no assessment'."""
    grid = tiles()
    by_code = {s.member_state: s for s in states}
    cols = 1 + max(c for c, _ in grid.values())
    rows = 1 + max(r for _, r in grid.values())
    grid_w, grid_h = cols * (TILE + GAP), rows * (TILE + GAP)
    legend_x = MARGIN + grid_w + 24
    width = legend_x + 190
    height = HEADER + grid_h + 44
    p = id_prefix
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{p}-title {p}-desc" class="eu-map">',
        f'<title id="{p}-title">{xml_text(title)}</title>',
        f'<desc id="{p}-desc">{xml_text(subtitle)}. {xml_text(SCHEMATIC_NOTE)}</desc>',
        "<style>text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;}"
        ".h{font-size:16px;font-weight:bold;fill:#1a1a1a}.s{font-size:12px;fill:#444}"
        ".c{font-size:16px;font-weight:bold}.a{font-size:10px}.l{font-size:12px;fill:#1a1a1a}</style>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="h" x="{MARGIN}" y="24">{xml_text(_shorten(title))}</text>',
        f'<text class="s" x="{MARGIN}" y="44">{xml_text(_shorten(subtitle, 110))}</text>',
    ]
    for code, (col, row) in sorted(grid.items(), key=lambda kv: (kv[1][1], kv[1][0])):
        cell = by_code.get(code)
        status = cell.status if cell else None
        fill = COLOURS[status] if status else NO_DATA
        ink = "#ffffff" if status else "#333333"
        x, y = MARGIN + col * (TILE + GAP), HEADER + row * (TILE + GAP)
        ms = memberstates.lookup(code)
        label = cell.description if cell else f"{ms.name if ms else code} ({code}): no assessment"
        tile = (
            f'<g class="tile" data-ms="{code}" data-status="{status.value if status else "none"}">'
            f"<title>{xml_text(label)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="6" fill="{fill}" stroke="#ffffff"/>'
            f'<text class="c" x="{x + TILE / 2:g}" y="{y + 28}" text-anchor="middle" fill="{ink}">{code}</text>'
            f'<text class="a" x="{x + TILE / 2:g}" y="{y + 46}" text-anchor="middle" fill="{ink}">'
            f"{xml_text(ABBREVIATIONS[status]) if status else '-'}</text></g>"
        )
        href = (links or {}).get(code)
        out.append(f'<a href="{xml_text(href)}">{tile}</a>' if href else tile)
    out.append(f'<text class="l" x="{legend_x}" y="{HEADER + 10}" font-weight="bold">Most urgent status</text>')
    entries = [(COLOURS[s], f"{ABBREVIATIONS[s]}  {s.value}") for s in STATUS_ORDER]
    entries.append((NO_DATA, "-  no assessment"))
    for i, (fill, text) in enumerate(entries):
        y = HEADER + 24 + i * 20
        out.append(f'<rect x="{legend_x}" y="{y}" width="14" height="14" rx="2" fill="{fill}"/>'
                   f'<text class="l" x="{legend_x + 20}" y="{y + 12}">{xml_text(text)}</text>')
    out.append(f'<text class="s" x="{MARGIN}" y="{height - 16}">{xml_text(SCHEMATIC_NOTE)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
