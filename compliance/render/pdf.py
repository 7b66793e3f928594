"""PDF: the export's HTML pages printed by WeasyPrint (the optional extra `[pdf]`).

WeasyPrint needs the Pango library from the system as well as the Python package; either one
missing makes `--format pdf` fail with one line saying what to install, before anything is written.
The pages are self-contained, and WeasyPrint is given a fetcher that refuses every URL, so
rendering never touches the network.
"""

from __future__ import annotations

import logging

from ..errors import ConfigError


def install_hint() -> str:
    """What to install, as commands: this project's [pdf] extra (see distribution.py) and Pango."""
    from ..distribution import install_command

    return (f"--format pdf needs the optional extra [pdf]: {install_command('pdf')} (WeasyPrint) "
            "and the Pango library (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)")


def _weasyprint():  # noqa: ANN202
    try:
        import weasyprint
    except ImportError as exc:  # the extra is not installed
        raise ConfigError(f"{install_hint()}; {exc}") from None
    except OSError as exc:  # installed, but the system libraries are missing
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{install_hint()}; {reason}") from None
    return weasyprint


def check_available() -> None:
    """Raise ConfigError (exit 2, one line) when PDF output cannot be produced here."""
    _weasyprint()


def _no_fetch(weasyprint):  # noqa: ANN001, ANN202
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint >= 66: a URLFetcher with allowed protocols
        return weasyprint.URLFetcher(allowed_protocols=())

    def refuse(url: str, *args: object, **kwargs: object) -> dict:
        raise ValueError(f"external resource refused: {url}")

    return refuse


def render(html: str) -> bytes:
    weasyprint = _weasyprint()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, url_fetcher=_no_fetch(weasyprint)).write_pdf()
