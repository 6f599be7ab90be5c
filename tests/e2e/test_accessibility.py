"""axe-core on every main page: no violation of serious or critical impact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import AXE, missing

pytestmark = pytest.mark.e2e
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        missing(f"accessibility tests need {AXE} (make node_modules/axe-core/axe.min.js)")
    return AXE.read_text(encoding="utf-8")


def _violations(page: Any, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern:
    # the page itself still loads no inline script.
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


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (None, "/login"),
        (None, "/invitation"),
        ("verifier", "/people"),
        ("verifier", "person"),
        ("intake", "/requests"),
        ("auditor", "/audit"),
        ("auditor", "/audit/approvals"),
        ("admin", "/accounts"),
    ],
)
def test_main_pages_have_no_serious_accessibility_violation(
    role: str | None,
    path: str,
    axe_source: str,
    as_role: Callable[[str], Any],
    new_page: Callable[..., Any],
) -> None:
    page = new_page() if role is None else as_role(role)
    if path == "person":
        page.goto("/people")
        path = str(page.locator("#results tbody a").first.get_attribute("href"))
        page.goto(path)
        page.get_by_text("Reveal the circumstances of surrender").first.click()
    else:
        page.goto(path)
    assert _violations(page, axe_source) == []
