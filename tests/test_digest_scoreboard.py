"""The scoreboard section of the digest in every format, and its charts in the mail: PNGs in
multipart/related referenced by Content-ID, shown by rendering the mail's HTML the way a mail
client does (cid: resolved to the attached part) in headless Chromium. Refreshes of the fake
source (tests/fake_source.py, CONSTRUCTED)."""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from bs4 import BeautifulSoup

from compliance.delivery.digest import build_digest, render_digest
from compliance.render.charts import DEFICIT_COLOUR

from .mailserver import free_port, start_smtp
from .series import at, clock_fixture, env_fixture, fake_fixture, standard_series  # noqa: F401
from .test_charts import CHROMIUM, chromium_screenshot, pixels


@pytest.fixture
def digest(env, clock, fake):
    settings, catalogue, store = env
    standard_series(env, clock, fake)
    return build_digest(settings, catalogue, store, key="2026-07-10..2026-08-11", member_states=["SE", "FI"],
                        now=at(8, 11, 12))


def test_scoreboard_section_in_every_format(digest):
    board = digest.scoreboard
    assert board.then_run.at == at(7, 1)  # the last snapshot before the period
    se = next(s for s in board.rows if s.member_state == "SE")
    assert [s.member_state for s in board.rows] == ["SE", "FI"] and se.rank == 1
    text = render_digest(digest, "text")
    assert "== Scoreboard as of 2026-08-11 ==" in text and "- SE: rank 1, deficit 0.0%" in text
    assert "left out of the denominator" in text
    md = render_digest(digest, "markdown")
    assert "## Scoreboard as of 2026-08-11" in md and "| 1 | Sweden \\(SE\\) | 0.0% |" in md
    page = BeautifulSoup(render_digest(digest, "html"), "html.parser")
    images = [img["src"] for img in page.find_all("img")]
    # A digest written to a file carries its charts inline: EU, then SE and FI (at most 3 states).
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    assert digest.to_dict()["scoreboard"]["member_states"][0]["member_state"] == "SE"


def test_mail_carries_the_charts_as_related_pngs(run_cli, tmp_path, env, clock, fake):
    standard_series(env, clock, fake)
    port = free_port()
    sink, controller = start_smtp(port)
    try:
        (tmp_path / "compliance.toml").write_text(
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\nfrom = "compliance@example.org"\n'
            'to = ["coordinator@example.org"]\ntimeout = 5\n', "utf-8")
        code, out, err = run_cli("digest", "--send", "-m", "SE", "--since", "2026-07-10")
    finally:
        controller.stop()
    assert code == 0, err
    ((_, _, raw),) = sink.messages
    msg = email.message_from_bytes(raw, policy=policy.default)
    html_part = msg.get_body(("html",))
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    parts = {p["Content-ID"].strip().strip("<>"): p for p in related.iter_parts()
             if p.get_content_type() == "image/png"}
    srcs = re.findall(r'src="cid:([^"]+)"', html_part.get_content())
    assert len(srcs) == 2 and set(srcs) == set(parts)  # EU and SE, each an attached part
    for part in parts.values():
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n" and part.get_content_disposition() == "inline"
    pytest.importorskip("PIL")
    eu = next(parts[c] for c in srcs if "chart-EU" in c)
    assert len(pixels(eu.get_content(), DEFICIT_COLOUR)) > 200
    _render_like_a_mail_client(html_part.get_content(), parts, tmp_path)


def _render_like_a_mail_client(html: str, parts: dict, tmp_path) -> None:  # noqa: ANN001
    if not CHROMIUM.exists():
        return  # the PNGs were checked above; CI (.ci/run) installs Chromium
    for cid, part in parts.items():
        path = tmp_path / f"{cid.split('@')[0]}.png"
        path.write_bytes(part.get_content())
        html = html.replace(f"cid:{cid}", path.as_uri())
    page = tmp_path / "mail.html"
    page.write_text(html, "utf-8")
    shot = chromium_screenshot(page, tmp_path / "mail.png", tmp_path / "profile", "1000,1400")
    assert len(pixels(shot, DEFICIT_COLOUR)) > 200, "the EU chart is not shown in the mail's HTML"

