"""Settings from compliance.toml, COMPLIANCE_* environment variables and flags.

Precedence: flag > environment > config file > default. The config file is the one named by
`--config`, else `COMPLIANCE_CONFIG`, else `./compliance.toml` when it exists. Unknown keys are
an error (a typo must never silently change what the tool checks).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config_defaults import DEFAULT_FAIL_ON, DEFAULT_HORIZON, DEFAULT_REPORT_CACHE_MB
from .errors import ConfigError

if TYPE_CHECKING:
    from .config_models import ConfigFile, SourceSection

ENDPOINT_ENV_PREFIX = "COMPLIANCE_ENDPOINT_"


@dataclass
class Settings:
    config_path: Path | None
    _file: ConfigFile | None  # None: no config file; the defaults are built when first asked for
    state_dir: Path
    db_url: str
    catalogue_files: list[str] = field(default_factory=list)
    waivers_file: str | None = None

    @property
    def file(self) -> ConfigFile:
        """The validated config file (all defaults when there is none)."""
        if self._file is None:
            from .config_models import ConfigFile

            self._file = ConfigFile()
        return self._file

    def check_defaults(self) -> tuple[int, str, dict[str, float]]:
        """[check] horizon and fail_on and the per-source max_age_days, for `compliance check`.

        Without a config file these are the documented defaults, read without importing pydantic
        (start-up time of `check`).
        """
        if self._file is None and self.config_path is None:
            return DEFAULT_HORIZON, DEFAULT_FAIL_ON, {}
        file = self.file
        max_age = {name: s.max_age_days for name, s in file.sources.items() if s.max_age_days}
        return file.check.horizon, file.check.fail_on, max_age

    def report_cache_bytes(self) -> int:
        """[check] report_cache_mb in bytes: the room kept for rendered reports (report_cache.py)."""
        if self._file is None and self.config_path is None:
            return DEFAULT_REPORT_CACHE_MB << 20
        return self.file.check.report_cache_mb << 20

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
        from .config_models import SourceSection

        return self.file.sources.get(name, SourceSection())


def _read_config(path: Path) -> ConfigFile:
    import tomllib

    from pydantic import ValidationError

    from .config_models import ConfigFile

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
    file = _read_config(path) if path else None
    base = path.parent if path else Path.cwd()

    if os.environ.get("COMPLIANCE_STATE_DIR"):
        state_dir = Path(os.environ["COMPLIANCE_STATE_DIR"])
    elif file is not None and file.store.state_dir:
        state_dir = base / file.store.state_dir  # relative to the config file
    else:
        state_dir = Path("state")
    db_url = (os.environ.get("COMPLIANCE_DB_URL") or (file.store.url if file is not None else None)
              or f"sqlite:///{state_dir / 'compliance.db'}")
    catalogue_files = [str(base / c) for c in (file.catalogue if file is not None else [])] + list(catalogue)
    waivers_file = waivers or os.environ.get("COMPLIANCE_WAIVERS") or (
        str(base / file.waivers) if file is not None and file.waivers else None
    )
    return Settings(
        config_path=path,
        _file=file,
        state_dir=state_dir,
        db_url=db_url,
        catalogue_files=catalogue_files,
        waivers_file=waivers_file,
    )
