"""The Atom feeds, read back with feedparser: status transitions, new and withdrawn evidence,
pending withdrawals and infringement steps, stable ids, one Member State or all, hostile text, and
the scheduler writing them after a refresh. Refreshes of the fake source (tests/fake_source.py,
CONSTRUCTED)."""

from __future__ import annotations

import dataclasses
from datetime import date

import feedparser
import pytest

from compliance.delivery.feed import build_feed, render_atom
from compliance.sources.base import FoundItem

from .series import (  # noqa: F401
    THB,
    at,
    at_once_fixture,
    clock_fixture,
    env_fixture,
    fake_fixture,
    refresh_at,
    se_measure,
)


def _case() -> FoundItem:
    return FoundItem(key="INFR(2026)2001", kind="infringement", measure_id=THB, member_state="FI",
                     date=date(2026, 8, 6), title="Letter of formal notice", reference="INFR(2026)2001",
                     url="https://example.org/infr/2001", stage="letter-of-formal-notice")


def _series(env, clock, fake) -> None:  # noqa: ANN001
    """Under `at_once` (an absence withdraws at once, whole Member States too): the withdrawn entry."""
    refresh_at(env, clock, at(7, 20), fake, items=[])  # THB overdue everywhere bound
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure()])  # SE: measure found -> met-late
    refresh_at(env, clock, at(8, 7), fake, items=[_case()])  # SE's measure no longer listed; FI: a case
    # (withdrawn at once under the `at_once` rules: these tests are about the feed, not about when a
    # withdrawal is confirmed)


def _parse(body: bytes):  # noqa: ANN202
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_feed_of_all_changes(at_once, env, clock, fake):
    _, catalogue, store = env
    _series(env, clock, fake)
    parsed = _parse(render_atom(build_feed(store, catalogue, since=at(7, 21), until=at(8, 8))))
    assert parsed.feed.title == "compliance: changes, all Member States"
    assert parsed.feed.id.startswith("urn:uuid:") and parsed.feed.updated.startswith("2026-08-07")
    by_title = {e.title: e for e in parsed.entries}
    kinds = {e.title: [t.term for t in e.tags if t.scheme == "urn:compliance:change"][0] for e in parsed.entries}
    assert kinds[f"SE {THB} / transposition: overdue -> met-late"] == "transition"
    assert kinds[f"SE {THB} / transposition: met-late -> overdue"] == "transition"
    assert kinds[f"FI {THB} / transposition: overdue -> infringement"] == "transition"
    assert kinds[f"SE {THB}: new evidence MNE(2026)00001"] == "new-evidence"
    assert kinds[f"SE {THB}: withdrawn evidence MNE(2026)00001"] == "withdrawn-evidence"
    assert kinds[f"FI {THB}: infringement step INFR(2026)2001"] == "infringement-step"
    step = by_title[f"FI {THB}: infringement step INFR(2026)2001"]
    assert step.link == "https://example.org/infr/2001" and "Letter of formal notice" in step.summary
    assert {t.term for t in step.tags if t.scheme == "urn:compliance:member-state"} == {"FI"}
    met = by_title[f"SE {THB} / transposition: overdue -> met-late"]
    assert met.link == "https://example.org/se/1" and met.updated.startswith("2026-08-01")
    # Newest first; ids unique.
    assert [e.updated for e in parsed.entries] == sorted((e.updated for e in parsed.entries), reverse=True)
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


def test_entry_ids_are_stable_across_windows_and_rewrites(at_once, env, clock, fake):
    _, catalogue, store = env
    _series(env, clock, fake)
    wide = _parse(render_atom(build_feed(store, catalogue, since=at(7, 1), until=at(8, 30))))
    narrow = _parse(render_atom(build_feed(store, catalogue, since=at(8, 2), until=at(8, 8))))
    ids = {e.title: e.id for e in wide.entries}
    assert narrow.entries and all(ids[e.title] == e.id for e in narrow.entries)
    again = _parse(render_atom(build_feed(store, catalogue, since=at(8, 2), until=at(8, 8))))
    assert [e.id for e in again.entries] == [e.id for e in narrow.entries]


