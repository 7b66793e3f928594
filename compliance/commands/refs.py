"""`compliance refs`: print the EU act references found in a document (any EU language)."""

from __future__ import annotations

import sys

import click

from ..cli import _write, output_option, verbosity_options
from ..errors import InputError


@click.command()
@click.argument("file", required=False, default="-")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@verbosity_options
def refs(file: str, fmt: str, output: str | None) -> None:
    """Find references to EU acts in FILE (or standard input) and print their CELEX numbers."""
    from ..refs import extract, render

    try:
        data = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    _write(render(extract(text), fmt), output)
