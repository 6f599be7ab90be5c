"""Browser tests: the real server in a subprocess on a fresh demo store, driven by Debian's
chromium through Playwright (never `playwright install`).

Without /usr/bin/chromium the tests skip with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest

from safeconduct import migrate
from safeconduct.config import Settings
from safeconduct.demo.accounts import DemoAccount, create_demo_accounts
from safeconduct.demo.seed import seed
from safeconduct.runtime import open_runtime

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PEOPLE = 30


def missing(what: str) -> None:
    """Skip with the reason, or fail under CI where nothing may be skipped."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (required under CI=true)")
    pytest.skip(what)


@dataclass
class Server:
    base_url: str
    db_url: str
    accounts: dict[str, DemoAccount]
    states: dict[str, Any] = field(default_factory=dict)  # role -> Playwright storage state

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited:\n" + log.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy:\n" + log.read_text(errors="replace"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Seed a fresh SQLite demo store, then serve it with `safeconduct serve`."""
    if not CHROMIUM.exists():
        missing(f"browser tests need {CHROMIUM} (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("e2e")
    db_url = f"sqlite:///{folder / 'demo.db'}"
    migrate.upgrade(db_url)
    rt = open_runtime(Settings(demo=True, db_url=db_url))
    seed(rt, people=PEOPLE)
    accounts = {a.username: a for a in create_demo_accounts(rt)}
    rt.close()
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        # Demo keys sit beside the database, so `serve` finds them without demo mode.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "safeconduct.cli",
                "serve",
                "--db",
                db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, proc, log)
        yield Server(base_url, db_url, accounts)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages a page reports about the Content-Security-Policy; must stay empty."""
    return []


@pytest.fixture
def new_page(
    browser: Any, server: Server, csp_violations: list[str]
) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh contexts (optionally with a stored login); close them after."""
    contexts: list[Any] = []

    def open_page(state: Any = None, locale: str = "en-GB") -> Any:
        context = browser.new_context(base_url=server.base_url, storage_state=state, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda msg: (
                csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert csp_violations == []


def log_in(page: Any, account: DemoAccount) -> None:
    """Log in through the form with password and the current TOTP code."""
    page.goto("/login")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_label("Authentication code").fill(pyotp.TOTP(account.totp_secret).now())
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def as_role(server: Server, new_page: Callable[..., Any]) -> Callable[[str], Any]:
    """Return a page logged in as a demo role. Each role logs in once per run: a TOTP
    code is accepted only once, so later pages reuse the stored session."""

    def page_for(role: str) -> Any:
        if role in server.states:
            return new_page(server.states[role])
        page = new_page()
        log_in(page, server.accounts[role])
        assert "/login" not in page.url, f"{role} could not log in"
        server.states[role] = page.context.storage_state()
        return page

    return page_for


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
