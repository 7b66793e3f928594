"""Renderers: each turns reports into one output format. They never compute a status."""

from __future__ import annotations

import enum
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..report import Report


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


def render(reports: list[Report], fmt: Format, *, color: bool = False, width: int | None = None) -> str:
    """Render with the module for `fmt`, imported only when asked for (keeps start-up light)."""
    module = import_module(f"{__name__}.{_MODULES[fmt]}")
    if fmt is Format.TEXT:
        return module.render(reports, color=color, width=width)
    return module.render(reports)