def test_feed_of_one_member_state_and_the_command(at_once, env, clock, fake, run_cli, tmp_path):
    _, catalogue, store = env
    _series(env, clock, fake)
    se = _parse(render_atom(build_feed(store, catalogue, since=at(7, 21), until=at(8, 8), member_state="SE")))
    assert se.feed.title == "compliance: changes, Sweden (SE)"
    assert se.entries and all(e.title.startswith("SE ") for e in se.entries)
    # The command's window is counted back from now: these runs are months before it.
    out = tmp_path / "fi.atom"
    code, _, err = run_cli("feed", "-m", "fi", "--since", "2026-07-01", "--output", str(out),
                           "--self-url", "https://feeds.example.org/FI.atom")
    assert code == 0, err
    fi = _parse(out.read_bytes())
    assert fi.feed.links[0].href == "https://feeds.example.org/FI.atom" and fi.feed.links[0].rel == "self"
    assert {e.title for e in fi.entries} >= {f"FI {THB}: infringement step INFR(2026)2001"}
    for args, message in ((("-m", "all"), "one Member State"), (("--since", "x"), "--since 'x'"),
                          (("--self-url", "javascript:x"), "http(s) URL")):
        code, _, err = run_cli("feed", *args)
        assert code == 2 and message in err and "Traceback" not in err


def _second_nim():  # noqa: ANN202
    return dataclasses.replace(se_measure(title="Lag (2026:2)"), key="72024L1712SWE_2", celex="72024L1712SWE_2",
                               reference="MNE(2026)00002", url="https://example.org/se/2")


def test_pending_withdrawal_is_an_entry_of_its_own_and_never_counted_as_withdrawn(env, clock, fake):
    """Default rules: one of Sweden's two measures not listed by a healthy search is pending, not
    withdrawn; SE stays met-late in the feed (no transition), the scoreboard and the digest. Once
    its absence is confirmed (2 healthy searches over 7 days) it is a withdrawn entry."""
    settings, catalogue, store = env
    refresh_at(env, clock, at(7, 20), fake, items=[])
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure(), _second_nim()])  # SE met-late
    refresh_at(env, clock, at(8, 7), fake, items=[se_measure()])  # MNE(2026)00002 not listed
    parsed = _parse(render_atom(build_feed(store, catalogue, since=at(8, 2), until=at(8, 8))))
    kinds = {e.title: [t.term for t in e.tags if t.scheme == "urn:compliance:change"][0] for e in parsed.entries}
    title = f"SE {THB}: withdrawal pending, MNE(2026)00002 not listed since 2026-08-07"
    assert kinds == {title: "pending-withdrawal"}  # no transition, nothing withdrawn
    (pending,) = parsed.entries
    assert pending.link == "https://example.org/se/2" and pending.updated.startswith("2026-08-07")
    assert "still counts until its absence is confirmed" in pending.summary and "fake" in pending.summary
    assert {t.term for t in pending.tags if t.scheme == "urn:compliance:member-state"} == {"SE"}
    again = _parse(render_atom(build_feed(store, catalogue, since=at(7, 1), until=at(8, 9), member_state="SE")))
    assert pending.id in {e.id for e in again.entries}  # stable across windows

    # The digest and the scoreboard: pending is not withdrawn, and SE still counts as met.
    from compliance.delivery.digest import build_digest, render_digest

    digest = build_digest(settings, catalogue, store, key="2026-08-02..2026-08-08", member_states=["SE"],
                          now=at(8, 8, 12))
    assert [e.reference for e in digest.changes.evidence_pending] == ["MNE(2026)00002"]
    assert digest.changes.evidence_withdrawn == [] and digest.changes.transitions == []
    text = render_digest(digest, "text")
    assert "== Not listed since (withdrawal pending) (1) ==" in text and "== Withdrawn evidence (0) ==" in text
    se = next(s for s in digest.scoreboard.rows if s.member_state == "SE")
    assert [i.status for i in se.items if i.measure_id == THB] == ["met-late"]
    assert se.counts["met-late"] == 1 and se.not_met == 0  # the others are unknown (nothing searched them)
    assert digest.to_dict()["changes"]["evidence"]["withdrawn"] == []

    # Confirmed: absent from a second healthy search 13 days after the first.
    refresh_at(env, clock, at(8, 20), fake, items=[se_measure()])
    parsed = _parse(render_atom(build_feed(store, catalogue, since=at(8, 2), until=at(8, 21), member_state="SE")))
    kinds = {e.title: [t.term for t in e.tags if t.scheme == "urn:compliance:change"][0] for e in parsed.entries
             if THB in e.title}
    assert kinds == {f"SE {THB}: withdrawn evidence MNE(2026)00002": "withdrawn-evidence"}  # no longer pending


