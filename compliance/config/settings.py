"""Settings from compliance.toml, COMPLIANCE_* environment variables and flags.

Precedence: flag > environment > config file > default. The config file is the one named by
`--config`, else `COMPLIANCE_CONFIG`, else `./compliance.toml` when it exists, else
`$XDG_CONFIG_HOME/compliance/compliance.toml` (`~/.config/compliance/compliance.toml`) when it
exists. Unknown keys are an error (a typo must never silently change what the tool checks).

The store (README, "Where the store is"): `--state-dir` / `--db-url`, else `COMPLIANCE_STATE_DIR`
/ `COMPLIANCE_DB_URL`, else the config file's `[store]`, else `$XDG_STATE_HOME/compliance`
(`~/.local/state/compliance`): never a directory that depends on where the command is run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .defaults import DEFAULT_FAIL_ON, DEFAULT_HORIZON, DEFAULT_REPORT_CACHE_MB

if TYPE_CHECKING:
    from .schema import ConfigFile, SourceSection

ENDPOINT_ENV_PREFIX = "COMPLIANCE_ENDPOINT_"


# The store given by a flag (--state-dir, --db-url): set by the command line for this process,
# so that the jobs `schedule run` starts read the same store as the command that started them.
_STORE_FLAGS: dict[str, str] = {}


def set_store_flags(*, state_dir: str | None = None, db_url: str | None = None) -> None:
    """The store named on the command line (None leaves a value unset)."""
    if state_dir is not None:
        _STORE_FLAGS["state_dir"] = state_dir
    if db_url is not None:
        _STORE_FLAGS["db_url"] = db_url


def reset_store_flags() -> None:
    _STORE_FLAGS.clear()


def xdg_dir(variable: str, fallback: str) -> Path:
    """$XDG_..._HOME when it is an absolute path (the XDG Base Directory rule), else ~/fallback."""
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / fallback


def default_state_dir() -> Path:
    return xdg_dir("XDG_STATE_HOME", ".local/state") / "compliance"


def user_config_file() -> Path:
    return xdg_dir("XDG_CONFIG_HOME", ".config") / "compliance" / "compliance.toml"


@dataclass
class Settings:
    config_path: Path | None
    _file: ConfigFile | None  # None: no config file; the defaults are built when first asked for
    state_dir: Path
    db_url: str
    catalogue_files: list[str] = field(default_factory=list)
    waivers_file: str | None = None
    # Where the store came from: "--state-dir", "COMPLIANCE_DB_URL", "config file X", "default" ...
    store_origin: str = "default"

    @property
    def store_label(self) -> str:
        """The store as reports name it: its database URL without a password."""
        return redact_db_url(self.db_url)

    @property
    def file(self) -> ConfigFile:
        """The validated config file (all defaults when there is none)."""
        if self._file is None:
            from .schema import ConfigFile

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
        """[check] report_cache_mb in bytes: the room kept for rendered reports (report/cache.py)."""
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
        from .schema import SourceSection

        return self.file.sources.get(name, SourceSection())


def _read_config(path: Path) -> ConfigFile:
    import tomllib

    from pydantic import ValidationError

    from .schema import ConfigFile

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


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL (no query options), else None."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    rest = url.removeprefix("sqlite:///")
    return Path(rest) if rest and rest != ":memory:" else None


def redact_db_url(url: str) -> str:
    """A database URL without its password (postgresql://user:***@host/db)."""
    import re

    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def _config_path(config: str | Path | None) -> Path | None:
    if config:
        path = Path(config)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        return path
    if os.environ.get("COMPLIANCE_CONFIG"):
        path = Path(os.environ["COMPLIANCE_CONFIG"])
        if not path.exists():
            raise ConfigError(f"{path}: config file not found (from COMPLIANCE_CONFIG)")
        return path
    for path in (Path("compliance.toml"), user_config_file()):
        if path.is_file():
            return path
    return None


def load_settings(
    config: str | Path | None = None,
    catalogue: tuple[str, ...] | list[str] = (),
    waivers: str | None = None,
) -> Settings:
    path = _config_path(config)
    file = _read_config(path) if path else None
    base = path.parent if path else Path.cwd()

    # The state directory and the database, each from the first of: flag, environment, config
    # file, default. A database URL given alone keeps the state directory of the same rule.
    origins = []
    if _STORE_FLAGS.get("state_dir"):
        state_dir, origin = Path(_STORE_FLAGS["state_dir"]), "--state-dir"
    elif os.environ.get("COMPLIANCE_STATE_DIR"):
        state_dir, origin = Path(os.environ["COMPLIANCE_STATE_DIR"]), "COMPLIANCE_STATE_DIR"
    elif file is not None and file.store.state_dir:
        state_dir, origin = base / file.store.state_dir, f"[store] state_dir of {path}"  # relative to the file
    else:
        state_dir, origin = default_state_dir(), "default"
    state_dir = state_dir.absolute()
    origins.append(origin)
    if _STORE_FLAGS.get("db_url"):
        db_url, origin = _STORE_FLAGS["db_url"], "--db-url"
    elif os.environ.get("COMPLIANCE_DB_URL"):
        db_url, origin = os.environ["COMPLIANCE_DB_URL"], "COMPLIANCE_DB_URL"
    elif file is not None and file.store.url:
        db_url, origin = file.store.url, f"[store] url of {path}"
    else:
        db_url, origin = f"sqlite:///{state_dir / 'compliance.db'}", None
    if origin is not None:
        origins.insert(0, origin)
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
        store_origin=", ".join(dict.fromkeys(origins)),
    )
