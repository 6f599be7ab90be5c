"""Run the real `safeconduct serve` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What each face answers once it is up: the public face has no /api/v1.
READY_PATHS = {"operator": "/api/v1/health", "public": "/request"}


def _wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log: Path, path: str = READY_PATHS["operator"]
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited:\n" + log.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(url + path, timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy:\n" + log.read_text(errors="replace"))


@contextmanager
def serving(
    *,
    log: Path,
    db_url: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    face: str = "operator",
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start the server (`face`: operator or public), wait until it answers, yield it and
    its URL, stop it."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "safeconduct.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--face",
        face,
    ]
    if db_url is not None:
        args += ["--db", db_url]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, READY_PATHS[face])
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)
