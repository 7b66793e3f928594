"""Digests: content in each format (hostile titles escaped), mail through a real local SMTP
server (plain and STARTTLS with a self-signed certificate and AUTH), never sent twice, failed
sends recorded and retried, webhooks; and the 0001 -> head store migration."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
import threading
from datetime import date
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from compliance.delivery.digest import build_digest, period_bounds, render_digest
from compliance.sources.base import FoundItem
from compliance.store import tables

from .mailserver import free_port, start_smtp
from .series import (  # noqa: F401 - fixtures
    THB,
    at,
    clock_fixture,
    env_fixture,
    fake_fixture,
    refresh_at,
    se_measure,
    standard_series,
)

PASSWORD = "s3cret-Pa55-xyzzy"
HOSTILE = "Lag\x1b[31m <script>alert(1)</script>\n**bold** [a](javascript:alert(1))"


@pytest.fixture
def smtp():
    port = free_port()
    sink, controller = start_smtp(port)
    yield sink, port
    controller.stop()


def _config(tmp_path, port: int, **extra: str) -> None:  # noqa: ANN001
    smtp = {"host": '"127.0.0.1"', "port": str(port), "starttls": "false", "from": '"compliance@example.org"',
            "to": '["Coordinator@example.org", "ngo@example.net"]', "timeout": "5"}
    digest = {}
    for key, value in extra.items():
        section, _, name = key.partition("__")
        (smtp if section == "smtp" else digest)[name] = value
    text = "[smtp]\n" + "".join(f"{k} = {v}\n" for k, v in smtp.items() if v is not None)
    text += "[digest]\n" + "".join(f"{k} = {v}\n" for k, v in digest.items())
    (tmp_path / "compliance.toml").write_text(text)


def _deliveries(env):  # noqa: ANN001
    _, _, store = env
    with store.session() as s:
        return list(s.execute(select(tables.DigestDelivery).order_by(tables.DigestDelivery.id)).scalars())


# -- content --------------------------------------------------------------------------------------------


@pytest.fixture
def series_digest(env, clock, fake):
    """The standard series plus a hostile finding (title with markup, javascript: URL) in FI."""
    settings, catalogue, store = env
    standard_series(env, clock, fake)
    hostile = FoundItem(key="FI-1", kind="national-measure", measure_id=THB, member_state="FI",
                        date=date(2026, 8, 10), title=HOSTILE, reference=None, url="javascript:alert(1)")
    refresh_at(env, clock, at(8, 11), fake, items=[se_measure(), hostile])
    return build_digest(settings, catalogue, store, key="2026-07-01..2026-08-11", member_states=["SE", "FI"],
                        now=at(8, 11, 12))


def test_digest_content(series_digest):
    d = series_digest
    assert d.period_key == "2026-07-01..2026-08-11" and d.since.isoformat() == "2026-07-01T00:00:00+00:00"
    se = [(t.before, t.after) for t in d.changes.transitions if t.member_state == "SE" and t.measure_id == THB]
    assert se == [("due-soon", "overdue"), ("overdue", "met-late")]
    assert {(t.member_state, t.after) for t in d.newly_overdue if t.measure_id == THB} == {
        ("SE", "overdue"), ("FI", "overdue")}
    upcoming = [(u.member_state, u.measure_id, u.deadline, u.days_left) for items in d.upcoming.values()
                for u in items]
    assert upcoming, "deadlines within 90 days of 2026-08-11 are listed"
    assert all(0 <= days <= 90 for *_, days in upcoming)
    assert all(u.days_left <= 30 for u in d.upcoming[30])
    assert all(u.links and u.links[0].url.startswith("https://") for items in d.upcoming.values() for u in items)
    assert [p.source for p in d.source_problems] == ["fake"]  # stale by the real clock
    assert d.subject.startswith("compliance digest: SE, FI, 2026-07-01..2026-08-11: ")


def test_digest_text(series_digest):
    text = render_digest(series_digest, "text")
    assert "== Newly overdue" in text and "== Deadlines ahead ==" in text and "Within 30 days" in text
    assert "- SE thb-directive-2024-1712 / transposition: due-soon -> overdue on 2026-07-20" in text
    assert "evidence: fake: search of fake found no measures <https://example.org/api?q=1>" in text
    assert "evidence: fake: MNE(2026)00001 <https://example.org/se/1>" in text
    # One line per source: its state now, its last change, what went wrong in the period.
    sources = text.split("== Sources ==\n")[1].splitlines()
    assert sources == ["- fake: ok since 2026-08-11 (was failed), stale (last success 2026-08-11): "
                       "failed on 2026-08-10: HTTP 503 from https://example.org/api after 4 attempts"]
    # A hostile title is one plain line: no terminal escape, no line break injected.
    assert "\x1b" not in text and "Lag [31m <script>alert(1)</script> **bold** [a](javascript:alert(1))" in text


def test_digest_markdown(series_digest):
    md = render_digest(series_digest, "markdown")
    assert md.startswith("# compliance digest: SE, FI, 2026-07-01..2026-08-11: ")
    assert "| SE | thb-directive-2024-1712 / transposition | due-soon | overdue | 2026-07-20 |" in md
    assert "[fake: MNE\\(2026\\)00001](<https://example.org/se/1>)" in md
    assert "<script>" not in md and "\\<script\\>" in md and "](javascript:" not in md and "\x1b" not in md


def test_digest_html_escapes_hostile_titles(series_digest):
    html = render_digest(series_digest, "html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.lower()
    assert '<a href="https://example.org/se/1" rel="noopener noreferrer">MNE(2026)00001</a>' in html
    assert "due-soon</td><td class=\"overdue\">overdue</td>" in html


def test_period_bounds():
    since, until = period_bounds("2026-11-01..2026-11-08", at(11, 22))
    assert (since.isoformat(), until.isoformat()) == ("2026-11-01T00:00:00+00:00",
                                                      "2026-11-08T23:59:59.999999+00:00")
    assert period_bounds("2026-11-15..2026-11-22", at(11, 22))[1] == at(11, 22)


def test_digest_cli_prints_and_writes(run_cli, tmp_path):
    code, out, err = run_cli("digest", "-m", "DK", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("# compliance digest: DK, ") and "## Deadlines ahead" in out
    code, out, _ = run_cli("digest", "-m", "DK", "--format", "html", "--output", str(tmp_path / "d.html"))
    assert code == 0 and out == "" and "<h2>Deadlines ahead</h2>" in (tmp_path / "d.html").read_text()
    code, _, err = run_cli("digest", "--since", "later")
    assert code == 2 and "--since 'later'" in err
    code, _, err = run_cli("digest", "--send")
    assert code == 2 and "nowhere to send" in err


# -- mail -------------------------------------------------------------------------------------------------


def test_send_by_smtp_to_several_recipients_once(run_cli, tmp_path, smtp, env):
    sink, port = smtp
    _config(tmp_path, port)
    code, out, err = run_cli("digest", "--send", "-m", "SE")
    assert code == 0, err
    assert "sent: smtp digest" in out and "to coordinator@example.org,ngo@example.net" in out
    ((mail_from, rcpts, raw),) = sink.messages
    assert mail_from == "compliance@example.org" and rcpts == ["coordinator@example.org", "ngo@example.net"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"].startswith("compliance digest: SE, ")
    assert msg["To"] == "coordinator@example.org, ngo@example.net"
    assert msg.get_body(("plain",)).get_content().startswith("compliance digest: SE, ")
    assert "<h2>Deadlines ahead</h2>" in msg.get_body(("html",)).get_content()
    # The same period to the same recipients: not sent again.
    code, out, _ = run_cli("digest", "--send", "-m", "SE")
    assert code == 0 and "skipped" in out and "already sent" in out
    assert len(sink.messages) == 1
    (row,) = _deliveries(env)
    assert (row.status, row.attempts, row.channel, row.member_states, row.sent_at is not None) == (
        "sent", 1, "smtp", "SE", True)


def test_one_mail_per_member_state(run_cli, tmp_path, smtp):
    sink, port = smtp
    _config(tmp_path, port, digest__per_member_state="true")
    code, out, err = run_cli("digest", "--send", "-m", "SE", "-m", "FI")
    assert code == 0, err
    subjects = sorted(email.message_from_bytes(raw, policy=policy.default)["Subject"] for *_, raw in sink.messages)
    assert len(subjects) == 2 and subjects[0].startswith("compliance digest: FI, ") and \
        subjects[1].startswith("compliance digest: SE, ")


def test_a_refused_recipient_is_reported(run_cli, tmp_path, env):
    port = free_port()
    sink, controller = start_smtp(port, refuse=frozenset({"ngo@example.net"}))
    try:
        _config(tmp_path, port)
        code, out, err = run_cli("digest", "--send", "-m", "SE")
    finally:
        controller.stop()
    assert code == 0, err
    assert "sent: smtp digest" in out and "refused by the server: ngo@example.net (550" in out
    ((_, rcpts, _),) = sink.messages
    assert rcpts == ["coordinator@example.org"]
    (row,) = _deliveries(env)
    assert row.status == "sent" and "ngo@example.net" in row.last_error


def test_failed_send_is_recorded_and_retried_on_the_next_run(run_cli, tmp_path, env):
    port = free_port()  # nothing listens here yet: the server is down
    _config(tmp_path, port)
    code, out, _ = run_cli("digest", "--send", "-m", "SE", "--since", "2026-11-01")
    assert code == 4 and "failed: smtp digest 2026-11-01.." in out and "(attempt 1)" in out
    (row,) = _deliveries(env)
    assert row.status == "failed" and row.attempts == 1 and "Connection" in row.last_error
    sink, controller = start_smtp(port)
    try:
        code, out, err = run_cli("digest", "--send", "-m", "SE")  # the next run, for the next period
        assert code == 0, err
        assert "sent: retry of smtp digest 2026-11-01.." in out and "(after 2 attempts)" in out
        assert "sent: smtp digest" in out
        assert len(sink.messages) == 2
        old, new = _deliveries(env)
        assert (old.status, old.attempts, new.status, new.attempts) == ("sent", 2, "sent", 1)
        first = email.message_from_bytes(sink.messages[0][2], policy=policy.default)
        assert "2026-11-01.." in first["Subject"]  # the retried digest covers its own period
        code, out, _ = run_cli("digest", "--send", "-m", "SE")
        assert code == 0 and "retry" not in out and len(sink.messages) == 2
    finally:
        controller.stop()


def test_failed_send_of_the_same_period_is_sent_on_the_next_run(run_cli, tmp_path, env):
    port = free_port()
    _config(tmp_path, port)
    assert run_cli("digest", "--send", "-m", "SE")[0] == 4
    sink, controller = start_smtp(port)
    try:
        code, out, _ = run_cli("digest", "--send", "-m", "SE")
        assert code == 0 and "(after 2 attempts)" in out and len(sink.messages) == 1
    finally:
        controller.stop()
    (row,) = _deliveries(env)
    assert (row.status, row.attempts) == ("sent", 2)


def test_smtp_config_errors(run_cli, tmp_path, monkeypatch):
    _config(tmp_path, 2525, smtp__username='"robot"')
    code, _, err = run_cli("digest", "--send")
    assert code == 2 and "COMPLIANCE_SMTP_PASSWORD is empty" in err
    monkeypatch.setenv("COMPLIANCE_SMTP_PASSWORD", PASSWORD)
    code, _, err = run_cli("digest", "--send")
    assert code == 2 and "without STARTTLS" in err and PASSWORD not in err
    _config(tmp_path, 2525, smtp__to='["not-an-address"]')
    code, _, err = run_cli("digest", "--send")
    assert code == 2 and "'not-an-address' is not a plain e-mail address" in err
    (tmp_path / "compliance.toml").write_text('[smtp]\npassword = "x"\n')
    code, _, err = run_cli("digest", "--send")
    assert code == 2 and "smtp.password" in err


@pytest.fixture
def tls_cert(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return cert, key


def test_starttls_with_a_self_signed_certificate_and_auth(run_cli, tmp_path, tls_cert, env, monkeypatch,
                                                          isolated_state):
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = tls_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bool]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = auth_data.login == b"robot" and auth_data.password == PASSWORD.encode()
        logins.append((auth_data.login, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    port = free_port()
    sink, controller = start_smtp(port, tls_context=context, require_starttls=True, authenticator=authenticator,
                                   auth_require_tls=True, auth_exclude_mechanism=["LOGIN"])
    try:
        # Untrusted certificate: the connection is refused, the delivery recorded as failed.
        _config(tmp_path, port, smtp__starttls="true", smtp__username='"robot"')
        monkeypatch.setenv("COMPLIANCE_SMTP_PASSWORD", PASSWORD)
        code, out, _ = run_cli("digest", "--send", "-m", "SE")
        assert code == 4 and "CERTIFICATE_VERIFY_FAILED" in out and not sink.messages
        # Trusted through ca_file: STARTTLS, AUTH, delivered (the failed delivery is retried).
        _config(tmp_path, port, smtp__starttls="true", smtp__username='"robot"', smtp__ca_file=f'"{cert}"')
        code, out, err = run_cli("digest", "--send", "-m", "SE")
        assert code == 0, out + err
        assert len(sink.messages) == 1 and logins[-1] == (b"robot", True)
        # A wrong password fails, and the password never shows.
        monkeypatch.setenv("COMPLIANCE_SMTP_PASSWORD", "wrong-" + PASSWORD)
        code, out, err = run_cli("digest", "--send", "-m", "SE", "--since", "2026-11-01")
        assert code == 4 and "SMTPAuthenticationError" in out
        assert PASSWORD not in out + err
    finally:
        controller.stop()
    stored = b"".join(p.read_bytes() for p in isolated_state.rglob("*") if p.is_file())
    assert PASSWORD.encode() not in stored
    assert all(PASSWORD not in (r.last_error or "") for r in _deliveries(env))


# -- webhook ---------------------------------------------------------------------------------------------


@pytest.fixture
def webhook_server():
    received: list[tuple[str, dict]] = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received, status
    server.shutdown()
    server.server_close()


def test_webhook_posts_json_once_and_keeps_its_token_out_of_the_store(run_cli, webhook_server, env):
    base, received, status = webhook_server
    url = f"{base}/hooks/T0KEN-abc123"
    code, out, err = run_cli("digest", "-m", "SE", "--webhook", url)
    assert code == 0, err
    ((path, payload),) = received
    assert path == "/hooks/T0KEN-abc123"
    assert payload["subject"].startswith("compliance digest: SE, ") and payload["text"].startswith(payload["subject"])
    assert payload["digest"]["member_states"] == ["SE"] and "upcoming" in payload["digest"]
    assert "T0KEN" not in out
    (row,) = _deliveries(env)
    assert row.channel == "webhook" and "T0KEN" not in row.recipients and row.recipients.startswith("http://127.0.0.1/")
    assert run_cli("digest", "-m", "SE", "--webhook", url)[0] == 0 and len(received) == 1  # not twice
    status["code"] = 500
    code, out, _ = run_cli("digest", "-m", "SE", "--webhook", url + "-other")
    assert code == 4 and "HTTP 500" in out and "T0KEN" not in out


# -- the store migration that adds digest_delivery --------------------------------------------------------


def test_store_at_0001_with_rows_is_migrated_to_head(tmp_path):
    from importlib import resources

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    from compliance.store.engine import HEAD_REVISION, Store

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("compliance") / "store" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO refresh_run (id, kind, started_at, status) "
                          "VALUES (1, 'refresh', '2026-11-01 08:00:00', 'ok')"))
        conn.execute(text(
            "INSERT INTO finding (source, key, kind, measure_id, member_state, content_hash, active, "
            "first_seen_at, last_seen_at) VALUES ('eurlex', 'k1', 'national-measure', 'm', 'SE', 'h', 1, "
            "'2026-11-01 08:00:00', '2026-11-01 08:00:00')"))
        conn.execute(text(
            "INSERT INTO assessment_snapshot (run_id, member_state, measure_id, status, rule, reason, created_at) "
            "VALUES (1, 'SE', 'm', 'met', 'TRN-001', 'r', '2026-11-01 08:00:00')"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        assert "digest_delivery" not in inspect(conn).get_table_names()
    engine.dispose()

    store = Store.open(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert "digest_delivery" in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM refresh_run")).scalar() == 1
        assert conn.execute(text("SELECT key FROM finding")).scalar() == "k1"
        assert conn.execute(text("SELECT status FROM assessment_snapshot")).scalar() == "met"
    backups = list(tmp_path.glob("old.db.pre-0001-*.bak"))
    assert len(backups) == 1
    import sqlite3

    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT count(*) FROM finding").fetchone() == (1,)
