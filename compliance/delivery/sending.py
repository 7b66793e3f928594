"""Delivering digests by mail (SMTP) or webhook, once per period, with failed sends retried.

Each delivery is a `digest_delivery` row keyed by (period key, Member States, channel,
recipients). A row that was `sent` is never sent again; a `failed` one keeps its error and is
retried by the next run, whatever period that run is for. The SMTP password is read only from
COMPLIANCE_SMTP_PASSWORD, and it is scrubbed from every error that is stored or printed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..catalogue.load import Catalogue
from ..clock import from_db, to_db, utcnow
from ..config.schema import SmtpSection
from ..config.settings import Settings
from ..errors import ComplianceError, ConfigError, StoreError
from ..store import tables
from ..store.engine import Store
from .digest import Digest, build_digest, render_digest

log = logging.getLogger("compliance.digest")

PASSWORD_ENV = "COMPLIANCE_SMTP_PASSWORD"
WEBHOOK_ENV = "COMPLIANCE_DIGEST_WEBHOOK"


class DigestLockedError(ComplianceError):
    """Another digest run is delivering."""


@dataclass
class Outcome:
    """What happened to one delivery in this run."""

    period_key: str
    member_states: str
    channel: str
    recipients: str
    status: str  # sent | failed | skipped (already sent) | pending (an earlier failure not retried now)
    attempts: int
    error: str | None = None
    retry: bool = False  # a failed delivery of an earlier run, tried again

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def line(self) -> str:
        what = "retry of " if self.retry else ""
        head = (f"{self.status}: {what}{self.channel} digest {self.period_key} [{self.member_states}] "
                f"to {self.recipients}")
        if self.status == "failed":
            return f"{head} (attempt {self.attempts}): {self.error}"
        if self.status == "pending":
            return f"{head}: {self.error}"
        if self.status == "skipped":
            return f"{head}: already sent"
        return head + (f" (after {self.attempts} attempts)" if self.attempts > 1 else "") + (
            f"; {self.error}" if self.error else "")


# -- channels ------------------------------------------------------------------------------------------


class Channel:
    name = ""

    def __init__(self, recipients: str) -> None:
        self.recipients = recipients

    def send(self, digest: Digest) -> str | None:
        """Deliver; raise DeliveryFailed; return a warning (e.g. some recipients refused)."""
        raise NotImplementedError


class DeliveryFailedError(Exception):
    pass


def _scrub(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:500]


class SmtpChannel(Channel):
    name = "smtp"

    def __init__(self, section: SmtpSection, to: list[str] | None = None) -> None:
        addresses = sorted({a.strip().lower() for a in (to if to is not None else section.to) if a.strip()})
        super().__init__(",".join(addresses))
        self.section = section
        self.to = addresses
        self.password = os.environ.get(PASSWORD_ENV) or None

    @staticmethod
    def check(section: SmtpSection) -> None:
        """Refuse a configuration that cannot work, before anything is sent."""
        if not section.host or not section.from_ or not section.to:
            raise ConfigError("--send needs [smtp] host, from and to (a list of addresses) in the config")
        for address in [section.from_, *section.to]:
            if "@" not in address or any(c in address for c in "\r\n,;<> "):
                raise ConfigError(f"[smtp]: {address!r} is not a plain e-mail address")
        if section.username and not os.environ.get(PASSWORD_ENV):
            raise ConfigError(f"[smtp] username is set but {PASSWORD_ENV} is empty: the password is read "
                              "only from that environment variable")
        if section.username and not section.starttls:
            raise ConfigError("[smtp] refusing to send the SMTP password without STARTTLS (starttls = false)")
        if section.ca_file and not Path(section.ca_file).is_file():
            raise ConfigError(f"[smtp] ca_file {section.ca_file}: file not found")

    def message(self, digest: Digest) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = " ".join(digest.subject.split())
        msg["From"] = self.section.from_
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.section.from_.rsplit("@", 1)[-1])
        msg.set_content(render_digest(digest, "text"))
        # Mail clients do not show inline SVG: the charts go as PNGs in multipart/related, by Content-ID.
        charts = {key: png for key in digest.chart_keys if (png := digest.chart_png(key))}
        cids = {key: make_msgid(idstring=f"chart-{key}", domain="compliance.invalid") for key in charts}
        msg.add_alternative(render_digest(digest, "html", images={k: f"cid:{c[1:-1]}" for k, c in cids.items()}),
                            subtype="html")
        html_part = msg.get_payload()[1]
        for key, png in charts.items():
            html_part.add_related(png, "image", "png", cid=cids[key], filename=f"chart-{key}.png",
                                  disposition="inline")
        return msg

    def send(self, digest: Digest) -> str | None:
        s = self.section
        msg = self.message(digest)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as conn:
                conn.ehlo()
                if s.starttls:
                    context = ssl.create_default_context(cafile=s.ca_file)
                    conn.starttls(context=context)
                    conn.ehlo()
                if s.username:
                    conn.login(s.username, self.password or "")
                refused = conn.send_message(msg, from_addr=s.from_, to_addrs=self.to)
        except (OSError, smtplib.SMTPException) as exc:
            detail = str(exc) or type(exc).__name__
            raise DeliveryFailedError(_scrub(f"SMTP {s.host}:{s.port}: {type(exc).__name__}: {detail}",
                                             self.password)) from None
        if refused:
            return _scrub("refused by the server: " + "; ".join(
                f"{addr} ({code} {msg!r})" for addr, (code, msg) in sorted(refused.items())), self.password)
        return None


def webhook_label(url: str) -> str:
    """A webhook's URL may hold a token in its path or query: store its host and a hash only."""
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"{parts.scheme}://{parts.hostname or '?'}/... sha256:{digest}"


