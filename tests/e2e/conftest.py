"""Browser tests: the real server in a subprocess on a fresh demo store, driven by Debian's
chromium through Playwright (never `playwright install`).

Without /usr/bin/chromium the tests skip with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import os
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
from tests.server import serving

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
    # Demo keys sit beside the database, so `serve` finds them without demo mode.
    with serving(log=folder / "server.log", db_url=db_url, cwd=folder) as (_proc, base_url):
        yield Server(base_url, db_url, accounts)


@dataclass
class PublicServer:
    """The public face (`serve --face public`) over the same demo store as `server`."""

    base_url: str
    db_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def public_server(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PublicServer]:
    """Serve the demo store's public face; it finds the channel keys beside the database
    (the public ones only: it never loads the private intake key)."""
    folder = tmp_path_factory.mktemp("e2e-public")
    with serving(log=folder / "public.log", db_url=server.db_url, cwd=folder, face="public") as (
        _proc,
        base_url,
    ):
        yield PublicServer(base_url, server.db_url)


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


BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source, to run in pages (through the DevTools protocol, which the page's
    CSP does not govern: the page itself still loads no inline script)."""
    if not AXE.exists():
        missing(f"accessibility tests need {AXE} (make node_modules/axe-core/axe.min.js)")
    return AXE.read_text(encoding="utf-8")


def violations(page: Any, axe_source: str) -> list[str]:
    """axe-core's findings of serious or critical impact on the page as it stands."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document);"
        " return {passes: r.passes.length, violations: r.violations.map(v =>"
        " ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))}; }"
    )
    assert result["passes"] > 0, "axe did not run"
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def shots(page: Any, name: str) -> None:
    """Screenshots of the page at 1280 and at 390 px wide (left at 1280)."""
    for size, suffix in ((DESK, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        shot(page, f"{name}-{suffix}")
    page.set_viewport_size(DESK)


def check_page(page: Any, axe_source: str, name: str) -> None:
    """At both widths: a screenshot, no serious accessibility finding, and nothing wider
    than the phone's screen."""
    for size, suffix in ((DESK, "1280"), (PHONE, "390")):
        page.set_viewport_size(size)
        shot(page, f"{name}-{suffix}")
        assert violations(page, axe_source) == [], f"{name} at {suffix} px"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide at 390"
    page.set_viewport_size(DESK)
