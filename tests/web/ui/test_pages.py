"""Pages: friendly errors, security headers, no inline code, and no sealed value in sight."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.http.auth import Requires
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from safeconduct.web.ui.headers import CSP
from tests.factories import add_custody, add_person, add_request
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
SEALED = ("SEALED-PLACE-7Q", "SEALED-HOW-3Z", "SEALED-CONTACT-9K", "SEALED-CONTENT-5M")


def _requires(dependant: object) -> Iterator[Requires]:
    for dep in getattr(dependant, "dependencies", []):
        if isinstance(dep.call, Requires):
            yield dep.call
        yield from _requires(dep)


def test_every_ui_route_declares_its_permission(rt: Runtime) -> None:
    routes = [
        (ctx.path or "", ctx.original_route)
        for ctx in iter_route_contexts(create_app(rt).routes)
        if isinstance(ctx.original_route, APIRoute) and not (ctx.path or "").startswith("/api/")
    ]
    assert len(routes) >= 10
    assert [path for path, route in routes if not list(_requires(route.dependant))] == []


def test_a_forbidden_page_is_a_friendly_403(ui_login: UiLogin) -> None:
    answer = ui_login(Role.EXCHANGE).get("/audit")
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]
    assert "You may not open this page" in answer.text
    assert '<a href="/people"' in answer.text  # the caller's own navigation stays
    assert '<a href="/audit"' not in answer.text


def test_unknown_pages_are_html_and_the_api_stays_json(client: TestClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404
    assert api.json()["error"] == "http_error"
    assert client.get("/api/v1/persons").status_code == 401  # no redirect for API clients


def test_a_bad_query_is_an_html_400_that_echoes_nothing(ui_login: UiLogin) -> None:
    answer = ui_login(Role.REGISTRAR).get("/people?page=ECHO-ME")
    assert answer.status_code == 400
    assert "ECHO-ME" not in answer.text


@pytest.mark.parametrize("path", ["/login", "/api/v1/health", "/static/app.css", "/nowhere"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    if not path.startswith("/static/"):
        assert headers["cache-control"] == "no-store"


def test_the_api_docs_page_is_gone(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 404


class InlineCode(HTMLParser):
    """Collect everything a strict CSP would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names:
            self.found.append(f"style on <{tag}>")
        self.found += [f"{n} on <{tag}>" for n in names if n.startswith(("on", "hx-on"))]
        if tag == "script":
            if "src" not in names:
                self.found.append("script without src")
            self._in_script = True
        if any(v and v.strip().lower().startswith("javascript:") for _, v in attrs):
            self.found.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("script body")


@pytest.fixture
def sealed_store(rt: Runtime) -> tuple[str, str]:
    person = add_person(rt, "SEALTEST")
    custody = add_custody(rt, person, place=SEALED[0], how=SEALED[1])
    add_request(rt, contact=SEALED[2], content=SEALED[3])
    return person.id, custody.id


def _pages(ui_login: UiLogin, anonymous: TestClient, person_id: str) -> Iterator[tuple[str, str]]:
    """Every page every role can open, as (label, html)."""
    yield "login", anonymous.get("/login").text
    for role in Role:
        client = ui_login(role)
        for path in (
            "/",
            "/people",
            "/people?q=seal",
            f"/people/{person_id}",
            "/requests",
            "/audit",
            "/accounts",
            "/enrol",
            "/nowhere",
        ):
            answer = client.get(path)
            if "text/html" in answer.headers.get("content-type", ""):
                yield f"{role.value} {path}", answer.text


def test_no_page_has_inline_code_nor_a_sealed_value(
    ui_login: UiLogin, client: TestClient, sealed_store: tuple[str, str]
) -> None:
    seen = 0
    for label, html in _pages(ui_login, client, sealed_store[0]):
        parser = InlineCode()
        parser.feed(html)
        assert parser.found == [], label
        assert not [s for s in SEALED if s in html], label
        seen += 1
    assert seen > 40


def _reveal(client: TestClient, person_id: str, custody_id: str, reason: str) -> str:
    token = csrf_of(client.get(f"/people/{person_id}").text)
    answer = client.post(
        f"/people/{person_id}/custodies/{custody_id}/reveal",
        data={"csrf_token": token, "purpose": "protection_assessment", "reason": reason},
        headers={"HX-Request": "true"},
    )
    return f"{answer.status_code} {answer.text}"


def _sealed_reads(rt: Runtime) -> int:
    with rt.sessions() as s:
        stmt = select(func.count()).where(AuditEntry.action.like("%:open"))
        return int(s.scalar(stmt) or 0)


def test_only_the_reveal_fragment_shows_the_circumstances(
    ui_login: UiLogin, rt: Runtime, sealed_store: tuple[str, str]
) -> None:
    verifier = ui_login(Role.VERIFIER)
    fragment = _reveal(verifier, *sealed_store, reason="risk on return")
    assert fragment.startswith("200 ")
    assert SEALED[0] in fragment
    assert SEALED[1] in fragment
    assert "<html" not in fragment  # a fragment, swapped in; never a page with an address
    assert _sealed_reads(rt) == 1
    parser = InlineCode()
    parser.feed(fragment)
    assert parser.found == []


def test_a_reveal_without_a_real_reason_opens_nothing(
    ui_login: UiLogin, rt: Runtime, sealed_store: tuple[str, str]
) -> None:
    fragment = _reveal(ui_login(Role.VERIFIER), *sealed_store, reason="  ab ")
    assert fragment.startswith("422 ")
    assert "at least 5 characters" in fragment
    assert not [s for s in SEALED if s in fragment]
    assert _sealed_reads(rt) == 0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REGISTRAR, Role.AUDITOR, Role.EXCHANGE])
def test_other_roles_cannot_reveal(
    ui_login: UiLogin, rt: Runtime, sealed_store: tuple[str, str], role: Role
) -> None:
    client = ui_login(role)
    token = csrf_of(client.get("/").text)
    person_id, custody_id = sealed_store
    answer = client.post(
        f"/people/{person_id}/custodies/{custody_id}/reveal",
        data={"csrf_token": token, "purpose": "protection_assessment", "reason": "just curious"},
    )
    assert answer.status_code == 403
    assert not [s for s in SEALED if s in answer.text]
    assert _sealed_reads(rt) == 0
