"""`compliance schedule`: refresh and send digests on cron expressions from the config.

APScheduler 3.x with its job store in the store's own database (table `apscheduler_jobs`), so a
restarted scheduler knows when each job last ran: a run missed while it was down still starts
within `misfire_grace_time`, several missed runs coalesce into one, and one job never runs
twice at once. A refresh that finds another refresh running (a person's `compliance refresh`,
say) is refused by compliance.refresh.refresh_lock and logged.

Cron expressions are read as cron reads them: APScheduler 3's own `from_crontab` takes day of
week 0 as Monday, cron takes it as Sunday, so the day-of-week field is translated here.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ..config.settings import Settings, load_settings
from ..errors import ComplianceError, ConfigError

log = logging.getLogger("compliance.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 (and 7) = Sunday
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


# -- cron expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression, validated."""

    expression: str
    minute: str
    hour: str
    day: str
    month: str
    weekdays: tuple[int, ...] | None  # cron numbers 0-6 (Sunday = 0), None for every day

    @property
    def day_of_week(self) -> str:
        return "*" if self.weekdays is None else ",".join(DAY_NAMES[d] for d in self.weekdays)


def _dow_value(token: str, expression: str) -> int:
    token = token.strip().lower()
    if token[:3] in DAY_NAMES and len(token) >= 3:
        return DAY_NAMES.index(token[:3])
    if token.isdecimal() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ConfigError(f"cron {expression!r}: {token!r} is not a day of the week (0-7 or sun-sat)")


def _weekdays(field: str, expression: str) -> tuple[int, ...] | None:
    """Cron's day-of-week field as a set of days (0 = Sunday), expanding ranges and steps."""
    if field == "*":
        return None
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdecimal() or int(step_text) < 1:
                raise ConfigError(f"cron {expression!r}: bad step {step_text!r}")
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            lo, hi = base.split("-", 1)
            first, last = _dow_value(lo, expression), _dow_value(hi, expression)
            if hi.strip() == "7":
                last = 7  # "5-7" is Friday to Sunday
        else:
            first = last = _dow_value(base, expression)
            if step_text:
                last = 6
        if last < first:
            raise ConfigError(f"cron {expression!r}: range {base!r} runs backwards")
        days.update(d % 7 for d in range(first, last + 1, step))
    return tuple(sorted(days))


def parse_cron(expression: str) -> Cron:
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(f"cron {expression!r}: need five fields (minute hour day month day-of-week)")
    minute, hour, day, month, dow = fields
    if day != "*" and dow != "*":
        # cron runs when EITHER matches, APScheduler and systemd when BOTH do: refuse to guess.
        raise ConfigError(f"cron {expression!r}: restrict the day of the month or the day of the week, not both")
    return Cron(expression, minute, hour, day, month, _weekdays(dow, expression))


def timezone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[schedule] timezone {name!r} is not a known time zone (e.g. Europe/Brussels)") from None


def trigger(cron: Cron, tz: tzinfo) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger(minute=cron.minute, hour=cron.hour, day=cron.day, month=cron.month,
                           day_of_week=cron.day_of_week, timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"cron {cron.expression!r}: {exc}") from None


# -- the jobs -------------------------------------------------------------------------------------------


def _settings(config: str | None) -> Settings:
    return load_settings(config)


def refresh_job(config: str | None = None) -> str:
    """One scheduled refresh. Returns its status ("refused" when another refresh holds the lock)."""
    from ..catalogue.load import load
    from ..refresh.run import RefreshLockedError, run_refresh
    from ..store.engine import Store

    store = None
    try:
        settings = _settings(config)
        store = Store.open(settings.db_url)
        catalogue = load(settings.catalogue_files)
        summary = run_refresh(settings, catalogue, store)
        feeds = _write_feeds(settings, catalogue, store)
    except RefreshLockedError as exc:
        log.warning("scheduled refresh refused: %s", exc)
        return "refused"
    except ComplianceError as exc:
        log.error("scheduled refresh failed: %s", exc)
        return "error"
    finally:
        if store is not None:
            store.engine.dispose()  # a long-running process opens a store per run
    from ..render.sources import health

    for s in summary.sources:  # the details, at debug level: the job's line says which
        if health(s.status, s.errors) != "ok":
            log.debug("refresh run %d: source %s %s: %s", summary.run_id, s.source, s.status, s.reason)
    line = refresh_line(summary) + (f"; {feeds} feed(s) written" if feeds else "")
    (log.info if not summary.failed else log.warning)("%s", line)
    return summary.status


