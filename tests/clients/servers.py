"""Start and stop real servers for the client tests, and the stores behind them.

`start_twin` runs `uvicorn api.app:create_app --factory` on a free loopback port over a
store; its access log is kept so a test can see which requests a client really made.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


def solid_png(size: int = 256, rgb: tuple[int, int, int] = (250, 226, 180)) -> bytes:
    """A one-colour PNG tile, written with zlib alone (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


@contextmanager
def raster_tile_server() -> Iterator[tuple[str, list[str]]]:
    """A web base map on the loopback (a stand-in for a GCJ-02 Chinese web map): every
    path answers one PNG; yields its URL template and the paths asked so far."""
    png, asked = solid_png(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png", asked
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def app_in_thread(app: Callable[..., Any]) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread of this process (no new interpreter to
    start: a second configuration of the twin in a second or so); yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the app at {base} did not start")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