class WebhookChannel(Channel):
    name = "webhook"

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook: {webhook_label(url)} is not an http(s) URL")
        super().__init__(webhook_label(url))
        self.url = url
        self.timeout = timeout

    def send(self, digest: Digest) -> str | None:
        import httpx

        from ..http import build_user_agent

        # "text" is plain text; a chat service that renders Markdown should show "markdown",
        # in which every scraped value is neutralised (render/neutralise.py).
        payload = {"text": render_digest(digest, "text"), "markdown": render_digest(digest, "markdown"),
                   "subject": digest.subject,
                   "period_key": digest.period_key, "member_states": digest.member_states,
                   "digest": digest.to_dict()}
        try:
            response = httpx.post(self.url, json=payload, timeout=self.timeout, follow_redirects=False,
                                  headers={"User-Agent": build_user_agent(os.environ.get("COMPLIANCE_CONTACT"))})
        except httpx.HTTPError as exc:
            raise DeliveryFailedError(_scrub(f"webhook {self.recipients}: {type(exc).__name__}: {exc}",
                                             self.url)) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailedError(f"webhook {self.recipients}: HTTP {response.status_code}")
        return None


# -- bookkeeping ---------------------------------------------------------------------------------------


def _find(store: Store, key: str, states: str, channel: str, recipients: str) -> tables.DigestDelivery | None:
    d = tables.DigestDelivery
    stmt = select(d).where(d.period_key == key, d.member_states == states, d.channel == channel,
                           d.recipients == recipients)
    with store.session() as session:
        return session.execute(stmt).scalar_one_or_none()


def _record(store: Store, row: tables.DigestDelivery | None, key: str, states: str, channel: Channel,
            error: str | None, sent: bool, warning: str | None) -> tables.DigestDelivery:
    now = to_db(utcnow())
    with store.session() as session, session.begin():
        if row is None:
            row = tables.DigestDelivery(period_key=key, member_states=states, channel=channel.name,
                                        recipients=channel.recipients, status="failed", attempts=0, created_at=now)
        else:
            row = session.merge(row)
        row.attempts += 1
        row.status = "sent" if sent else "failed"
        row.last_error = error if not sent else warning
        row.sent_at = now if sent else None
        session.add(row)
        session.flush()
        return row


def failed_deliveries(store: Store) -> list[tables.DigestDelivery]:
    d = tables.DigestDelivery
    try:
        with store.session() as session:
            return list(session.execute(select(d).where(d.status == "failed").order_by(d.id)).scalars())
    except SQLAlchemyError as exc:
        raise StoreError(f"{store.label}: cannot read digest deliveries ({exc})") from None


@contextmanager
def digest_lock(state_dir: Path) -> Iterator[None]:
    """Two digest runs (the scheduler and a person) must not both send the same period."""
    import fcntl

    state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(state_dir / "digest.lock", "a+")  # noqa: SIM115 - held for the context
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DigestLockedError("another digest run is delivering; try again later") from None
        yield
    finally:
        handle.close()


# -- the run -------------------------------------------------------------------------------------------


def groups(member_states: list[str], per_member_state: bool) -> list[list[str]]:
    return [[code] for code in member_states] if per_member_state else [member_states]


def configured_webhook(settings: Settings) -> str | None:
    return os.environ.get(WEBHOOK_ENV) or settings.file.digest.webhook or None


