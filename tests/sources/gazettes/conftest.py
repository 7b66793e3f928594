"""Shared fixtures of the gazette source tests: a SourceContext factory, the real samples, a catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.http import HostPolicy, HttpClient, HttpSettings
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# ../shared/samples beside the project: tests/sources/gazettes/ -> parents[4] is /work (the CI layout).
SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples" / "gazettes"


def needs_samples(country: str) -> pytest.MarkDecorator:
    path = SAMPLES / country
    return pytest.mark.skipif(not path.is_dir(), reason=f"real samples not present at {path} (fresh clone)")


def sample(country: str, name: str) -> bytes:
    return (SAMPLES / country / name).read_bytes()


def fixture_bytes(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def watch_catalogue(tmp_path: Path, *celexes: str) -> catalogue.Catalogue:
    """The built-in catalogue plus watch entries `celex-<celex>` (what a user adds by CELEX)."""
    path = tmp_path / "watch.yaml"
    entries = "".join(
        f"  - id: celex-{c.lower()}\n    celex: {c}\n    sources: [\"https://eur-lex.europa.eu/\"]\n" for c in celexes
    )
    path.write_text(f"measures:\n{entries}", "utf-8")
    return catalogue.load([path])


@pytest.fixture
def make_ctx(tmp_path):
    settings = load_settings()
    cat = catalogue.load()
    sleeps: list[float] = []
    client = HttpClient(
        HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
        Archive(tmp_path / "archive"),
        sleep=sleeps.append,
    )

    def make(measure_ids=None, member_states=None, cat_=None, http=client) -> SourceContext:  # noqa: ANN001
        messages: list[str] = []
        ctx = SourceContext(settings=settings, catalogue=cat_ or cat, http=http, member_states=member_states,
                            measure_ids=measure_ids, progress=messages.append)
        ctx.messages = messages  # type: ignore[attr-defined]
        return ctx

    make.client_sleeps = sleeps  # type: ignore[attr-defined]
    return make
