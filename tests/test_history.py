"""History: transitions across a series of refreshes, evidence and source changes, the `diff`
command, and `check --as-of` on the evidence as it stood then."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from compliance.errors import InputError
from compliance.store import tables
from compliance.store.history import diff, parse_since, snapshot_runs

from .series import (  # noqa: F401 - fixtures
    THB,
    at,
    at_once_fixture,
    clock_fixture,
    env_fixture,
    fake_fixture,
    refresh_at,
    se_measure,
    standard_series,
)


def _se_thb(transitions):  # noqa: ANN001
    return [t for t in transitions if t.member_state == "SE" and t.measure_id == THB]


def test_parse_since():
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2W", now) == now - timedelta(days=14)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    for bad in ("x", "7m", "", "-3d", "2026-13-01"):
        with pytest.raises(InputError, match="--since"):
            parse_since(bad, now)


def test_transitions_over_a_series_of_refreshes(env, clock, fake):
    _, catalogue, store = env
    runs = standard_series(env, clock, fake)
    assert [r.id for r in snapshot_runs(store)] == runs
    d = diff(store, catalogue, since=at(6, 30), until=at(8, 11), member_states=["SE"])
    assert d.from_run.id == runs[0] and d.to_run.id == runs[-1]
    steps = [(t.before, t.after, t.to_run) for t in _se_thb(d.transitions)]
    assert steps == [("due-soon", "overdue", runs[1]), ("overdue", "met-late", runs[2])]
    overdue, met_late = _se_thb(d.transitions)
    # The overdue rests on the search that found nothing, met-late on the finding: both linked.
    assert [(e.kind, e.url) for e in overdue.evidence] == [("search", "https://example.org/api?q=1")]
    assert [(e.kind, e.url, e.title) for e in met_late.evidence] == [
        ("national-measure", "https://example.org/se/1", "Lag (2026:1)")]
    assert met_late.deadline == date(2026, 7, 15) and "late" in met_late.reason
    assert {t.member_state for t in d.transitions} == {"SE"}
    # New evidence in the window, with provenance.
    (new,) = d.evidence_new
    assert (new.member_state, new.measure_id, new.url, new.at) == ("SE", THB, "https://example.org/se/1", at(8, 1))
    assert new.sha256 and d.evidence_withdrawn == []
    # Source health: first run (None -> ok) and the failure on Aug 10.
    assert [(s.before, s.after) for s in d.source_changes] == [(None, "ok"), ("ok", "failed")]
    assert "HTTP 503" in d.source_changes[-1].reason


def test_window_starts_from_the_last_snapshot_before_it(env, clock, fake):
    _, catalogue, store = env
    runs = standard_series(env, clock, fake)
    d = diff(store, catalogue, since=at(7, 25), until=at(8, 11), member_states=["SE"])
    assert d.from_run.id == runs[1]  # the state as it stood at the start of the window
    assert [(t.before, t.after) for t in _se_thb(d.transitions)] == [("overdue", "met-late")]
    assert [(s.before, s.after) for s in d.source_changes] == [("ok", "failed")]
    quiet = diff(store, catalogue, since=at(8, 2), until=at(8, 9), member_states=["SE"])
    assert quiet.transitions == [] and quiet.evidence_new == []
    assert "no refresh run in this period" in quiet.notes[0]


def test_withdrawn_evidence_and_new_infringement(at_once, env, clock, fake):
    _, catalogue, store = env
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure()])
    refresh_at(env, clock, at(8, 5), fake, items=[])  # searched, no longer listed: withdrawn
    d = diff(store, catalogue, since=at(8, 2), until=at(8, 6), member_states=["SE"])
    (gone,) = d.evidence_withdrawn
    assert gone.at == at(8, 5) and gone.url == "https://example.org/se/1"
    assert [(t.before, t.after) for t in _se_thb(d.transitions)] == [("met-late", "overdue")]
    # An infringement decision appears: a transition to `infringement`, with the decision as evidence.
    from compliance.sources.base import FoundItem

    case = FoundItem(key="INFR(2026)2001", kind="infringement", measure_id=THB, member_state="SE",
                     date=date(2026, 8, 6), title="Letter of formal notice", reference="INFR(2026)2001",
                     url="https://example.org/infr/2001", stage="letter-of-formal-notice")
    refresh_at(env, clock, at(8, 7), fake, items=[case])
    d = diff(store, catalogue, since=at(8, 6), until=at(8, 8), member_states=["SE"])
    (t,) = _se_thb(d.transitions)
    assert (t.before, t.after, t.rule) == ("overdue", "infringement", "INF-001")
    assert "https://example.org/infr/2001" in {e.url for e in t.evidence}


def test_lost_member_state_is_suspect_withdraws_nothing_and_diff_says_why(env, clock, fake, run_cli):
    _, catalogue, store = env
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure()])
    lost = refresh_at(env, clock, at(8, 5), fake, items=[])  # valid, empty: SE lost
    assert lost.failed and lost.sources[0].status == "suspect"
    d = diff(store, catalogue, since=at(8, 2), until=at(8, 6), member_states=["SE"])
    assert d.evidence_withdrawn == [] and d.evidence_pending == [] and _se_thb(d.transitions) == []
    (change,) = d.source_changes
    assert (change.before, change.after) == ("ok", "suspect") and "nothing withdrawn" in change.reason
    code, out, _ = run_cli("diff", "--since", "2026-08-02", "-m", "SE")
    (line,) = [x for x in out.splitlines() if "ok -> suspect" in x]
    assert "suspect answer for thb-directive-2024-1712" in line


def test_pending_withdrawal_in_diff_check_and_as_of(env, clock, fake, run_cli):
    _, catalogue, store = env
    other = se_measure(key="72024L1712SWE_2", title="Förordning (2026:2)")
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure(), other])
    refresh_at(env, clock, at(8, 5), fake, items=[se_measure()])  # SWE_2 no longer listed: pending
    d = diff(store, catalogue, since=at(8, 2), until=at(8, 6), member_states=["SE"])
    (pending,) = d.evidence_pending
    assert (pending.at, pending.title, pending.change) == (at(8, 5), "Förordning (2026:2)", "pending")
    assert d.evidence_withdrawn == [] and _se_thb(d.transitions) == []  # the status did not move
    a = _check(run_cli, "2026-08-06")
    assert a["status"] == "met-late" and any("withdrawal pending: fake has not listed" in n for n in a["notes"])
    assert {e["not_listed_since"] for e in a["evidence"]} == {None, "2026-08-05T08:00:00+00:00"}
    assert not any("withdrawal pending" in n for n in _check(run_cli, "2026-08-03")["notes"])  # not yet then
    code, out, _ = run_cli("diff", "--since", "2026-08-02", "-m", "SE")
    assert "Not listed since (withdrawal pending) (1)" in out
    refresh_at(env, clock, at(8, 13), fake, items=[se_measure()])  # absent twice over 8 days: withdrawn
    d = diff(store, catalogue, since=at(8, 6), until=at(8, 14), member_states=["SE"])
    (gone,) = d.evidence_withdrawn
    assert gone.note == "not listed by fake in 2 healthy search(es) since 2026-08-05" and d.evidence_pending == []
    # As it stood on Aug 10: still there, pending; today: withdrawn.
    then = _check(run_cli, "2026-08-10")
    assert {e["not_listed_since"] for e in then["evidence"]} == {None, "2026-08-05T08:00:00+00:00"}
    assert len(_check(run_cli, "2026-08-14")["evidence"]) == 1


def test_diff_from_to_and_member_state_filter(env, clock, fake):
    _, catalogue, store = env
    runs = standard_series(env, clock, fake)
    d = diff(store, catalogue, from_run=runs[1], to_run=runs[2], member_states=["SE", "FI"])
    assert {(t.member_state, t.before, t.after) for t in d.transitions if t.measure_id == THB} == {
        ("SE", "overdue", "met-late")}
    everyone = diff(store, catalogue, from_run=runs[0], to_run=runs[1])
    moved = {t.member_state for t in everyone.transitions if t.measure_id == THB}
    assert {"SE", "FI", "DE"} <= moved and "DK" not in moved  # Denmark is not bound (Protocol 22)
    with pytest.raises(InputError, match="later than"):
        diff(store, catalogue, from_run=runs[2], to_run=runs[1])
    with pytest.raises(InputError, match="no stored snapshot"):
        diff(store, catalogue, from_run=999)


def test_diff_cli_formats_and_errors(env, clock, fake, run_cli):
    runs = standard_series(env, clock, fake)
    code, out, err = run_cli("diff", "--from", str(runs[0]), "--to", str(runs[2]), "-m", "SE", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [(t["from"], t["to"]) for t in data["transitions"] if t["measure"] == THB] == [
        ("due-soon", "overdue"), ("overdue", "met-late")]
    assert data["evidence"]["new"][0]["url"] == "https://example.org/se/1"
    code, out, _ = run_cli("diff", "--from", str(runs[0]), "-m", "SE")
    assert code == 0 and "SE  thb-directive-2024-1712 / transposition: overdue -> met-late" in out
    assert "evidence: fake: MNE(2026)00001 <https://example.org/se/1>" in out
    assert "fake: ok -> failed" in out
    code, out, _ = run_cli("diff", "--from", str(runs[0]), "-m", "SE", "--format", "markdown")
    assert code == 0 and "| SE | thb-directive-2024-1712: " in out and "(<https://example.org/se/1>)" in out
    # --since is relative to the real clock: these runs are months before it.
    code, out, _ = run_cli("diff", "--since", "2026-06-01", "-m", "SE", "--format", "json")
    assert code == 0 and len(json.loads(out)["transitions"]) >= 2
    for args, message in (
        (("diff", "--since", "soon"), "--since 'soon'"),
        (("diff", "--since", "7d", "--from", "1"), "not both"),
        (("diff", "--from", "999"), "run 999 has no stored snapshot"),
        (("diff", "-m", "XX"), "unknown Member State"),
    ):
        code, _, err = run_cli(*args)
        assert code == 2 and message in err and "Traceback" not in err


def test_diff_with_no_history_says_so(run_cli):
    code, out, _ = run_cli("diff", "--format", "json")
    assert code == 0 and "run compliance refresh" in json.loads(out)["notes"][0]


def test_hostile_titles_are_plain_in_diff_text_and_markdown(env, clock, fake, run_cli):
    from compliance.sources.base import FoundItem

    hostile = "Lag\x1b[31m <script>x</script>\n**bold** [a](javascript:alert(1))"
    item = FoundItem(key="K1", kind="national-measure", measure_id=THB, member_state="SE", date=date(2026, 7, 25),
                     title=hostile, reference=None, url="javascript:alert(1)")
    runs = [refresh_at(env, clock, at(7, 20), fake, items=[]).run_id,
            refresh_at(env, clock, at(8, 1), fake, items=[item]).run_id]
    _, out, _ = run_cli("diff", "--from", str(runs[0]), "-m", "SE")
    assert "\x1b" not in out and "Lag [31m <script>x</script> **bold** [a](javascript:alert(1))" in out
    _, md, _ = run_cli("diff", "--from", str(runs[0]), "-m", "SE", "--format", "markdown")
    assert "\\<script\\>x\\</script\\>" in md and "\x1b" not in md
    assert "<script>" not in md and "](javascript:" not in md and "](<javascript" not in md


# -- check --as-of on the evidence as it stood then ---------------------------------------------------


def test_store_evidence_as_of(at_once, env, clock, fake):
    _, _, store = env
    refresh_at(env, clock, at(7, 20), fake, items=[])
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure()])
    refresh_at(env, clock, at(9, 1), fake, items=[])  # withdrawn on Sep 1
    assert store.evidence(["SE"]) == []  # withdrawn now
    assert store.evidence_as_of(["SE"], at(7, 31)) == []  # not yet seen
    (then,) = store.evidence_as_of(["SE"], at(8, 15))  # seen, not yet withdrawn
    assert then.url == "https://example.org/se/1" and then.sha256
    assert store.evidence_as_of(["SE"], at(9, 2)) == []  # withdrawn before
    assert store.evidence_as_of(["FI"], at(8, 15)) == []
    assert {c.checked_at for c in store.coverage(until=at(7, 31))} == {at(7, 20)}
    assert {c.checked_at for c in store.coverage()} == {at(9, 1)}


def _check(run_cli, as_of: str) -> dict:
    code, out, err = run_cli("check", "-m", "SE", "--measure", THB, "--format", "json", "--as-of", as_of,
                             "--fail-on", "never")
    assert code == 0, err
    (report,) = json.loads(out)
    (a,) = report["assessments"]
    return a


def test_check_as_of_a_past_date_ignores_evidence_first_seen_later(env, clock, fake, run_cli):
    refresh_at(env, clock, at(7, 20), fake, items=[])
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure(day=date(2026, 7, 25))])
    # On Jul 28 the measure (dated Jul 25) existed, but the store first saw it on Aug 1.
    before = _check(run_cli, "2026-07-28")
    assert before["status"] == "overdue" and before["evidence"][0]["kind"] == "search"
    after = _check(run_cli, "2026-08-02")
    assert after["status"] == "met-late" and after["evidence"][0]["url"] == "https://example.org/se/1"
    # Before any refresh at all: nothing was known.
    assert _check(run_cli, "2026-07-19")["status"] == "unknown"
    # Today: the current evidence (the coverage of Aug 1 is stale by now, the finding stands).
    today = datetime.now(UTC).date().isoformat()
    assert _check(run_cli, today)["status"] == "met-late"


def test_check_as_of_a_past_date_uses_evidence_withdrawn_since(at_once, env, clock, fake, run_cli):
    refresh_at(env, clock, at(8, 1), fake, items=[se_measure()])
    refresh_at(env, clock, at(9, 1), fake, items=[])
    assert _check(run_cli, "2026-08-15")["status"] == "met-late"
    assert _check(run_cli, "2026-09-02")["status"] == "overdue"


def test_snapshot_rows_are_append_only(env, clock, fake):
    _, _, store = env
    standard_series(env, clock, fake)
    with store.session() as s:
        from sqlalchemy import func, select

        per_run = dict(s.execute(select(tables.AssessmentSnapshot.run_id, func.count())
                                 .group_by(tables.AssessmentSnapshot.run_id)).all())
    assert len(per_run) == 4 and len(set(per_run.values())) == 1
