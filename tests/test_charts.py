"""The trend charts, checked by rendering: the scoreboard page's SVG charts in headless Chromium and
the PNG the digest mails, read back pixel by pixel. CONSTRUCTED snapshots (scoreboard_helpers.py):
EU deficit 50 % (Feb 1), 66.7 % (Mar 15), 16.7 % (Apr 1)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from compliance.catalogue.load import load
from compliance.config.settings import load_settings
from compliance.render.charts import DEFICIT_COLOUR, STATUS_COLOURS, eu_deficit_chart, status_chart
from compliance.report.trends import trend
from compliance.store.engine import Store

from .scoreboard_helpers import write_runs

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: apt-get install -y chromium (CI's .ci/run does)")


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def pixels(png: bytes, colour: str, tolerance: int = 40) -> list[tuple[int, int]]:
    """(x, y) of the pixels close to `colour`."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    want = _rgb(colour)
    width, height = image.size
    data = image.load()
    return [(x, y) for y in range(height) for x in range(width)
            if sum(abs(a - b) for a, b in zip(data[x, y], want, strict=True)) <= tolerance]


def line_profile(points: list[tuple[int, int]]) -> tuple[float, float, float]:
    """The line's height (screen y, smaller is higher) at its left end, at 71 % of its width (Mar 15
    between Feb 1 and Apr 1) and at its right end."""
    xs = [x for x, _ in points]
    lo, hi = min(xs), max(xs)

    def y_at(fraction: float) -> float:
        x = lo + fraction * (hi - lo)
        near = [y for px, y in points if abs(px - x) <= 3]
        return sum(near) / len(near)

    return y_at(0.0), y_at(42 / 59), y_at(1.0)


def _chromium(profile: Path, size: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--window-size={size}", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


def chromium_screenshot(page: Path, shot: Path, profile: Path, size: str = "1000,700") -> bytes:
    proc = _chromium(profile, size, f"--screenshot={shot}", page.resolve().as_uri())
    assert shot.exists(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return shot.read_bytes()


def chromium_dom(page: Path, profile: Path, size: str = "1280,1600") -> str:
    """The page's DOM after its scripts ran and it was laid out at `size` (--dump-dom)."""
    proc = _chromium(profile, size, "--dump-dom", page.resolve().as_uri())
    assert proc.returncode == 0 and proc.stdout, f"no DOM (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return proc.stdout


@pytest.fixture
def constructed():
    settings = load_settings()
    store = Store.open(settings.db_url)
    write_runs(store)
    return store, load()


def _assert_deficit_line(png: bytes) -> None:
    line = pixels(png, DEFICIT_COLOUR)
    assert len(line) > 200, "the deficit line is not drawn"
    left, middle, right = line_profile(line)
    # 66.7 % (Mar 15) above 50 % (Feb 1) above 16.7 % (Apr 1): screen y grows downwards.
    assert middle < left < right, (left, middle, right)
    # The drop from 66.7 to 16.7 points is three times the rise from 50 to 66.7.
    assert (right - middle) == pytest.approx(3 * (left - middle), rel=0.25)


def test_png_chart_draws_the_deficit_over_time(constructed):
    store, catalogue = constructed
    png = eu_deficit_chart(trend(store, catalogue), kind="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    _assert_deficit_line(png)
    dk = status_chart(trend(store, catalogue), "DK", "Denmark", kind="png")
    # Each status of DK's history fills more than its legend key (about 150 pixels): it is in the plot.
    for status in ("infringement", "overdue", "met-late", "not-due"):
        assert len(pixels(dk, STATUS_COLOURS[status], tolerance=20)) > 300, status


@needs_chromium
def test_scoreboard_charts_render_in_headless_chromium(constructed, run_cli, tmp_path):
    code, out, err = run_cli("scoreboard", "--format", "html", "--as-of", "2026-04-20", "-m", "DK")
    assert code == 0, err
    page = BeautifulSoup(out, "html.parser")
    ARTIFACTS.mkdir(exist_ok=True)
    # Each chart exactly as the page embeds it, alone on a white page, so its pixels can be read.
    for chart_id in ("chart-EU", "chart-DK"):
        figure = page.find(id=chart_id)
        assert figure is not None and figure.find("svg") is not None
        alone = tmp_path / f"{chart_id}.html"
        alone.write_text(f"<!DOCTYPE html><html><body style='margin:0;background:#fff'>{figure}</body></html>",
                         "utf-8")
        png = chromium_screenshot(alone, ARTIFACTS / f"scoreboard-{chart_id}.png", tmp_path / "profile")
        if chart_id == "chart-EU":
            _assert_deficit_line(png)
        else:
            for status in ("infringement", "overdue", "met-late"):
                assert len(pixels(png, STATUS_COLOURS[status], tolerance=20)) > 300, status
    whole = tmp_path / "scoreboard.html"
    whole.write_text(out, "utf-8")
    shot = chromium_screenshot(whole, ARTIFACTS / "scoreboard.png", tmp_path / "profile", "1280,1600")
    assert len(pixels(shot, DEFICIT_COLOUR)) > 200


def test_charts_are_stable_and_self_contained(constructed):
    store, catalogue = constructed
    t = trend(store, catalogue)
    svg = eu_deficit_chart(t)
    assert svg == eu_deficit_chart(t)  # same input, same bytes (export bundles hash them)
    assert svg.startswith("<svg") and "<script" not in svg and "href=\"http" not in svg
    assert eu_deficit_chart(trend(store, catalogue, until=t.points[0].run.at.replace(year=2025))) is None


def test_check_does_not_import_matplotlib(tmp_path):
    code = ("import sys; from compliance.cli import main; sys.argv = ['compliance', 'check', '-m', 'DK', "
            "'--fail-on', 'never', '--no-cache']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import compliance.commands.scoreboard\n"
            "heavy = {'matplotlib', 'numpy', 'PIL'} & set(sys.modules)\n"
            "print('HEAVY', sorted(heavy)); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-2000:]
