"""Renderers: each turns reports into one output format. They never compute a status."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..report.assembly import Report


class Format(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


_MODULES = {
    Format.TEXT: "text",
    Format.JSON: "json_",
    Format.CSV: "csv_",
    Format.MARKDOWN: "markdown",
    Format.HTML: "html",
}


def render_chunks(reports: Iterable[Report], fmt: Format, *, color: bool = False,
                  width: int | None = None) -> Iterator[str]:
    """The text of `render` in pieces: one Member State's report at a time for text and JSON
    (each report is taken from `reports` when the text before it is asked for, so that a
    generator of reports is held one at a time), the whole output at once for the other formats."""
    module = import_module(f"{__name__}.{_MODULES[fmt]}")
    if fmt is Format.TEXT:
        return module.chunks(reports, color=color, width=width)
    if fmt is Format.JSON:
        return module.chunks(reports)
    return iter((module.render(list(reports)),))


def render(reports: list[Report], fmt: Format, *, color: bool = False, width: int | None = None) -> str:
    """Render with the module for `fmt`, imported only when asked for (keeps start-up light)."""
    module = import_module(f"{__name__}.{_MODULES[fmt]}")
    if fmt is Format.TEXT:
        return module.render(reports, color=color, width=width)
    return module.render(reports)
