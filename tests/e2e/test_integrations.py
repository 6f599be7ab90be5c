"""The admin's integrations in the browser: add a phone line, see its secret once, use it on
the public face, give it a new secret, disable it (each through its confirmation); another
role is refused. Screenshots at 1280 and 390 px; axe-core on every page."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.channels import webhook
from tests.e2e.conftest import PublicServer, check_page

pytestmark = pytest.mark.e2e
NAME = "e2e-ivr"


def _deliver(public: PublicServer, secret: str, key: str) -> int:
    # A body of its own per delivery: the same body signed in the same second is a replay
    # (refused 409), whichever secret signed it, and two deliveries may fall in one second.
    body = json.dumps({"contact": f"@e2e-caller-{key}", "language": "en"}).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback server
        public.url(f"/channels/webhook/{NAME}"),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            webhook.TIMESTAMP_HEADER: stamp,
            webhook.SIGNATURE_HEADER: webhook.sign(secret.encode(), stamp, body),
            webhook.IDEMPOTENCY_HEADER: key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def _confirm(page: Any, heading: str, button: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def test_the_admin_adds_rotates_and_disables_an_integration(
    public_server: PublicServer, as_role: Callable[[str], Any], axe_source: str
) -> None:
    admin = as_role("admin")
    admin.goto("/integrations")
    check_page(admin, axe_source, "integrations")
    admin.get_by_label("Name").fill(NAME)
    admin.get_by_label("Kind").select_option("webhook")
    admin.get_by_label("Shown as").fill("+380 800 000 111")
    admin.get_by_role("button", name="Add integration").click()
    secret = admin.locator("code.secret").inner_text().strip()
    assert len(secret) >= 40
    assert secret not in admin.url
    check_page(admin, axe_source, "integration-secret")
    assert _deliver(public_server, secret, "e2e-1") == 201

    admin.goto("/integrations")
    expect(admin.locator("code.secret")).to_have_count(0)  # shown once
    assert secret not in admin.content()

    admin.get_by_role("button", name=f"New secret for {NAME}").click()
    check_page(admin, axe_source, "integration-confirm-rotate")
    _confirm(admin, f"New secret for {NAME}?", "Issue a new secret")
    rotated = admin.locator("code.secret").inner_text().strip()
    assert rotated != secret
    assert _deliver(public_server, secret, "e2e-2") == 401
    assert _deliver(public_server, rotated, "e2e-3") == 201

    admin.goto("/integrations")
    admin.get_by_role("button", name=f"Disable {NAME}").click()
    _confirm(admin, f"Disable {NAME}?", "Disable integration")
    expect(admin.get_by_role("status")).to_have_text("Integration disabled.")
    row = admin.get_by_role("row").filter(has=admin.get_by_role("cell", name=NAME, exact=True))
    expect(row).to_contain_text("Disabled on")
    check_page(admin, axe_source, "integrations-disabled")
    assert _deliver(public_server, rotated, "e2e-4") == 404

    intake = as_role("intake")
    answer = intake.goto("/integrations")
    assert answer is not None
    assert answer.status == 403