def channels(settings: Settings, *, send: bool, webhook: str | None = None) -> list[Channel]:
    """`send`: every configured channel ([smtp] with a host; a webhook from COMPLIANCE_DIGEST_WEBHOOK
    or [digest] webhook); `webhook`: that URL too."""
    result: list[Channel] = []
    urls: list[str] = []
    if send:
        if settings.file.smtp.host or settings.file.smtp.to:
            SmtpChannel.check(settings.file.smtp)
            result.append(SmtpChannel(settings.file.smtp))
        if configured_webhook(settings):
            urls.append(configured_webhook(settings))
        if not result and not urls and not webhook:
            raise ConfigError("--send: nowhere to send: configure [smtp] host, from and to, or a webhook "
                              f"({WEBHOOK_ENV} or [digest] webhook)")
    if webhook and webhook not in urls:
        urls.append(webhook)
    result += [WebhookChannel(url, settings.file.http.timeout) for url in urls]
    return result


def _deliver(store: Store, channel: Channel, digest: Digest, row: tables.DigestDelivery | None,
             retry: bool) -> Outcome:
    states = ",".join(digest.member_states)
    try:
        warning = channel.send(digest)
        error, sent = None, True
    except DeliveryFailedError as exc:
        warning, error, sent = None, str(exc), False
    saved = _record(store, row, digest.period_key, states, channel, error, sent, warning)
    outcome = Outcome(digest.period_key, states, channel.name, channel.recipients, saved.status, saved.attempts,
                      saved.last_error, retry)
    log.debug("%s", outcome.line())  # said once: by the command, or in the scheduler's one line per job
    return outcome


def deliver_digests(
    settings: Settings,
    catalogue: Catalogue,
    store: Store,
    *,
    key: str,
    member_states: list[str],
    targets: list[Channel],
    per_member_state: bool,
) -> list[Outcome]:
    """Retry earlier failed deliveries of these channels, then deliver this period's digests
    (each at most once)."""
    outcomes: list[Outcome] = []
    now = utcnow()
    with digest_lock(settings.state_dir):
        current = {(key, ",".join(g), c.name, c.recipients) for g in groups(member_states, per_member_state)
                   for c in targets}
        by_identity = {(c.name, c.recipients): c for c in targets}
        for row in failed_deliveries(store):
            channel = by_identity.get((row.channel, row.recipients))
            if channel is None and row.channel == "smtp" and any(c.name == "smtp" for c in targets):
                base = next(c for c in targets if isinstance(c, SmtpChannel))
                channel = SmtpChannel(base.section, row.recipients.split(","))
            if channel is None:
                outcomes.append(Outcome(row.period_key, row.member_states, row.channel, row.recipients, "pending",
                                        row.attempts, f"failed earlier and not retried: this run does not use "
                                        f"that {row.channel} channel (last error: {row.last_error})", True))
                continue
            if (row.period_key, row.member_states, row.channel, row.recipients) in current:
                continue  # tried below as this period's delivery
            digest = build_digest(settings, catalogue, store, key=row.period_key,
                                  member_states=row.member_states.split(","), now=now)
            outcomes.append(_deliver(store, channel, digest, row, retry=True))
        for group in groups(member_states, per_member_state):
            digest: Digest | None = None
            for channel in targets:
                row = _find(store, key, ",".join(group), channel.name, channel.recipients)
                if row is not None and row.status == "sent":
                    outcomes.append(Outcome(key, row.member_states, row.channel, row.recipients, "skipped",
                                            row.attempts, None))
                    log.debug("already sent: %s digest %s to %s on %s", row.channel, key, row.recipients,
                             from_db(row.sent_at))
                    continue
                digest = digest or build_digest(settings, catalogue, store, key=key, member_states=group, now=now)
                outcomes.append(_deliver(store, channel, digest, row, retry=False))
    return outcomes


@dataclass
class DigestRun:
    key: str
    member_states: list[str]
    rendered: str | None
    outcomes: list[Outcome]

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)


def run_digest(
    settings: Settings,
    catalogue: Catalogue,
    *,
    since: str | None = None,
    member_states: tuple[str, ...] | list[str] = (),
    send: bool = False,
    webhook: str | None = None,
    render_format: str | None = None,
    store: Store | None = None,
) -> DigestRun:
    """`compliance digest` and the scheduler's digest job: render and/or deliver one period."""
    from ..catalogue.memberstates import parse_targets
    from ..store.history import parse_since
    from .digest import key_for

    section = settings.file.digest
    targets = parse_targets(list(member_states) or section.member_states or ["all", "EU"])
    now = utcnow()
    key = key_for(parse_since(since or section.since, now), now)
    outputs = channels(settings, send=send, webhook=webhook)
    store = store or Store.open(settings.db_url)
    rendered = None
    if render_format:
        combined = build_digest(settings, catalogue, store, key=key, member_states=targets, now=now)
        rendered = render_digest(combined, render_format)
    outcomes = (
        deliver_digests(settings, catalogue, store, key=key, member_states=targets, targets=outputs,
                        per_member_state=section.per_member_state)
        if outputs else []
    )
    return DigestRun(key, targets, rendered, outcomes)
