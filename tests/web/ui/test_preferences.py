"""One's own language and time zone: the preferences page, the API beside /auth/language,
times shown in the chosen zone, and the site's icon."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from safeconduct.accounts import preferences
from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.runtime import Runtime
from safeconduct.web.ui import formats
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
MOMENT = datetime(2026, 8, 11, 17, 10, tzinfo=UTC)


def _account(rt: Runtime, role: Role) -> Account:
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username=f"ui-{role.value}")
        assert account is not None
        return account


def _save(client: TestClient, **fields: str) -> tuple[int, str, str]:
    token = csrf_of(client.get("/preferences").text)
    answer = client.post(
        "/preferences", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    return answer.status_code, answer.headers.get("location", ""), answer.text


def test_the_page_offers_language_and_common_zones(ui_login: UiLogin) -> None:
    page = ui_login(Role.REGISTRAR).get("/preferences")
    assert page.status_code == 200
    assert '<a href="/preferences" aria-current="page">Preferences</a>' in page.text
    assert 'for="pref-language">Language of the interface<' in page.text
    assert '<option value="Europe/Kyiv">Europe/Kyiv (UTC+0' in page.text
    assert "The bureau's zone (UTC)" in page.text
    assert 'id="other-zone" name="other_zone" value=""' in page.text


def test_choosing_a_zone_and_a_language_saves_both(ui_login: UiLogin, rt: Runtime) -> None:
    client = ui_login(Role.INTAKE)
    status, location, _ = _save(client, language="uk", zone="Europe/Kyiv", other_zone="")
    assert (status, location) == (303, "/preferences?saved=1")
    account = _account(rt, Role.INTAKE)
    assert (account.language, account.time_zone) == ("uk", "Europe/Kyiv")
    page = client.get(location).text
    assert 'role="status"' in page
    assert '<option value="Europe/Kyiv" selected>' in page
    assert '<html lang="uk">' in page


def test_a_typed_zone_wins_and_comes_back_in_its_field(ui_login: UiLogin, rt: Runtime) -> None:
    client = ui_login(Role.WELFARE)
    status, _, _ = _save(client, language="en", zone="UTC", other_zone=" Asia/Bishkek ")
    assert status == 303
    assert _account(rt, Role.WELFARE).time_zone == "Asia/Bishkek"
    page = client.get("/preferences").text
    assert 'name="other_zone" value="Asia/Bishkek"' in page
    assert '<option value="" selected>' in page


def test_the_bureaus_zone_clears_ones_own(ui_login: UiLogin, rt: Runtime) -> None:
    client = ui_login(Role.MEDICAL)
    _save(client, language="en", zone="Asia/Tokyo")
    assert _account(rt, Role.MEDICAL).time_zone == "Asia/Tokyo"
    status, _, _ = _save(client, language="en", zone="", other_zone="")
    assert status == 303
    assert _account(rt, Role.MEDICAL).time_zone is None


def test_an_unknown_zone_is_named_kept_and_nothing_is_saved(ui_login: UiLogin, rt: Runtime) -> None:
    client = ui_login(Role.TRACING)
    status, _, page = _save(client, language="ru", zone="Europe/Kyiv", other_zone="Mars/Olympus")
    assert status == 422
    assert 'role="alert" id="preferences-error">Other time zone:' in page
    assert 'value="Mars/Olympus"' in page
    assert 'aria-invalid="true"' in page
    account = _account(rt, Role.TRACING)
    assert (account.language, account.time_zone) == ("en", None)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"language": "xx", "zone": "UTC"}, "Language:"),
        ({"language": "en", "zone": "Not/AZone"}, "Time zone:"),
        ({"language": "en", "zone": "UTC", "other_zone": "Europe/" + "x" * 90}, "Other time zone:"),
    ],
)
def test_a_forged_choice_is_refused_by_name(
    ui_login: UiLogin, fields: dict[str, str], named: str
) -> None:
    status, _, page = _save(ui_login(Role.EXCHANGE), **fields)
    assert status == 422
    assert f'id="preferences-error">{named}' in page


def test_times_show_in_the_chosen_zone_with_the_zone_named() -> None:
    kyiv = formats.moment(MOMENT, language="uk", time_zone=ZoneInfo("Europe/Kyiv"))
    assert kyiv == ('<time datetime="2026-08-11T17:10+00:00">2026-08-11 20:10 UTC+03:00</time>')
    utc = formats.moment(MOMENT.isoformat(), language="ru", time_zone=ZoneInfo("UTC"))
    assert ">2026-08-11 17:10 UTC<" in utc
    west = formats.moment(MOMENT, language="en", time_zone=ZoneInfo("America/New_York"))
    assert ">2026-08-11 13:10 UTC-04:00<" in west


def test_a_bad_zone_setting_never_breaks_a_page() -> None:
    assert formats.zone("Nowhere/At-All", "Also/Wrong").key == "UTC"
    assert formats.zone(None, "Europe/Kyiv").key == "Europe/Kyiv"


@given(st.text(max_size=80))
def test_only_zones_that_load_are_accepted(name: str) -> None:
    if preferences.is_zone(name):
        assert ZoneInfo(name).key == name
    else:
        with pytest.raises(ValidationError, match="unknown time zone"):
            preferences.TimeZoneRequest(time_zone=name)


def test_the_api_sets_and_clears_ones_own_zone(
    client: TestClient, bearer: Callable[[Role], dict[str, str]], rt: Runtime
) -> None:
    headers = bearer(Role.REGISTRAR)
    answer = client.post(
        "/api/v1/auth/time-zone", json={"time_zone": "Europe/Kyiv"}, headers=headers
    )
    assert answer.status_code == 204
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username="registrar-bearer")
        assert account is not None
        assert account.time_zone == "Europe/Kyiv"
    wrong = client.post(
        "/api/v1/auth/time-zone", json={"time_zone": "Mars/Olympus"}, headers=headers
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["detail"]] == ["body.time_zone"]
    assert "Mars" not in wrong.text  # the input is never echoed
    cleared = client.post("/api/v1/auth/time-zone", json={"time_zone": None}, headers=headers)
    assert cleared.status_code == 204
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username="registrar-bearer")
        assert account is not None
        assert account.time_zone is None


def test_the_icon_answers_without_login_on_every_page(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    login = client.get("/login").text
    assert '<link rel="icon" href="/favicon.ico"' in login
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login
