"""The digest: what changed in a period, what falls due, what is newly overdue, which sources are
unwell, each item with the URL of its evidence. Built from the store (store/history.py + report/assembly.py);
rendered with the templates digest.{txt,md,html}.j2; delivered by delivery/sending.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from ..catalogue import memberstates
from ..catalogue.load import Catalogue
from ..clock import utcnow
from ..config.settings import Settings
from ..errors import InputError
from ..model import Assessment, Status
from ..store.engine import Store
from ..store.history import Diff, Link, SourceChange, Transition, diff

if TYPE_CHECKING:
    from ..report.scoreboard import Scoreboard
    from ..report.trends import Trend

BUCKETS = (30, 60, 90)  # deadlines falling within the next N days
CHART_STATES = 3  # a digest about at most this many Member States shows a status chart of each
NOT_PENDING = {Status.MET, Status.MET_LATE, Status.NOT_APPLICABLE, Status.WAIVED}
EURLEX_CELEX = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{celex}"


@dataclass(frozen=True)
class Upcoming:
    """An obligation not yet met whose deadline falls within the next 90 days."""

    member_state: str
    measure_id: str
    title: str
    obligation_id: str | None
    deadline: date
    days_left: int
    status: str
    reason: str
    links: tuple[Link, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"member_state": self.member_state, "measure": self.measure_id, "title": self.title,
                "obligation": self.obligation_id, "deadline": self.deadline.isoformat(),
                "days_left": self.days_left, "status": self.status, "reason": self.reason,
                "links": [link.to_dict() for link in self.links]}


@dataclass(frozen=True)
class SourceProblem:
    """A source that is failing, blocked, suspect or stale now (`compliance sources`)."""

    source: str
    title: str
    status: str
    stale: bool
    last_success_at: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "status": self.status, "stale": self.stale,
                "last_success_at": self.last_success_at, "reason": self.reason}


@dataclass(frozen=True)
class FactDisagreement:
    measure_id: str
    fact: str
    catalogue: str
    text_value: str | None
    quote: str | None
    provenance: str
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"measure_id": self.measure_id, "fact": self.fact, "catalogue": self.catalogue,
                "text_value": self.text_value, "quote": self.quote, "provenance": self.provenance, "url": self.url}


def fact_disagreements(catalogue: Catalogue, store: Store) -> list[FactDisagreement]:
    from ..catalogue import facts

    checks = facts.compare_all(list(catalogue.measures.values()), store.act_texts())
    return [
        FactDisagreement(c.measure_id, c.fact, c.catalogue, c.text_value, c.quote, c.provenance, c.url)
        for items in checks.values() for c in items if c.outcome == facts.DISAGREES
    ]


@dataclass(frozen=True)
class SourceLine:
    """One short line of the digest's Sources section: a source that changed in the period or has
    a problem now (failed, blocked, suspect, partial, stale)."""

    source: str
    status: str  # now: ok, partial, failed, blocked, suspect, unavailable, never fetched
    was: str | None  # the status before it changed in the period; None when it did not change
    changed_at: datetime | None
    stale: bool
    last_success_at: str | None
    reason: str | None  # one line, at most SHORT_REASON characters

    @property
    def text(self) -> str:
        """"council: failed since 2026-12-07 (was ok), stale (last success never): cannot resolve ..."."""
        parts = [self.status]
        if self.was is not None and self.changed_at is not None:
            parts.append(f"since {self.changed_at.date().isoformat()} (was {self.was})")
        head = " ".join(parts)
        if self.stale:
            head += f", stale (last success {(self.last_success_at or 'never')[:10]})"
        return f"{self.source}: {head}" + (f": {self.reason}" if self.reason else "")


def source_lines(changes: list[SourceChange], problems: list[SourceProblem]) -> list[SourceLine]:
    """One line per source: its state now, its last change in the period, its short reason."""
    from ..errors import short_reason

    ordered = sorted(changes, key=lambda c: c.at)
    last_change = {c.source: c for c in ordered}
    last_failure = {c.source: c for c in ordered if c.after != "ok"}
    now = {p.source: p for p in problems}
    lines = []
    for source in sorted({*last_change, *now}):
        change, problem, failure = last_change.get(source), now.get(source), last_failure.get(source)
        reason = problem.reason if problem else None
        if reason is None and failure is not None:  # recovered in the period: say from what
            reason = f"{failure.after} on {failure.at.date().isoformat()}" + (f": {failure.reason}" if failure.reason
                                                                            else "")
        lines.append(SourceLine(
            source=source, status=problem.status if problem else (change.after if change else "ok"),
            was=(change.before or "not run") if change else None, changed_at=change.at if change else None,
            stale=problem.stale if problem else False, last_success_at=problem.last_success_at if problem else None,
            reason=short_reason(reason) if reason else None,
        ))
    return lines


@dataclass
class Digest:
    period_key: str
    since: datetime
    until: datetime
    generated_at: datetime
    member_states: list[str]
    changes: Diff
    newly_overdue: list[Transition] = field(default_factory=list)
    upcoming: dict[int, list[Upcoming]] = field(default_factory=dict)
    source_problems: list[SourceProblem] = field(default_factory=list)
    # Catalogue facts the acts' own texts contradict (META-002, catalogue/facts.py): while they stand, every
    # digest repeats them.
    fact_disagreements: list[FactDisagreement] = field(default_factory=list)
    subject_prefix: str = "compliance digest"
    store: str | None = None  # the store the digest was built from (its label)
    scoreboard: Scoreboard | None = None  # the Member States of the digest, ranked among all 27
    trend: Trend | None = None

    @property
    def chart_keys(self) -> list[str]:
        """The charts a digest shows: the EU-wide deficit, and the status counts of each Member
        State when it is about at most CHART_STATES of them."""
        if self.trend is None or not self.trend.points:
            return []
        states = [c for c in self.member_states if c != memberstates.EU]
        return ["EU", *(states if len(states) <= CHART_STATES else [])]

    def chart_png(self, key: str) -> bytes | None:
        from ..render.charts import eu_deficit_chart, status_chart

        if self.trend is None:
            return None
        if key == "EU":
            return eu_deficit_chart(self.trend, kind="png")  # type: ignore[return-value]
        ms = memberstates.lookup(key)
        return status_chart(self.trend, key, ms.name if ms else None, kind="png")  # type: ignore[return-value]

    @property
    def sources(self) -> list[SourceLine]:
        """The Sources section: one short line per source that changed or has a problem."""
        return source_lines(self.changes.source_changes, self.source_problems)

    @property
    def scope(self) -> str:
        everything = {*memberstates.codes(), memberstates.EU}
        return "all Member States" if set(self.member_states) >= everything else ", ".join(self.member_states)

    @property
    def subject(self) -> str:
        changes, problems = len(self.changes.transitions), len(self.source_problems)
        counts = [f"{changes} status change{'' if changes == 1 else 's'}", f"{len(self.newly_overdue)} newly overdue"]
        if problems:
            counts.append(f"{problems} source problem{'' if problems == 1 else 's'}")
        if self.fact_disagreements:
            n = len(self.fact_disagreements)
            counts.append(f"{n} catalogue fact{'' if n == 1 else 's'} contradicted by the acts")
        return f"{self.subject_prefix}: {self.scope}, {self.period_key}: " + ", ".join(counts)

    @property
    def empty(self) -> bool:
        return not (self.changes.transitions or self.changes.evidence_new or self.changes.evidence_withdrawn
                    or self.changes.evidence_pending
                    or self.changes.source_changes or any(self.upcoming.values()) or self.source_problems
                    or self.fact_disagreements)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period_key": self.period_key, "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "member_states": self.member_states, "subject": self.subject,
            "changes": self.changes.to_dict(),
            "newly_overdue": [t.to_dict() for t in self.newly_overdue],
            "upcoming": {str(days): [u.to_dict() for u in items] for days, items in self.upcoming.items()},
            "source_problems": [p.to_dict() for p in self.source_problems],
            "fact_disagreements": [f.to_dict() for f in self.fact_disagreements],
            "scoreboard": self.scoreboard.to_dict() if self.scoreboard else None,
            "sources": [{"source": s.source, "status": s.status, "text": s.text} for s in self.sources],
            "store": self.store,
        }


# -- periods -----------------------------------------------------------------------------------------


def period_key(since: date, until: date) -> str:
    return f"{since.isoformat()}..{until.isoformat()}"


def period_bounds(key: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window of a period key: from the start of its first day (UTC) to now, or to the end of
    its last day when that day is over (a retried delivery rebuilds the same period)."""
    now = now or utcnow()
    try:
        first, last = (date.fromisoformat(part) for part in key.split(".."))
    except ValueError:
        raise InputError(f"not a digest period key: {key!r}") from None
    since = datetime.combine(first, time.min, tzinfo=UTC)
    end_of_last = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)
    return since, min(now, end_of_last)


