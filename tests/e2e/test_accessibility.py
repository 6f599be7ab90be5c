"""axe-core on every main page: no violation of serious or critical impact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import violations

pytestmark = pytest.mark.e2e


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
    assert violations(page, axe_source) == []
