"""Secrets out of everything recorded: which headers and parameters are secret, and URLs and JSON
bodies with their values replaced by REDACTED (the HTTP client's request records, messages, logs).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"

_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "token"}
)
_SECRET_HEADER_PARTS = ("token", "secret", "password", "api-key", "apikey", "auth")
_SECRET_PARAM_PARTS = ("token", "key", "secret", "password")
# Contain "key" but name what is searched for, which an auditor needs to see.
_NOT_SECRET_PARAMS = frozenset({"keyword", "keywords"})


def is_secret_header(name: str) -> bool:
    """Whether a header's value must never be recorded or logged."""
    n = name.lower()
    return n in _SECRET_HEADERS or any(part in n for part in _SECRET_HEADER_PARTS)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's (or form/JSON field's) value must never be recorded."""
    n = name.lower()
    return n not in _NOT_SECRET_PARAMS and any(part in n for part in _SECRET_PARAM_PARTS)


def redact_url(url: str) -> str:
    """``url`` with secret query values and any userinfo replaced by REDACTED.

    The other query parameters keep their exact original encoding.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    pieces = []
    for piece in parts.query.split("&") if parts.query else []:
        name, sep, _value = piece.partition("=")
        if sep and is_secret_param(unquote_plus(name)):
            piece = f"{name}={REDACTED}"
        pieces.append(piece)
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(pieces), parts.fragment))


def redact_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: REDACTED if is_secret_param(str(k)) else redact_json(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


def json_secrets(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if is_secret_param(str(k)) and isinstance(v, str | int):
                yield str(v)
            else:
                yield from json_secrets(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from json_secrets(v)