def test_hostile_text_gives_a_valid_feed(env, clock, fake):
    _, catalogue, store = env
    hostile = "Lag\x1b[31m\x00 <script>x</script> & \ufffe ]]>"
    item = FoundItem(key="K1", kind="national-measure", measure_id=THB, member_state="SE", date=date(2026, 7, 25),
                     title=hostile, reference=None, url="javascript:alert(1)")
    refresh_at(env, clock, at(7, 20), fake, items=[])
    refresh_at(env, clock, at(8, 1), fake, items=[item])
    body = render_atom(build_feed(store, catalogue, since=at(7, 21), until=at(8, 2)))
    parsed = _parse(body)
    new = next(e for e in parsed.entries if "new evidence" in e.title)
    assert "<script>x</script>" in new.title  # shown as text, escaped in the XML
    assert b"<script>" not in body and "javascript" not in body.decode()
    assert not any(link.href.startswith("javascript") for e in parsed.entries for link in e.get("links", []))
    from compliance.render.neutralise import xml_text

    assert xml_text("a\x00b\ud800c\uffffd\te\U0001f600") == "a b c d\te\U0001f600"  # a store holds no lone surrogate


def test_scheduler_writes_the_feeds_after_each_refresh(env, clock, fake, tmp_path):
    from compliance.delivery import schedule as scheduler

    config = tmp_path / "compliance.toml"
    feeds = tmp_path / "published"
    config.write_text(f'[feed]\ndir = "{feeds}"\nmember_states = ["SE", "dk"]\nsince = "3650d"\n'
                      'base_url = "https://feeds.example.org/compliance/"\n', "utf-8")
    clock.now = at(7, 20)
    fake.update(items=[])
    assert scheduler.refresh_job(str(config)) == "ok"
    clock.now = at(8, 1)
    fake.update(items=[se_measure()])
    assert scheduler.refresh_job(str(config)) == "ok"
    assert sorted(p.name for p in feeds.iterdir()) == ["DK.atom", "SE.atom", "all.atom"]
    se = _parse((feeds / "SE.atom").read_bytes())
    assert se.feed.links[0].href == "https://feeds.example.org/compliance/SE.atom"
    assert f"SE {THB} / transposition: overdue -> met-late" in {e.title for e in se.entries}
    assert _parse((feeds / "DK.atom").read_bytes()).entries == []  # DK is not bound by the THB directive


def test_a_feed_that_cannot_be_written_leaves_the_refresh_standing(env, clock, fake, tmp_path, caplog):
    from compliance.delivery import schedule as scheduler

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", "utf-8")
    config = tmp_path / "compliance.toml"
    config.write_text(f'[feed]\ndir = "{blocker}"\n', "utf-8")
    clock.now = at(7, 20)
    fake.update(items=[])
    with caplog.at_level("ERROR", logger="compliance.scheduler"):
        assert scheduler.refresh_job(str(config)) == "ok"
    assert "feed not written" in caplog.text


@pytest.mark.parametrize("bad", ['[feed]\nsince = 3\n', '[feed]\ncolour = "red"\n'])
def test_bad_feed_config_is_refused(run_cli, tmp_path, bad):
    config = tmp_path / "c.toml"
    config.write_text(bad, "utf-8")
    code, _, err = run_cli("feed", "--config", str(config))
    assert code == 2 and "Traceback" not in err
