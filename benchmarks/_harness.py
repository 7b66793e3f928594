"""Starting the replay server and running refreshes against it (refresh benchmarks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class Replay:
    """benchmarks/_replay.py in its own process (ended by its pid when the block ends)."""

    def __init__(self, latency: float, per_state: int) -> None:
        self.args = [sys.executable, str(HERE / "_replay.py"), "--latency", str(latency), "--per-state", str(per_state)]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Replay:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError("the replay server did not start")
        info = json.loads(line)
        self.control: str = info["control"]
        self.env: dict[str, str] = info["env"]
        self.hosts: dict[str, dict[str, Any]] = {
            h["address"]: {**h, "name": name} for name, h in info["hosts"].items()
        }
        self.excluded: dict[str, str] = info["excluded"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def stats(self) -> dict[str, dict[str, int]]:
        """Requests per host address since the last reset."""
        names = {h["name"]: address for address, h in self.hosts.items()}
        return {names[name]: counts for name, counts in self._snapshot()["hosts"].items()}

    def missed(self) -> list[str]:
        """Requests since the last reset that the service let be conditional but were sent without validators."""
        return self._snapshot()["missed"]

    def _snapshot(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.control, timeout=10) as response:  # noqa: S310 - local control port
            return json.loads(response.read())

    def reset(self, *, forget: bool = False) -> None:
        """Zero the counters; `forget`: also forget which requests were answered with validators (a fresh state)."""
        request = urllib.request.Request(self.control + ("forget" if forget else ""), method="POST", data=b"")
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - local control port


def write_config(work: Path, replay: Replay, concurrency: int, min_interval: float) -> None:
    lines = ["[http]", "max_retries = 0", "timeout = 60", ""]
    for address in replay.hosts:
        host = address.split(":")[0]
        lines += [f'[http.hosts."{host}"]', f"concurrency = {concurrency}", f"min_interval = {min_interval}", ""]
    for source in replay.excluded:
        lines += [f'[sources."{source}"]', "enabled = false", ""]
    work.mkdir(parents=True, exist_ok=True)
    (work / "compliance.toml").write_text("\n".join(lines), "utf-8")


def refresh_env(replay: Replay, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(replay.env)
    env["COMPLIANCE_STATE_DIR"] = str(state)
    env["COMPLIANCE_CONTACT"] = "benchmark@localhost.invalid"
    # Nothing may leave the machine: any host that is not replayed goes to a closed local port.
    env["HTTP_PROXY"] = env["HTTPS_PROXY"] = env["ALL_PROXY"] = "http://127.0.0.1:9"
    env["NO_PROXY"] = ",".join(sorted({a.split(":")[0] for a in replay.hosts} | {"127.0.0.1"}))
    return env


def refresh_once(replay: Replay, work: Path, concurrency: int, min_interval: float, *,
                 sequential: bool = False, state: Path | None = None, profile: Path | None = None) -> dict[str, Any]:
    write_config(work, replay, concurrency, min_interval)
    cmd = [sys.executable, str(HERE / "_refresh_run.py")] + (["--sequential"] if sequential else [])
    cmd += ["--profile", str(profile)] if profile else []
    proc = subprocess.run(cmd, cwd=work, env=refresh_env(replay, state or work / "state"), capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"refresh failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
