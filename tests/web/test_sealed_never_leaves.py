"""Guarantee 2 as a property: whatever the sealed values are, no answer of the API or the
operator pages carries them, for any role, except the purpose-bound reveal itself."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeconduct.accounts.policy import Role

Bearer = Callable[[Role], dict[str, str]]
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=60).map(
    str.strip
)


def _plant(client: TestClient, bearer: Bearer, texts: list[str], nonce: str) -> dict[str, str]:
    secret = [f"{nonce}{t}" for t in texts]
    registrar, intake = bearer(Role.REGISTRAR), bearer(Role.INTAKE)
    # The link to the request is sealed too, but a request's id is plain on its own pages:
    # the link is checked by the linkage-attack test, the planted texts here.
    request = client.post(
        "/api/v1/requests",
        headers=intake,
        json={"channel": "web_form", "contact": secret[3][:200], "content": secret[4] + secret[2]},
    ).json()
    # Only an accepted request can be named as the one a custody came from.
    for status in ("in_review", "accepted"):
        moved = client.post(
            f"/api/v1/requests/{request['id']}/status", headers=intake, json={"status": status}
        )
        assert moved.status_code == 200, moved.text
    person = client.post(
        "/api/v1/persons",
        headers=registrar,
        json={"surname": "HONCHARENKO", "given_names": "Taras"},
    ).json()
    custody = client.post(
        "/api/v1/custodies",
        headers=registrar,
        json={
            "person_id": person["id"],
            "since": "2026-05-01",
            "place_of_internment": "Camp 3",
            "circumstances": {
                "mode": "voluntary",
                "place": secret[0],
                "how": secret[1],
                "request_id": request["id"],
            },
        },
    ).json()
    return {"person_id": person["id"], "custody_id": custody["id"], "request_id": request["id"]}


def _readable(ids: dict[str, str]) -> list[str]:
    p, c, r = ids["person_id"], ids["custody_id"], ids["request_id"]
    return [
        "/api/v1/persons",
        f"/api/v1/persons/{p}",
        f"/api/v1/persons/{p}/custodies",
        f"/api/v1/custodies/{c}",
        f"/api/v1/persons/{p}/access-log",
        "/api/v1/requests",
        f"/api/v1/requests/{r}",
        "/api/v1/audit/entries?size=200",
        "/api/v1/auth/me",
        "/openapi.json",
        "/people",
        f"/people/{p}",
        "/requests?status=all",
        f"/requests/{r}",
        "/audit",
        "/accounts",
    ]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(free_text, min_size=5, max_size=5))
def test_no_answer_but_a_reveal_carries_a_sealed_value(
    client: TestClient, bearer: Bearer, texts: list[str]
) -> None:
    nonce = f"Z{secrets.token_hex(8)}"  # any leak, escaped or not, shows this verbatim
    ids = _plant(client, bearer, texts, nonce)
    assert all(ids.values())
    for role in Role:
        for url in _readable(ids):
            body = client.get(url, headers=bearer(role), follow_redirects=False).text
            assert nonce not in body, (role.value, url)
    revealed = client.post(
        f"/api/v1/custodies/{ids['custody_id']}/circumstances/reveal",
        headers=bearer(Role.VERIFIER),
        json={"purpose": "protection_assessment", "reason": "risk on return"},
    )
    assert nonce in revealed.text  # the reveal is the one way out, and it works
