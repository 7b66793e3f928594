"""Every status and every rule, on constructed evidence (checkov style: exact outcomes)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from compliance.checks import RULES, evaluate
from compliance.checks.base import NO_EVIDENCE_YET, Context
from compliance.model import Applicability, Status

from .helpers import AS_OF, NOW, coverage, evidence, measure, obligation


def ctx(evidence=(), coverage=(), metadata=None, as_of=AS_OF, horizon=90, **kw):  # noqa: ANN001
    return Context(as_of=as_of, now=NOW, horizon_days=horizon, evidence=evidence, coverage=coverage,
                   metadata=metadata or {}, **kw)


def one(m, ms, c):  # noqa: ANN001
    result = evaluate([m], ms, c)
    assert len(result) == 1
    return result[0]


def test_every_rule_has_id_title_severity_and_why():
    assert {"APP-001", "TRN-001", "NAT-001", "REG-001", "REG-002", "GEN-001", "RAT-001", "COM-001",
            "INF-001", "META-001"} <= set(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule.title and rule.why and rule.severity


def test_not_applicable_names_the_legal_basis():
    m = measure(exceptions={"DK": Applicability("not-bound", "Protocol No 22, Arts 1 and 2", True)})
    a = one(m, "DK", ctx())
    assert a.status is Status.NOT_APPLICABLE and a.rule == "APP-001"
    assert "Protocol No 22" in a.reason


def test_unknown_applicability_is_unknown_never_a_gap():
    m = measure(exceptions={"IE": Applicability("unknown", "Protocol No 21 (position not checked)", False)})
    a = one(m, "IE", ctx(coverage=[coverage()]))
    assert a.status is Status.UNKNOWN and not a.verified


def test_not_due_and_due_soon_by_horizon():
    far = measure(obligation(date_=AS_OF + timedelta(days=200)))
    near = measure(obligation(date_=AS_OF + timedelta(days=30)))
    assert one(far, "SE", ctx()).status is Status.NOT_DUE
    assert one(near, "SE", ctx()).status is Status.DUE_SOON
    assert one(far, "SE", ctx(horizon=365)).status is Status.DUE_SOON


def test_deadline_day_itself_is_not_late():
    m = measure(obligation(date_=AS_OF))
    assert one(m, "SE", ctx(coverage=[coverage()])).status is Status.DUE_SOON


def test_met_and_met_late_with_evidence():
    m = measure()
    on_time = one(m, "SE", ctx([evidence(date_=date(2024, 12, 1))]))
    late = one(m, "SE", ctx([evidence(date_=date(2025, 3, 1))]))
    assert on_time.status is Status.MET and on_time.rule == "TRN-001" and len(on_time.evidence) == 1
    assert late.status is Status.MET_LATE and "79 days late" in late.reason


def test_earliest_notification_counts():
    a = one(measure(), "SE", ctx([evidence(date_=date(2025, 3, 1)), evidence(date_=date(2024, 10, 1))]))
    assert a.status is Status.MET and len(a.evidence) == 2


def test_no_evidence_is_not_a_gap():
    a = one(measure(), "SE", ctx())
    assert a.status is Status.UNKNOWN and NO_EVIDENCE_YET in a.reason


def test_overdue_only_with_fresh_healthy_coverage():
    a = one(measure(), "SE", ctx(coverage=[coverage()]))
    assert a.status is Status.OVERDUE and "eurlex" in a.reason
    assert a.evidence and a.evidence[0].kind == "search" and a.evidence[0].sha256


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (coverage(status="failed", reason="HTTP 503"), "source eurlex failed"),
        (coverage(status="blocked", reason="bot challenge"), "source eurlex blocked"),
        (coverage(status="suspect", reason="only 1 state"), "source eurlex suspect"),
        (coverage(checked_at=NOW - timedelta(days=40)), "evidence stale"),
    ],
)
def test_failed_blocked_suspect_or_stale_source_gives_unknown(row, expected):
    a = one(measure(), "SE", ctx(coverage=[row]))
    assert a.status is Status.UNKNOWN and expected in a.reason


def test_max_age_is_configurable():
    row = coverage(checked_at=NOW - timedelta(days=40))
    assert one(measure(), "SE", ctx(coverage=[row], max_age_days={"eurlex": 60})).status is Status.OVERDUE


def test_coverage_for_another_member_state_does_not_count():
    a = one(measure(), "SE", ctx(coverage=[coverage(ms="FI")]))
    assert a.status is Status.UNKNOWN


def test_as_of_ignores_later_evidence():
    m = measure()
    c = ctx([evidence(date_=date(2025, 3, 1))], as_of=date(2025, 1, 15), coverage=[coverage()])
    a = one(m, "SE", c)
    assert a.status is Status.OVERDUE
    future = one(m, "SE", ctx(as_of=date(2024, 6, 1)))
    assert future.status is Status.NOT_DUE


def test_undated_deadline_is_unknown_with_reason():
    m = measure(obligation(date_=None, date_text="set by the Commission later", verified=False))
    a = one(m, "SE", ctx(coverage=[coverage()]))
    assert a.status is Status.UNKNOWN and "set by the Commission later" in a.reason and not a.verified


def test_infringement_overlays_overdue_and_met():
    m = measure()
    lfn = evidence("infringement", date_=date(2025, 1, 31), source="infringements", stage="letter-of-formal-notice",
                   reference="INFR(2025)0001")
    a = one(m, "SE", ctx([lfn], coverage=[coverage()]))
    assert a.status is Status.INFRINGEMENT and a.rule == "INF-001" and "INFR(2025)0001" in a.reason
    assert "underlying status: overdue" in a.reason
    met = one(m, "SE", ctx([lfn, evidence(date_=date(2025, 3, 1))]))
    assert met.status is Status.INFRINGEMENT and "underlying status: met-late" in met.reason


def test_closed_case_ends_the_infringement():
    m = measure()
    lfn = evidence("infringement", date_=date(2025, 1, 31), source="infringements",
                   stage="letter-of-formal-notice", reference="INFR(2025)0001")
    closure = evidence("infringement", date_=date(2025, 6, 1), source="infringements", stage="closure",
                       reference="INFR(2025)0001")
    a = one(m, "SE", ctx([lfn, closure], coverage=[coverage()]))
    assert a.status is Status.OVERDUE


def test_case_before_the_deadline_concerns_another_obligation():
    m = measure(obligation(date_=date(2027, 6, 12)))
    lfn = evidence("infringement", date_=date(2025, 1, 31), stage="letter-of-formal-notice", source="infringements")
    assert one(m, "SE", ctx([lfn])).status is Status.NOT_DUE


def test_curated_infringement_is_shown_as_curated_and_live_source_supersedes_it():
    from compliance.sources import SOURCES, SourceInfo, register

    m = measure()
    curated = evidence("infringement", date_=None, curated=True, stage="letter-of-formal-notice", source="curated")
    curated = curated.__class__(**{**curated.__dict__, "date_text": "early 2025"})
    a = one(m, "SE", ctx([curated]))
    assert a.status is Status.INFRINGEMENT and "curated evidence recorded 2026-11-22" in a.reason
    register(SourceInfo("infringements-test", "test", "x", frozenset({"infringement"}), 14))
    try:
        live_looked = coverage(source="infringements-test")
        b = one(m, "SE", ctx([curated], coverage=[live_looked]))
        assert b.status is Status.UNKNOWN  # the live register has no case: curated fact no longer used
    finally:
        SOURCES.pop("infringements-test")


def test_metadata_disagreement_changes_status_to_unknown():
    m = measure(obligation(date_=date(2026, 11, 23)))
    c = ctx(coverage=[coverage()], as_of=date(2026, 12, 1),
            metadata={"test-directive": {"transposition": ["2027-11-23"], "_source": "eurlex"}})
    a = one(m, "SE", c)
    assert a.status is Status.UNKNOWN and a.rule == "META-001"
    assert "2026-11-23" in a.reason and "2027-11-23" in a.reason


def test_metadata_disagreement_with_same_status_is_a_note():
    m = measure(obligation(date_=date(2024, 12, 12)))
    c = ctx(coverage=[coverage()], metadata={"test-directive": {"transposition": ["2024-12-13"], "_source": "eurlex"}})
    a = one(m, "SE", c)
    assert a.status is Status.OVERDUE and any("disagrees" in n for n in a.notes)


def test_metadata_confirmation_verifies_the_deadline():
    m = measure(obligation(date_=date(2024, 12, 12), verified=False))
    c = ctx(coverage=[coverage()], metadata={"test-directive": {"transposition": ["2024-12-12"], "_source": "eurlex"}})
    a = one(m, "SE", c)
    assert a.verified and any("confirmed by eurlex" in n for n in a.notes)


def test_national_strategy_rule():
    m = measure(obligation("strategy", "national-strategy", AS_OF + timedelta(days=10)))
    a = one(m, "SE", ctx())
    assert a.rule == "NAT-001" and a.status is Status.DUE_SOON


def test_regulation_duties_cannot_be_overdue_without_a_tracking_source():
    m = measure(obligation("designation", "designation", date(2025, 12, 14)),
                obligation("application", "application", date(2027, 12, 14)), kind="regulation")
    designation, application = evaluate([m], "SE", ctx(coverage=[coverage()]))
    assert designation.rule == "REG-002" and designation.status is Status.UNKNOWN
    assert "no source tracks this yet" in designation.reason
    assert application.rule == "REG-001" and application.status is Status.NOT_DUE


def test_designation_met_with_evidence():
    m = measure(obligation("designation", "designation", date(2025, 12, 14)), kind="regulation")
    a = one(m, "SE", ctx([evidence("designation", date_=date(2025, 12, 1))]))
    assert a.status is Status.MET


def test_ratification_rule():
    m = measure(obligation("ratification", "ratification", None, date_text="no deadline"), kind="convention",
                default="voluntary")
    ratified = one(m, "FR", ctx([evidence("ratification", ms="FR", date_=None, curated=True, source="curated")]))
    assert ratified.rule == "RAT-001" and ratified.status is Status.MET
    assert one(m, "DE", ctx()).status is Status.UNKNOWN


def test_commission_deliverables_on_time_late_and_missing():
    on_time = measure(obligation("commission-proposal", "proposal", date(2021, 12, 31), addressee="commission"))
    ev = evidence("proposal", ms="EU", date_=date(2021, 12, 8), curated=True, source="curated")
    a = one(on_time, "EU", ctx([ev]))
    assert a.rule == "COM-001" and a.status is Status.MET and a.member_state == "EU"
    late = one(on_time, "EU", ctx([evidence("adoption", ms="EU", date_=date(2024, 3, 19))]))
    assert late.status is Status.MET_LATE
    assert one(on_time, "EU", ctx()).status is Status.UNKNOWN


def test_commission_obligations_do_not_appear_for_member_states():
    m = measure(obligation("commission-proposal", "proposal", date(2021, 12, 31), addressee="commission"),
                kind="commission-deliverable", default="voluntary")
    a = one(m, "SE", ctx())
    assert a.status is Status.NOT_APPLICABLE and "no obligation on Member States" in a.reason


def test_unverified_evidence_makes_the_assessment_unverified():
    a = one(measure(), "SE", ctx([evidence(verified=False)]))
    assert a.status is Status.MET and not a.verified


def test_crosscheck_adopted_in_gazette_but_not_notified():
    from compliance.checks import crosscheck

    m = measure()
    gazette = evidence(ms="AT", source="gazette-at")
    c = ctx([gazette], coverage=[coverage(), coverage(source="gazette-at", ms="AT")])
    a = one(m, "AT", c)
    assert a.status is Status.MET
    d = crosscheck.check(a, c)
    assert d.kind == "adopted-not-notified" and "gazette-at" in d.detail and d.rule == "XCK-001"


def test_crosscheck_notified_but_not_in_the_gazette():
    from compliance.checks import crosscheck

    m = measure()
    c = ctx([evidence(ms="AT")], coverage=[coverage(), coverage(source="gazette-at", ms="AT")])
    d = crosscheck.check(one(m, "AT", c), c)
    assert d.kind == "notified-not-found"
    agree = ctx([evidence(ms="AT"), evidence(ms="AT", source="gazette-at")],
                coverage=[coverage(), coverage(source="gazette-at", ms="AT")])
    assert crosscheck.check(one(m, "AT", agree), agree) is None
    unsearched = ctx([evidence(ms="AT")], coverage=[coverage()])
    assert crosscheck.check(one(m, "AT", unsearched), unsearched) is None


def test_evidence_tied_to_another_obligation_does_not_count():
    proposal = obligation("commission-proposal", "proposal", date(2021, 12, 31), addressee="commission")
    database = obligation("commission-database", "other", date(2026, 6, 14), addressee="commission")
    m = measure(proposal, database, kind="regulation")
    untied = evidence("proposal", ms="EU", date_=date(2022, 9, 14), curated=True, source="curated")
    a, b = evaluate([m], "EU", ctx([untied]))
    assert a.status is Status.MET_LATE  # a proposal date answers the proposal promise
    assert b.status is Status.UNKNOWN  # ... but not the promised database
    named = evidence("adoption", ms="EU", date_=date(2026, 6, 1), curated=True, source="curated",
                     obligation_id="commission-database")
    assert evaluate([m], "EU", ctx([untied, named]))[1].status is Status.MET


def test_a_stage_still_ahead_is_never_met_on_notifications_alone():
    """Issue 13: Directive (EU) 2024/1640 has stages in 2025, 2026, 2027 and 2029; one notification
    made years earlier showed the 2029 stage `met`, "946 days left"."""
    stages = [obligation("transposition-2025-07-10", date_=date(2025, 7, 10)),
              obligation("transposition-2026-07-10", date_=date(2026, 7, 10)),
              obligation("transposition", date_=date(2027, 7, 10)),
              obligation("transposition-2029-07-10", date_=date(2029, 7, 10))]
    m = measure(*stages)
    nim = evidence(date_=date(2024, 12, 1))
    first, second, general, last = evaluate([m], "SE", ctx([nim], coverage=[coverage()]))
    # Past stages: met (on time), with a note that the notification names no stage.
    assert first.status is Status.MET and second.status is Status.MET
    assert any("4 transposition deadlines (2025-07-10, 2026-07-10, 2027-07-10, 2029-07-10)" in n
               and "due on 2026-07-10 is not shown" in n for n in second.notes)
    # Stages still ahead: not-due (beyond the horizon), never met; the notification is shown.
    for a, left in ((general, 230), (last, 961)):
        assert a.status is Status.NOT_DUE and a.met_on is None and a.evidence == (nim,)
        assert f"in {left} days; 1 national measure(s) found so far, first on 2024-12-01, not counted as met " \
               "before the deadline: they do not show this stage transposed" in a.reason
    # Within the horizon: due-soon; a notification tied to the stage (curated, named) still meets it.
    assert evaluate([m], "SE", ctx([nim], horizon=365))[2].status is Status.DUE_SOON
    named = evidence(date_=date(2026, 10, 1), curated=True, source="curated", obligation_id="transposition")
    assert evaluate([m], "SE", ctx([nim, named]))[2].status is Status.MET


def test_a_single_stage_directive_ahead_of_its_deadline_is_not_met_either():
    m = measure(obligation(date_=AS_OF + timedelta(days=200)))
    a = one(m, "SE", ctx([evidence(date_=date(2026, 1, 5))]))
    assert a.status is Status.NOT_DUE and "they do not show the directive transposed" in a.reason
    done = one(measure(obligation(date_=AS_OF - timedelta(days=1))), "SE", ctx([evidence(date_=date(2026, 1, 5))]))
    assert done.status is Status.MET and not done.notes  # one stage: nothing to tie