def key_for(since: datetime, now: datetime | None = None) -> str:
    now = now or utcnow()
    return period_key(since.astimezone(UTC).date(), now.astimezone(UTC).date())


# -- building ------------------------------------------------------------------------------------------


def _assessment_links(a: Assessment) -> tuple[Link, ...]:
    links = tuple(Link(e.source, e.kind, e.title, e.url, e.reference, e.date, e.sha256) for e in a.evidence)
    if not links and a.measure.celex:
        # Nothing found yet: cite the act whose deadline this is, so the reader can check it.
        links = (Link("eur-lex", "act", f"CELEX {a.measure.celex}", EURLEX_CELEX.format(celex=a.measure.celex),
                      a.measure.celex),)
    return links


def upcoming_deadlines(reports: list, as_of: date) -> dict[int, list[Upcoming]]:
    buckets: dict[int, list[Upcoming]] = {days: [] for days in BUCKETS}
    for report in reports:
        for a in report.assessments:
            if a.deadline is None or a.status in NOT_PENDING:
                continue
            left = (a.deadline - as_of).days
            if not 0 <= left <= BUCKETS[-1]:
                continue
            bucket = next(days for days in BUCKETS if left <= days)
            buckets[bucket].append(Upcoming(
                member_state=report.member_state, measure_id=a.measure.id, title=a.measure.title,
                obligation_id=a.obligation.id if a.obligation else None, deadline=a.deadline, days_left=left,
                status=a.status.value, reason=a.reason, links=_assessment_links(a),
            ))
    for items in buckets.values():
        items.sort(key=lambda u: (u.deadline, u.member_state, u.measure_id))
    return buckets


