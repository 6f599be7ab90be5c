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


def _post(client: TestClient, url: str, headers: dict[str, str], body: object) -> dict[str, str]:
    answer = client.post(url, headers=headers, json=body)
    assert answer.status_code in (200, 201), (url, answer.text)
    result: dict[str, str] = answer.json()
    return result


def _plant(client: TestClient, bearer: Bearer, texts: list[str], nonce: str) -> dict[str, str]:
    """Put the texts, marked, in every sealed place: a request's contact, message, note and
    rejection reason; a person's family details; a custody's circumstances; a death's
    place and cause."""
    secret = [f"{nonce}{t}" for t in texts]
    registrar, intake = bearer(Role.REGISTRAR), bearer(Role.INTAKE)
    # The link to the request is sealed too, but a request's id is plain on its own pages:
    # the link is checked by the linkage-attack test, the planted texts here.
    body = {"channel": "web_form", "contact": secret[3][:200], "content": secret[4] + secret[2]}
    request = _post(client, "/api/v1/requests", intake, body)
    rejected = _post(client, "/api/v1/requests", intake, body | {"channel": "phone"})
    requests = f"/api/v1/requests/{request['id']}"
    _post(client, f"{requests}/notes", intake, {"text": secret[1]})
    # Only an accepted request can be named as the one a custody came from.
    for status in ("in_review", "accepted"):
        _post(client, f"{requests}/status", intake, {"status": status})
    reason = {"status": "rejected", "reason": secret[0]}
    _post(client, f"/api/v1/requests/{rejected['id']}/status", intake, reason)
    family = {"father_first_name": secret[2][:200], "person_to_inform": secret[3][:300]}
    person = _post(
        client,
        "/api/v1/persons",
        registrar,
        {"surname": "HONCHARENKO", "given_names": "Taras", "family": family},
    )
    circumstances = {
        "mode": "voluntary",
        "place": secret[0],
        "how": secret[1],
        "request_id": request["id"],
    }
    custody = _post(
        client,
        "/api/v1/custodies",
        registrar,
        {
            "person_id": person["id"],
            "since": "2026-05-01",
            "place_of_internment": "Camp 3",
            "circumstances": circumstances,
        },
    )
    death = {
        "kind": "death",
        "occurred_on": "2026-05-02",
        "reason": "reported by the camp doctor",
        "details": {"place": secret[4][:200], "cause": secret[2][:200]},
    }
    _post(client, f"/api/v1/custodies/{custody['id']}/events", registrar, death)
    return {
        "person_id": person["id"],
        "custody_id": custody["id"],
        "request_id": request["id"],
        "rejected_id": rejected["id"],
    }


def _readable(ids: dict[str, str]) -> list[str]:
    p, c, r = ids["person_id"], ids["custody_id"], ids["request_id"]
    rejected = ids["rejected_id"]
    return [
        f"/api/v1/persons/{p}/revisions",
        f"/api/v1/custodies/{c}/events",
        f"/api/v1/requests/{r}/history",
        f"/api/v1/requests/{rejected}",
        f"/api/v1/requests/{rejected}/history",
        f"/requests/{rejected}",
        "/audit/export.csv",
        f"/people/{p}/edit",
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
