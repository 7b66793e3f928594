"""Settings from compliance.toml, COMPLIANCE_* environment variables and flags.

Precedence: flag > environment > config file > default. The config file is the one named by
`--config`, else `COMPLIANCE_CONFIG`, else `./compliance.toml` when it exists. Unknown keys are
an error (a typo must never silently change what the tool checks).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError

ENDPOINT_ENV_PREFIX = "COMPLIANCE_ENDPOINT_"


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
    max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    hosts: dict[str, HostSection] = Field(default_factory=dict)


class SourceSection(_Strict):
    enabled: bool = True
    max_age_days: float | None = Field(default=None, gt=0)


class CheckSection(_Strict):
    horizon: int = Field(default=90, ge=0)
    fail_on: str = "overdue"


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
    smtp: SmtpSection = Field(default_factory=SmtpSection)
    digest: DigestSection = Field(default_factory=DigestSection)
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)


@dataclass
class Settings:
    config_path: Path | None
    file: ConfigFile
    state_dir: Path
    db_url: str
    catalogue_files: list[str] = field(default_factory=list)
    waivers_file: str | None = None

    def endpoint(self, name: str, default: str) -> str:
        """A source endpoint: COMPLIANCE_ENDPOINT_<NAME>, then [endpoints] NAME, then default."""
        env = os.environ.get(ENDPOINT_ENV_PREFIX + name.upper())
        if env:
            return env
        for key, value in self.file.endpoints.items():
            if key.upper() == name.upper():
                return value
        return default

    def source(self, name: str) -> SourceSection:
        return self.file.sources.get(name, SourceSection())


def _read_config(path: Path) -> ConfigFile:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {details}") from None


def load_settings(
    config: str | Path | None = None,
    catalogue: tuple[str, ...] | list[str] = (),
    waivers: str | None = None,
) -> Settings:
    path: Path | None = None
    if config:
        path = Path(config)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
    elif os.environ.get("COMPLIANCE_CONFIG"):
        path = Path(os.environ["COMPLIANCE_CONFIG"])
        if not path.exists():
            raise ConfigError(f"{path}: config file not found (from COMPLIANCE_CONFIG)")
    elif Path("compliance.toml").exists():
        path = Path("compliance.toml")
    file = _read_config(path) if path else ConfigFile()
    base = path.parent if path else Path.cwd()

    if os.environ.get("COMPLIANCE_STATE_DIR"):
        state_dir = Path(os.environ["COMPLIANCE_STATE_DIR"])
    elif file.store.state_dir:
        state_dir = base / file.store.state_dir  # relative to the config file
    else:
        state_dir = Path("state")
    db_url = os.environ.get("COMPLIANCE_DB_URL") or file.store.url or f"sqlite:///{state_dir / 'compliance.db'}"
    catalogue_files = [str(base / c) for c in file.catalogue] + list(catalogue)
    waivers_file = waivers or os.environ.get("COMPLIANCE_WAIVERS") or (
        str(base / file.waivers) if file.waivers else None
    )
    return Settings(
        config_path=path,
        file=file,
        state_dir=state_dir,
        db_url=db_url,
        catalogue_files=catalogue_files,
        waivers_file=waivers_file,
    )
