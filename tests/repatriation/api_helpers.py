"""Repatriation through the HTTP API: accounts per role (two exchange officers, for four
eyes), people in custody with wishes heard and verified, exchange events, lists approved
and exported; a fresh store per hypothesis example; and what a response may never hold.

The clock stands where tests/repatriation/conftest.py puts it: TOTP codes are taken at it."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from httpx import Response

from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.repatriation.models import Wish
from safeconduct.runtime import Runtime, create_demo_channel_keys, open_runtime
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer
from safeconduct.web.app import create_app
from tests.factories import add_token
from tests.repatriation.conftest import TODAY

WISH_VALUES = frozenset(w.value for w in Wish)
# Keys that carry a wish, what was found in an interview, or a sealed text: never in an
# answer to the exchange role.
WISH_KEYS = frozenset(
    {
        "wish",
        "finding",
        "note",
        "notes",
        "has_note",
        "interview_notes",
        "risk_on_return",
        "risk_reasons",
        "without_witnesses",
        "interpreter",
        "language",
        "verified_on",
        "circumstances",
        "mode",
    }
)
PLANNED = TODAY + timedelta(days=10)
REVEAL = {"purpose": "protection_assessment", "reason": "weighing the risk on return"}


def headers_for(rt: Runtime, username: str, role: Role) -> dict[str, str]:
    """Bearer headers for a fresh enrolled (and, where needed, approved) account in a role,
    its token minted with the code at the clock in force."""
    token, _row = add_token(rt, username, role)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A client and one account per role; `builder` and `approver` are two exchange officers."""

    rt: Runtime
    client: TestClient
    prefix: str = "api"
    made: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_(self, who: Role | str) -> dict[str, str]:
        name = who.value if isinstance(who, Role) else who
        role = Role.EXCHANGE if name in ("builder", "approver") else Role(name)
        if name not in self.made:
            self.made[name] = headers_for(self.rt, f"{self.prefix}-{name}", role)
        return self.made[name]

    @property
    def builder(self) -> dict[str, str]:
        return self.as_("builder")

    @property
    def approver(self) -> dict[str, str]:
        return self.as_("approver")

    def post(self, url: str, who: Role | str, body: object = None) -> Response:
        answer: Response = self.client.post(url, headers=self.as_(who), json=body)
        return answer

    def get(self, url: str, who: Role | str) -> Response:
        answer: Response = self.client.get(url, headers=self.as_(who))
        return answer

    # People and wishes -----------------------------------------------------------------

    def person(
        self,
        surname: str,
        *,
        given_names: str = "Petro",
        rank: str | None = None,
        service_number: str | None = None,
        date_of_birth: str | None = "1990-04-02",
        since: str = "2027-01-10",
        mode: str = "captured",
        place: str = "a village by the river",
        how: str = "in a raid",
        camp: str = "Camp 1",
        **voluntary: str,
    ) -> str:
        """A person in custody; return their id. `voluntary`: more identity fields (a
        patronymic, the place of birth, a nationality)."""
        body: dict[str, Any] = {"surname": surname, "given_names": given_names, **voluntary}
        for key, value in (
            ("rank", rank),
            ("service_number", service_number),
            ("date_of_birth", date_of_birth),
        ):
            if value is not None:
                body[key] = value
        person = ok(self.post("/api/v1/persons", Role.REGISTRAR, body), 201)
        custody = {
            "person_id": person["id"],
            "since": since,
            "place_of_internment": camp,
            "circumstances": {"mode": mode, "place": place, "how": how},
        }
        ok(self.post("/api/v1/custodies", Role.REGISTRAR, custody), 201)
        return str(person["id"])

    def custody_id(self, person_id: str) -> str:
        found = ok(self.get(f"/api/v1/persons/{person_id}/custodies", Role.REGISTRAR))
        return str(found[0]["id"] if isinstance(found, list) else found["items"][0]["id"])

    def statement(
        self,
        person_id: str,
        wish: str,
        *,
        note: str | None = None,
        who: Role = Role.WELFARE,
        on: date = TODAY,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"wish": wish, "stated_on": on.isoformat()}
        if note is not None:
            body["note"] = note
        url = f"/api/v1/persons/{person_id}/wishes/statements"
        return record(self.post(url, who, body), 201)

    def interview(
        self,
        person_id: str,
        wish: str = "return",
        *,
        held_on: date = TODAY,
        private: bool = True,
        notes: str | None = None,
        risk: str | None = None,
        language: str = "ru",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "wish": wish,
            "held_on": held_on.isoformat(),
            "without_witnesses": private,
            "interpreter": True,
            "language": language,
            "risk_on_return": risk is not None,
        }
        if risk is not None:
            body["risk_reasons"] = risk
        if notes is not None:
            body["notes"] = notes
        url = f"/api/v1/persons/{person_id}/wishes/interviews"
        return record(self.post(url, Role.VERIFIER, body), 201)

    def custody_event(self, person_id: str, kind: str, **extra: Any) -> dict[str, Any]:
        body = {"kind": kind, "occurred_on": TODAY.isoformat(), "reason": "as reported", **extra}
        url = f"/api/v1/custodies/{self.custody_id(person_id)}/events"
        return record(self.post(url, Role.REGISTRAR, body), 201)

    # Exchanges ---------------------------------------------------------------------------

    def event(
        self, *, planned_on: date = PLANNED, sick: int = 5, officers: int = 5, enlisted: int = 5
    ) -> str:
        body = {
            "counterpart": "Counterpart of the exchange",
            "planned_on": planned_on.isoformat(),
            "quota_wounded_sick": sick,
            "quota_officer": officers,
            "quota_enlisted": enlisted,
        }
        return str(ok(self.post("/api/v1/exchange-events", "builder", body), 201)["id"])

    def listed(self, event_id: str, who: Role | str = "builder") -> dict[str, Any]:
        return record(self.get(f"/api/v1/exchange-events/{event_id}/list", who))

    def add(self, event_id: str, person_id: str, who: Role | str = "builder") -> Response:
        url = f"/api/v1/exchange-events/{event_id}/list/members"
        return self.post(url, who, {"person_id": person_id})

    def build(self, event_id: str) -> dict[str, Any]:
        return record(self.post(f"/api/v1/exchange-events/{event_id}/list/build", "builder"))

    def approve(
        self, event_id: str, who: Role | str = "approver", version: int | None = None
    ) -> Response:
        if version is None:
            version = self.listed(event_id)["event"]["version"]
        url = f"/api/v1/exchange-events/{event_id}/list/approve"
        return self.post(url, who, {"version": version})

    def export(self, event_id: str, fmt: str, who: Role | str = "builder") -> Response:
        url = f"/api/v1/exchange-events/{event_id}/list/export"
        return self.post(url, who, {"format": fmt})

    def approved_list(self, people: list[str]) -> str:
        """An event whose list holds these people, approved by the second officer."""
        event_id = self.event()
        for person_id in people:
            ok(self.add(event_id, person_id))
        ok(self.approve(event_id))
        return event_id


