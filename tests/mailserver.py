"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the digest tests; it keeps what it receives."""

from __future__ import annotations

import socket


def free_port() -> int:
    """An ephemeral port nothing listens on (aiosmtpd's Controller needs a port number up front)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd handler that keeps (mail from, recipients, raw message) of each mail."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def start_smtp(port: int, refuse: frozenset[str] = frozenset(), **kwargs):  # noqa: ANN003, ANN201
    """Start a server on 127.0.0.1:port that refuses the `refuse` recipients (kwargs go to
    aiosmtpd's SMTP: tls_context, authenticator ...)."""
    from aiosmtpd.controller import Controller

    sink = Sink(refuse)
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return sink, controller
