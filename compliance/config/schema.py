"""The validated shape of compliance.toml (pydantic models).

Kept apart from config/settings.py so that commands which find no config file (the usual `compliance
check`) never import pydantic: config/settings.py imports this module only to validate a file or when
a command asks for `Settings.file`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .defaults import DEFAULT_FAIL_ON, DEFAULT_HORIZON, DEFAULT_REPORT_CACHE_MB, MAX_DAYS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSection(_Strict):
    url: str | None = None
    state_dir: str | None = None


class HostSection(_Strict):
    concurrency: int = Field(default=2, ge=1, le=32)
    min_interval: float = Field(default=0.5, ge=0)


class HttpSection(_Strict):
    contact: str | None = None
    user_agent: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_base: float = Field(default=1.0, ge=0)  # seconds; doubled at each retry
    backoff_max: float = Field(default=60.0, ge=0)
    max_retry_after: float = Field(default=300.0, ge=0)  # a longer Retry-After fails the fetch
    max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    hosts: dict[str, HostSection] = Field(default_factory=dict)


class SourceSection(_Strict):
    enabled: bool = True
    max_age_days: float | None = Field(default=None, gt=0, le=MAX_DAYS)


class CheckSection(_Strict):
    horizon: int = Field(default=DEFAULT_HORIZON, ge=0, le=MAX_DAYS)
    fail_on: str = DEFAULT_FAIL_ON
    report_cache_mb: int = Field(default=DEFAULT_REPORT_CACHE_MB, ge=0)  # 0: no report cache


class PlausibilitySection(_Strict):
    """When a healthy-looking answer takes away too much to be believed (docs/reliability.md).

    Compared, per measure, with what the last healthy search of the same source listed: an answer
    that loses more whole Member States than `max_states_lost`, or (losing two or more findings)
    more than `max_share_lost` of the measure's findings, is `suspect` and withdraws nothing.
    """

    max_states_lost: int = Field(default=0, ge=0)
    max_share_lost: float = Field(default=0.2, ge=0, le=1)
    # A first answer (nothing stored to compare with) of a source of every Member State's national
    # measures: a directive more than `first_after_days` past its deadline with measures from fewer
    # than `first_min_states` Member States.
    first_min_states: int = Field(default=3, ge=0, le=27)
    first_after_days: int = Field(default=365, ge=0)


class WithdrawalSection(_Strict):
    """A finding no longer listed is withdrawn only once its absence is confirmed: absent from
    `confirmations` healthy searches in a row spanning at least `min_days` days."""

    confirmations: int = Field(default=2, ge=1)
    min_days: float = Field(default=7, ge=0)


class SmtpSection(_Strict):
    """Mail delivery of digests. The password comes only from COMPLIANCE_SMTP_PASSWORD."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: list[str] = Field(default_factory=list)
    timeout: float = Field(default=30.0, gt=0)
    ca_file: str | None = None  # a private CA (or self-signed certificate) to trust for STARTTLS


class DigestSection(_Strict):
    since: str = "7d"
    member_states: list[str] = Field(default_factory=list)  # empty: all Member States and EU
    per_member_state: bool = False  # one mail (webhook call) per Member State instead of one combined
    subject: str = "compliance digest"
    webhook: str | None = None  # or COMPLIANCE_DIGEST_WEBHOOK (prefer it when the URL holds a token)


class FeedSection(_Strict):
    """The Atom feeds `compliance schedule run` writes after each refresh (compliance/delivery/feed.py)."""

    dir: str | None = None  # default: <state dir>/feeds; all.atom, and <CC>.atom per member_states
    member_states: list[str] = Field(default_factory=list)  # also one feed each ("all": the 27)
    since: str = "90d"  # the window of changes a feed holds
    base_url: str | None = None  # where the feeds are published, for their rel="self" links


class ScheduleSection(_Strict):
    refresh: str | None = None  # cron expression, e.g. "0 6 * * *"
    digest: str | None = None  # cron expression, e.g. "0 7 * * 1" (Mondays 07:00)
    timezone: str = "UTC"
    misfire_grace_time: int = Field(default=3600, ge=1)  # seconds a missed run may still start late


class ConfigFile(_Strict):
    catalogue: list[str] = Field(default_factory=list)
    waivers: str | None = None
    store: StoreSection = Field(default_factory=StoreSection)
    http: HttpSection = Field(default_factory=HttpSection)
    endpoints: dict[str, str] = Field(default_factory=dict)
    sources: dict[str, SourceSection] = Field(default_factory=dict)
    check: CheckSection = Field(default_factory=CheckSection)
    plausibility: PlausibilitySection = Field(default_factory=PlausibilitySection)
    withdrawal: WithdrawalSection = Field(default_factory=WithdrawalSection)
    smtp: SmtpSection = Field(default_factory=SmtpSection)
    digest: DigestSection = Field(default_factory=DigestSection)
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)
    feed: FeedSection = Field(default_factory=FeedSection)