def ok(answer: Response, status: int = 200) -> Any:
    assert answer.status_code == status, (answer.status_code, answer.text)
    return answer.json()


def record(answer: Response, status: int = 200) -> dict[str, Any]:
    """The JSON object of an answer with this status."""
    found = ok(answer, status)
    assert isinstance(found, dict), found
    return found


def conflict(answer: Response) -> list[dict[str, Any]]:
    """The problems of a 409 (`{"error": "conflict", "detail": [...]}`), each naming the
    person (or none) and why, with a message."""
    assert answer.status_code == 409, (answer.status_code, answer.text)
    assert answer.json()["error"] == "conflict", answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    for problem in detail:
        assert set(problem) == {"person_id", "name", "reason", "message"}, problem
    return list(detail)


def fields(answer: Response) -> list[str]:
    """The fields a 422 names."""
    assert answer.status_code == 422, (answer.status_code, answer.text)
    return [d["field"] for d in answer.json()["detail"]]


def wish_free(value: Any, where: str = "") -> None:
    """Assert that a JSON value carries no wish, no interview finding and no sealed text:
    no key that holds one, and no string that is a wish value."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert key not in WISH_KEYS, f"{where}: {key}"
            wish_free(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            wish_free(item, where)
    elif isinstance(value, str):
        assert value not in WISH_VALUES, f"{where}: {value}"


def service_key(settings: Settings) -> Ed25519PublicKey:
    """The "service" key from the published key list, read as plain JSON: no code of ours."""
    assert settings.channel_keys_file is not None
    published = json.loads(settings.channel_keys_file.read_text(encoding="utf-8"))
    [key] = [k for k in published["keys"] if k["use"] == "service"]
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))


def check_by_hand(settings: Settings, exported: bytes) -> dict[str, Any]:
    """Verify a JSON export with `json`, `hashlib` and `cryptography` alone; return the
    document."""
    envelope = json.loads(exported)
    doc = envelope["document"]
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(body).hexdigest() == envelope["sha256"]
    assert envelope["algorithm"] == "Ed25519"
    # Raises InvalidSignature when the signature does not hold.
    service_key(settings).verify(base64.b64decode(envelope["signature"]), body)
    return dict(doc)


# A fresh store per hypothesis example ----------------------------------------------------


def _settings(db_url: str, keys: Path) -> Settings:
    FileKeyProvider.create(keys / "kek.json")
    service = create_signer(keys / "signing.pem")
    settings = Settings(
        db_url=db_url,
        kek_file=keys / "kek.json",
        signing_key_file=keys / "signing.pem",
        audit_checkpoint_every=10,
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem",
        channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )
    create_demo_channel_keys(settings, service)
    return settings


@contextmanager
def fresh_store(
    request: pytest.FixtureRequest, db_url: str, folder: Path
) -> Iterator[tuple[Runtime, Settings, Api]]:
    """A new migrated store of the same kind as `db_url` (SQLite or PostgreSQL), its keys,
    a runtime and an API client on it; dropped afterwards."""
    place = folder / uuid.uuid4().hex[:10]
    place.mkdir(parents=True)
    drop = None
    if db_url.startswith("sqlite"):
        target = place / "store.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        dbs = request.getfixturevalue("pg_databases")
        url = dbs.fresh()
        drop = dbs
    settings = _settings(url, place / "keys")
    rt = open_runtime(settings)
    try:
        client = TestClient(create_app(rt), base_url="https://testserver")
        yield rt, settings, Api(rt, client, prefix=place.name)
    finally:
        rt.close()
        if drop is not None:
            drop.drop(url)