def source_problems(store: Store, settings: Settings, member_states: list[str]) -> list[SourceProblem]:
    from ..render.sources import source_rows
    from ..sources import SOURCES

    problems = []
    for row in source_rows(store, settings):
        info = SOURCES.get(row["source"])
        if not row["enabled"]:
            continue
        if info is not None and info.member_states and not set(info.member_states) & set(member_states):
            continue
        if row["last_health"] == "ok" and not row["stale"]:
            continue
        error = row["last_error"]
        if row["last_health"] == "partial":  # its last run was ok but could not search everything
            reason = row["last_reason"]
        else:
            reason = error["reason"] if error and row["last_status"] != "ok" else None
        problems.append(SourceProblem(
            source=row["source"], title=row["title"], status=row["last_health"], stale=row["stale"],
            last_success_at=row["last_success_at"], reason=reason,
        ))
    return problems


def build_digest(
    settings: Settings,
    catalogue: Catalogue,
    store: Store,
    *,
    key: str,
    member_states: list[str],
    now: datetime | None = None,
) -> Digest:
    """The digest of period `key` for `member_states`, from what the store holds."""
    from ..checks import RULES
    from ..checks import waivers as waiver_mod
    from ..report.assembly import build_reports

    now = now or utcnow()
    since, until = period_bounds(key, now)
    changes = diff(store, catalogue, since=since, until=until, member_states=member_states)
    newly_overdue = [
        t for t in changes.transitions
        if t.after in (Status.OVERDUE.value, Status.INFRINGEMENT.value) and t.before != t.after
    ]
    waivers = (
        waiver_mod.load(settings.waivers_file, set(RULES), set(catalogue.measures))
        if settings.waivers_file else []
    )
    max_age = {n: s.max_age_days for n, s in settings.file.sources.items() if s.max_age_days}
    from ..report.scoreboard import build as build_scoreboard
    from ..report.trends import trend

    as_of = until.date()
    # All 27 (the scoreboard ranks among them), and the digest's own targets (EU among them).
    everyone = list(dict.fromkeys([*memberstates.codes(), *member_states]))
    reports = build_reports(catalogue, store, everyone, as_of=as_of, horizon_days=settings.file.check.horizon,
                            waivers=waivers, max_age_days=max_age, now=now)
    board = build_scoreboard(reports, as_of=as_of, generated_at=now, shown=member_states, catalogue=catalogue,
                             store=store, since=since, waivers=waivers)
    wanted = set(member_states)
    return Digest(
        period_key=key, since=since, until=until, generated_at=now, member_states=member_states,
        changes=changes, newly_overdue=newly_overdue,
        upcoming=upcoming_deadlines([r for r in reports if r.member_state in wanted], as_of),
        source_problems=source_problems(store, settings, member_states),
        fact_disagreements=fact_disagreements(catalogue, store),
        subject_prefix=settings.file.digest.subject, store=store.label,
        scoreboard=board if board.shown else None, trend=trend(store, catalogue, until=until, waivers=waivers),
    )


# -- rendering -------------------------------------------------------------------------------------------


TEMPLATES = {"text": "digest.txt.j2", "markdown": "digest.md.j2", "html": "digest.html.j2"}


def _environment(html: bool):  # noqa: ANN202 - jinja2 imported lazily
    from jinja2 import Environment, PackageLoader, StrictUndefined

    from ..render.neutralise import md_link, md_text, plain, safe_url

    env = Environment(
        loader=PackageLoader("compliance", "templates"),
        autoescape=html,  # HTML: everything escaped; text and markdown: escaped by the filters below
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["plain"] = plain
    env.filters["md"] = md_text
    env.filters["mdlink"] = md_link
    env.filters["safe_url"] = safe_url
    env.filters["isodate"] = lambda v: v.date().isoformat() if isinstance(v, datetime) else v.isoformat()
    return env


def render_digest(digest: Digest, fmt: str, images: dict[str, str] | None = None) -> str:
    """`images`: the src of each chart of digest.chart_keys in the HTML digest (a mail's cid: URLs);
    by default the PNGs inline as data: URLs, for a digest written to a file."""
    if fmt not in TEMPLATES:
        raise InputError(f"unknown digest format {fmt!r}: use text, markdown or html")
    if fmt == "html" and images is None:
        import base64

        images = {k: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                  for k in digest.chart_keys if (png := digest.chart_png(k))}
    from ..render.scoreboard import days, deficit_range, eu_line, percent, signed

    template = _environment(fmt == "html").get_template(TEMPLATES[fmt])
    board = digest.scoreboard
    return template.render(d=digest, buckets=BUCKETS, board=board, images=images or {}, percent=percent,
                           signed=signed, days=days, deficit_range=deficit_range,
                           eu_line=eu_line(board) if board else "")
