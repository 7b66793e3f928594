"""HTML: a self-contained page from templates/report.html.j2, autoescaped."""

from __future__ import annotations

from ..report.assembly import Report
from .neutralise import safe_url
from .rows import days_text


def environment():  # noqa: ANN201 - jinja2 imported lazily
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("compliance", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["days"] = lambda a, report: days_text(a, report)
    env.filters["safe_url"] = safe_url
    return env


def render(reports: list[Report]) -> str:
    return environment().get_template("report.html.j2").render(reports=reports)
