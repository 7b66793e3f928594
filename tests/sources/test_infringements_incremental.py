"""The infringement register swept incrementally (issue 17): a second refresh reads the total and the
recent windows only, reconciles the older years against the last complete sweep in the store, and
the shared writer keeps what the skipped windows found. Against the respx-mocked register of
test_infringements.py (CONSTRUCTED records in the documented shape); no network."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import respx
from sqlalchemy import text

from compliance.catalogue import load as catalogue
from compliance.clock import utcnow
from compliance.config.settings import load_settings
from compliance.refresh.run import complete_sweep, run_refresh, write_source_result
from compliance.sources import infringements
from compliance.sources.base import CoverageItem, FoundItem, Partial, SourceResult
from compliance.store.engine import Store

from .test_infringements import FAKE_ENDPOINT, FakeRegister, record

THIS_YEAR = utcnow().year
SINCE = date(THIS_YEAR - infringements.RECENT_YEARS + 1, 1, 1)
OLD = f"23/06/{SINCE.year - 2}"  # in a window an incremental sweep skips
RECENT = f"15/01/{SINCE.year}"  # in a window read every run


@pytest.fixture
def sweep(tmp_path):
    register = FakeRegister()
    with respx.mock(assert_all_called=False) as router:
        router.post(FAKE_ENDPOINT).mock(side_effect=register)
        yield _sweep(tmp_path, register)


def _sweep(tmp_path, register: FakeRegister):
    (tmp_path / "compliance.toml").write_text(
        f'[endpoints]\nINFRINGEMENTS = "{FAKE_ENDPOINT}"\n\n[http]\nmax_retries = 0\n\n'
        '[http.hosts."infr.test"]\nmin_interval = 0\n', "utf-8")
    settings_ = load_settings()
    cat = catalogue.load()
    store = Store.open(settings_.db_url)
    register.records = [
        record("INFR(2023)0001", "Denmark", OLD, "Formal notice Art. 258 TFEU"),
        record("INFR(2023)0002", "Sweden", OLD, "Formal notice Art. 258 TFEU"),
        record(f"INFR({SINCE.year})0003", "Finland", RECENT, "Formal notice Art. 258 TFEU"),
    ]

    def refresh_now(**kwargs):
        register.bodies.clear()
        summary = run_refresh(settings_, cat, store, sources=["infringements"], **kwargs)
        return summary.sources[0]

    return register, refresh_now, store


def _findings(store: Store) -> dict[str, tuple[int, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT reference, active, missing_since FROM finding WHERE source = 'infringements'"))
        return {ref: (active, missing) for ref, active, missing in rows}


def _windows_from(register) -> set[str]:
    return {b["decisionDateFrom"] for b in register.bodies}


def test_a_second_run_reads_the_recent_windows_and_keeps_the_older_decisions(sweep):
    register, refresh_now, store = sweep
    first = refresh_now()
    assert first.status == "ok" and first.partial is None and first.memo["years"], first.reason
    full = len(register.bodies)

    second = refresh_now()
    assert second.status == "ok", second.reason
    # The probe, this year and last year, and the window of later dates.
    assert len(register.bodies) == 2 + infringements.RECENT_YEARS < full
    assert min(_windows_from(register) - {"01/01/2004"}) == SINCE.strftime("%d/%m/%Y")
    assert second.partial and "incremental" in second.partial and "reconciles" in second.partial
    assert second.memo is None  # a partial answer is never built on
    # Nothing of the skipped years was withdrawn or marked absent; the recent one was listed again.
    assert _findings(store) == {"INFR(2023)0001": (1, None), "INFR(2023)0002": (1, None),
                                f"INFR({SINCE.year})0003": (1, None)}
    assert second.new == second.changed == second.gone == second.pending == 0
    # The next run still builds on the complete sweep of the first, not on the partial one.
    previous = complete_sweep(store, "infringements")
    assert previous is not None and previous.covers("pcc-info-exchange-directive", None)
    assert refresh_now().partial is not None


def test_a_change_in_an_older_year_is_read_in_full_in_the_same_run(sweep):
    register, refresh_now, store = sweep
    refresh_now()
    register.records.append(record("INFR(2023)0004", "Austria", OLD, "Formal notice Art. 258 TFEU"))
    second = refresh_now()
    assert second.status == "ok" and second.partial is None, second.reason
    assert "INFR(2023)0004" in _findings(store)
    assert "01/01/2004" in _windows_from(register)  # every window read again


def test_a_decision_gone_from_a_recent_window_is_pending_and_the_older_ones_are_kept(sweep):
    register, refresh_now, store = sweep
    register.records.append(record(f"INFR({SINCE.year})0005", "Finland", RECENT, "Formal notice Art. 258 TFEU"))
    refresh_now()
    register.records = [r for r in register.records if r["infringementNumber"] != f"INFR({SINCE.year})0003"]
    second = refresh_now()
    assert second.partial is not None and second.pending == 1, second.reason
    found = _findings(store)
    assert found[f"INFR({SINCE.year})0003"][1] is not None  # not listed since this run: pending
    assert found["INFR(2023)0001"] == found["INFR(2023)0002"] == (1, None)


def test_a_partial_answer_is_still_judged_within_its_span(sweep):
    register, refresh_now, store = sweep
    refresh_now()
    register.records = [r for r in register.records if r["decisionDate"] != RECENT]  # Finland's only one
    second = refresh_now()
    assert second.partial is not None and second.status == "suspect" and "Member State" in second.reason
    assert all(missing is None for _active, missing in _findings(store).values())


def test_every_window_is_read_again_weekly(sweep):
    register, refresh_now, store = sweep
    refresh_now()
    _age_runs(store)
    second = refresh_now()
    assert second.partial is None and second.memo
    assert "01/01/2004" in _windows_from(register)


def test_a_complete_sweep_of_fewer_member_states_is_not_built_on(sweep):
    register, refresh_now, _store = sweep
    refresh_now(member_states=["DK"])
    assert refresh_now().partial is None  # DK only was searched: every window is read for all
    assert refresh_now(member_states=["SE"]).partial is not None


def test_a_failed_or_suspect_complete_sweep_is_not_built_on(sweep):
    register, refresh_now, _store = sweep
    register.probe_extra = 1  # the total does not reconcile: every measure suspect, nothing proven
    assert refresh_now().status == "suspect"
    register.probe_extra = 0
    assert refresh_now().partial is None
    assert refresh_now().partial is not None
    register.status = 500
    assert refresh_now().status == "failed"
    register.status = 200
    assert refresh_now().partial is not None  # built on the last complete sweep that was written


# --- the shared writer and a partial answer ------------------------------------------------------


def _item(key: str, state: str, day: date) -> FoundItem:
    return FoundItem(key=key, kind="infringement", measure_id="pcc-info-exchange-directive", member_state=state,
                     date=day, reference=key)


def test_the_writer_judges_and_withdraws_a_partial_answer_only_within_its_span(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    states = ["AT", "BE", "BG", "CY", "CZ", "DE"]
    old = [_item(f"old-{s}", s, date(2022, 3, 1)) for s in states]
    recent = [_item("recent-FI", "FI", SINCE), _item("recent-SE", "SE", SINCE)]
    ok = [CoverageItem("pcc-info-exchange-directive", "ok")]

    def write(result: SourceResult, run_id: int):
        return write_source_result(store, run_id, "infringements", result, started_at=utcnow())

    with store.engine.begin() as conn:
        for run_id in (1, 2, 3):
            conn.execute(text("INSERT INTO refresh_run (id, kind, started_at, status) "
                              "VALUES (:i, 'refresh', :t, 'ok')"), {"i": run_id, "t": utcnow().replace(tzinfo=None)})
    assert write(SourceResult(findings=old + recent, coverage=ok), 1).status == "ok"

    # Only one recent decision listed: judged within the span (one of two lost, 50 %: the plausibility
    # rule bites there) would be suspect; so the answer lists both, and loses nothing it searched.
    partial = Partial(SINCE, "incremental")
    summary = write(SourceResult(findings=recent, coverage=ok, partial=partial), 2)
    assert summary.status == "ok" and summary.pending == 0 and summary.partial == "incremental", summary.reason
    # The same answer taken as whole loses every older Member State: suspect, nothing withdrawn.
    whole = write(SourceResult(findings=recent, coverage=ok), 3)
    assert whole.status == "suspect" and "Member State" in whole.reason
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT key, active + (missing_since IS NULL) FROM finding")).all())
    assert rows == {**{f"old-{s}": 2 for s in states}, "recent-FI": 2, "recent-SE": 2}


def _age_runs(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE refresh_run SET started_at = :t"),
                     {"t": (utcnow() - timedelta(days=infringements.FULL_SWEEP_DAYS)).replace(tzinfo=None)})


def test_a_record_the_register_gives_unreadably_does_not_stop_the_incremental_sweep(sweep):
    register, refresh_now, _store = sweep
    register.records.append(record("INFR(2023)0006", "Italy", f"31/02/{SINCE.year}", "Formal notice Art. 258 TFEU"))
    first = refresh_now()
    assert first.status == "suspect" and "could not be read" in first.reason and first.memo["unreadable"]
    second = refresh_now()
    assert second.partial is not None and "could not be read" in second.reason


def test_an_answer_the_writer_held_implausible_is_not_built_on(sweep):
    register, refresh_now, store = sweep
    refresh_now()
    _age_runs(store)
    register.records = [r for r in register.records if r["decisionDate"] != OLD]  # DK and SE lost at once
    held = refresh_now()
    assert held.partial is None and held.status == "suspect" and held.set_aside == ["pcc-info-exchange-directive"]
    assert refresh_now().partial is None  # not built on the held answer, nor on the week-old one


def test_refresh_json_says_the_answer_was_incremental(sweep, run_cli):
    import json

    code, out, err = run_cli("refresh", "--source", "infringements", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["sources"][0]["partial"] is None
    code, out, err = run_cli("refresh", "--source", "infringements", "--format", "json")
    assert code == 0, err
    partial = json.loads(out)["sources"][0]["partial"]
    assert partial.startswith("incremental: searched 1 decisions dated from") and "reconciles" in partial