def _write_feeds(settings: Settings, catalogue: Any, store: Any) -> int:
    """The Atom feeds after a refresh ([feed]), counted for the job's line; a feed that cannot be
    written is logged, the refresh it follows stands."""
    from .feed import write_feeds

    written = 0
    try:
        for path in write_feeds(settings, catalogue, store):
            log.debug("feed written: %s", path)
            written += 1
    except (ComplianceError, OSError) as exc:
        log.error("feed not written: %s", exc)
    return written


def refresh_line(summary: Any) -> str:
    """The scheduler's one line for a refresh job: its run, status and the sources not ok."""
    from ..render.sources import health

    bad = [f"{s.source} {health(s.status, s.errors)}" for s in summary.sources if health(s.status, s.errors) != "ok"]
    line = f"refresh run {summary.run_id} finished: {summary.status}, {len(summary.sources)} source(s)"
    if summary.network:
        line += f"; {summary.network}"
    if bad:
        line += f"; not ok: {', '.join(bad)}"
    return line


def digest_job(config: str | None = None) -> str:
    """One scheduled digest, sent through the configured channels (never twice per period)."""
    from ..catalogue.load import load
    from ..store.engine import Store
    from .sending import run_digest

    store = None
    try:
        settings = _settings(config)
        store = Store.open(settings.db_url)
        result = run_digest(settings, load(settings.catalogue_files), send=True, store=store)
    except ComplianceError as exc:
        log.error("scheduled digest failed: %s", exc)
        return "error"
    finally:
        if store is not None:
            store.engine.dispose()
    lines = "; ".join(o.line() for o in result.outcomes) or "nothing to deliver"
    (log.warning if result.failed else log.info)("digest %s: %s", result.key, lines)
    return "failed" if result.failed else "ok"


# Textual references, as APScheduler stores them with each job in the database: they name
# compliance/scheduler.py, which keeps the references of stored jobs resolving.
JOB_FUNCTIONS = {"refresh": "compliance.scheduler:refresh_job", "digest": "compliance.scheduler:digest_job"}


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    cron: Cron
    trigger: Any
    args: tuple[Any, ...]


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs [schedule] asks for, validated."""
    section = settings.file.schedule
    tz = timezone(section.timezone)
    config = str(settings.config_path.resolve()) if settings.config_path else None
    specs = []
    for job_id in ("refresh", "digest"):
        expression = getattr(section, job_id)
        if expression:
            cron = parse_cron(expression)
            specs.append(JobSpec(job_id, JOB_FUNCTIONS[job_id], cron, trigger(cron, tz), (config,)))
    return specs


def _wall_clock(fire: datetime) -> datetime:
    """The time a clock of the fire time's zone shows at that instant (see next_fire_times)."""
    from datetime import UTC

    return fire.astimezone(UTC).astimezone(fire.tzinfo)


@dataclass(frozen=True)
class FireTime:
    """When a job really runs (a wall-clock time of its zone), and why that may surprise."""

    at: datetime
    note: str | None = None  # a DST change moved this run, or its local time happens twice


def next_fire_times(spec: JobSpec, count: int = 3, now: datetime | None = None) -> list[FireTime]:
    """The next times the job really runs.

    APScheduler gives a local time skipped by a DST change (02:30 on the night clocks go forward
    in Europe/Brussels) the offset from before the change: 02:30+01:00, a time no clock shows.
    That instant is 03:30+02:00, when the job runs, so each time is normalised through UTC and
    the move is said; a local time that happens twice (the night clocks go back) is said too."""
    from ..clock import utcnow

    times: list[FireTime] = []
    previous = None
    moment = now or utcnow()
    zone = str(spec.trigger.timezone)
    for _ in range(count):
        fire = spec.trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        real = _wall_clock(fire)
        note = None
        if real.replace(tzinfo=None) != fire.replace(tzinfo=None):
            note = (f"{fire.strftime('%H:%M')} does not exist on {fire.date().isoformat()} in {zone} (clocks go "
                    f"forward): runs at {real.isoformat(timespec='minutes')[11:]}")
        elif real.replace(fold=0).utcoffset() != real.replace(fold=1).utcoffset():
            note = (f"{real.strftime('%H:%M')} happens twice on {real.date().isoformat()} in {zone} (clocks go "
                    f"back): this run is the one at {real.isoformat(timespec='minutes')[11:]}")
        times.append(FireTime(real, note))
        previous, moment = fire, fire
    return times


