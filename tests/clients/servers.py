"""Start and stop real servers for the client tests, and the stores behind them.

`start_twin` runs `uvicorn api.app:create_app --factory` on a free loopback port over a
store; its access log is kept so a test can see which requests a client really made.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

REPO = Path(__file__).resolve().parents[2]
WRITE_KEY = "clients-writer-key"
READ_ONLY_KEY = "clients-reader-key"
API_KEYS = {WRITE_KEY: ["read", "write"], READ_ONLY_KEY: ["read"]}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} not up after {timeout} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server we started, by its own pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class RunningServer:
    """A server we started: its base URL, its process and the log it writes."""

    url: str
    log: Path
    process: subprocess.Popen = field(repr=False)

    def log_mark(self) -> int:
        """Where the log ends now, to read only what comes after."""
        return self.log.stat().st_size

    def requests_since(self, mark: int) -> list[str]:
        """Request lines (`GET /path?query HTTP/1.1`) logged after `mark`."""
        with self.log.open("rb") as f:
            f.seek(mark)
            lines = f.read().decode("utf-8", "replace").splitlines()
        return [ln.split('"')[1] for ln in lines if ln.count('"') >= 2 and " HTTP/" in ln]


@dataclass
class TwinServer(RunningServer):
    """A running twin and the store it serves."""

    store: str = ""
    engine: Engine | None = field(default=None, repr=False)


def launch(cmd: list[str], *, env: dict[str, str], log: Path, ready_path: str, port: int,
           cwd: Path = REPO) -> RunningServer:
    """Start `cmd` (which must listen on `port`) and wait until `ready_path` answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + ready_path, process, log)
    except BaseException:
        stop(process)
        raise
    return RunningServer(base, log, process)


def start_twin(database_url: str, workdir: Path, **settings: str) -> RunningServer:
    """The twin under uvicorn, one process, over `database_url`, with write keys set (and
    `settings` as TWIN_ variables: jobs_step_delay="0.5" sets TWIN_JOBS_STEP_DELAY)."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TWIN_DATABASE_URL": database_url,
        "TWIN_ENVIRONMENT": "test",
        "TWIN_API_KEYS": json.dumps(API_KEYS),
        **{f"TWIN_{name.upper()}": value for name, value in settings.items()},
    }
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    return launch(cmd, env=env, log=workdir / "twin.log", ready_path="/", port=port)


def tool(name: str) -> str:
    """Path of a command-line client; these tests exist to drive it, so it must be there."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install gdal-bin)")
    return path