# -- the scheduler ----------------------------------------------------------------------------------------


def build_scheduler(settings: Settings) -> Any:
    """A BackgroundScheduler whose jobs live in the store's database."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from ..store.engine import Store

    store = Store.open(settings.db_url)  # created / migrated first: the job table joins a known store
    section = settings.file.schedule
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": section.misfire_grace_time},
        timezone=timezone(section.timezone),
    )


def sync_jobs(scheduler: Any, specs: list[JobSpec], misfire_grace_time: int) -> None:
    """Make the stored jobs match the config. A stored job with the same schedule is kept as it
    is, so a run missed while the scheduler was down still happens (within the grace time)."""
    wanted = {s.id: s for s in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing job %s: no longer in [schedule]", job.id)
            job.remove()
    for spec in specs:
        job = scheduler.get_job(spec.id)
        same = job is not None and (
            str(job.trigger) == str(spec.trigger) and str(job.trigger.timezone) == str(spec.trigger.timezone)
            and job.func_ref == spec.func and tuple(job.args) == spec.args
            and job.misfire_grace_time == misfire_grace_time
        )
        if same:
            continue
        scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, name=f"compliance {spec.id}",
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=misfire_grace_time)


def run_forever(settings: Settings, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM or SIGINT (or `stop` is set); let a running job finish; return 0."""
    specs = job_specs(settings)
    if not specs:
        raise ConfigError("[schedule]: set refresh and/or digest to a cron expression (e.g. refresh = \"0 6 * * *\")")
    if any(s.id == "digest" for s in specs):
        from .sending import channels

        channels(settings, send=True)  # refuse now, not at the first digest, when nothing can be sent
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.error("second %s: exiting without waiting for the running job", signal.Signals(signum).name)
            os._exit(130)
        log.info("received %s: stopping after the running job, if any", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, specs, settings.file.schedule.misfire_grace_time)
        scheduler.resume()
        for job in scheduler.get_jobs():
            log.info("job %s (%s, %s): next run %s", job.id, next(s.cron.expression for s in specs if s.id == job.id),
                     settings.file.schedule.timezone,
                     _wall_clock(job.next_run_time).isoformat() if job.next_run_time else "-")
        log.info("scheduler running (pid %d); stop it with SIGTERM or Ctrl-C", os.getpid())
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
    log.info("scheduler stopped")
    return 0


# -- for system cron and systemd timers ------------------------------------------------------------------


def _calendar_field(value: str, *, start: int, names: tuple[str, ...] = ()) -> str:
    """One cron field (minute, hour, day, month) in systemd.time(7) calendar syntax."""
    if value == "*":
        return "*"
    parts = []
    for part in value.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            base = str(start)
        elif "-" in base:
            lo, hi = base.split("-", 1)
            base = f"{_number(lo, names, start)}..{_number(hi, names, start)}"
        else:
            base = _number(base, names, start)
        parts.append(f"{base}/{step}" if step else base)
    return ",".join(parts)


def _number(token: str, names: tuple[str, ...], start: int) -> str:
    token = token.strip().lower()
    if names and token[:3] in names:
        return str(names.index(token[:3]) + start)
    return token


def on_calendar(cron: Cron, tz_name: str) -> str:
    """The systemd OnCalendar= equivalent of a cron expression (e.g. `Mon *-*-* 07:00:00 UTC`)."""
    weekdays = "" if cron.weekdays is None else ",".join(DAY_NAMES[d].title() for d in cron.weekdays) + " "
    month = _calendar_field(cron.month, start=1, names=MONTH_NAMES)
    day = _calendar_field(cron.day, start=1)
    hour = _calendar_field(cron.hour, start=0)
    minute = _calendar_field(cron.minute, start=0)
    return f"{weekdays}*-{month}-{day} {hour}:{minute}:00 {tz_name}"
