"""An acknowledged request is never lost: kill the server right after each 201 answer,
restart it, and find every acknowledged request stored whole (on both databases)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx

from safeconduct.accounts.policy import Role
from safeconduct.audit.service import verify
from safeconduct.config import Settings
from safeconduct.disclosure.service import field_of
from safeconduct.intake import service as intake_service
from safeconduct.runtime import Runtime, open_runtime
from tests.factories import add_token
from tests.server import serving

ROUNDS = 4
PER_ROUND = 5


def _keys_env(settings: Settings) -> dict[str, str]:
    return {
        "SAFECONDUCT_DB_URL": settings.db_url,
        "SAFECONDUCT_KEK_FILE": str(settings.kek_file),
        "SAFECONDUCT_SIGNING_KEY_FILE": str(settings.signing_key_file),
    }


def test_acknowledged_requests_survive_a_kill(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    token, _ = add_token(rt, "intake-crash", Role.INTAKE)
    rt.close()
    acknowledged: dict[str, str] = {}
    for round_ in range(ROUNDS):
        log = tmp_path / f"server-{round_}.log"
        with serving(log=log, env=_keys_env(settings)) as (proc, url):
            for i in range(PER_ROUND):
                contact = f"+000 {round_}{i}"
                response = httpx.post(
                    f"{url}/api/v1/requests",
                    timeout=10,
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "channel": "webhook",
                        "contact": contact,
                        "content": f"round {round_} message {i}",
                    },
                )
                assert response.status_code == 201
                acknowledged[response.json()["id"]] = contact
            os.kill(proc.pid, signal.SIGKILL)  # no clean shutdown, right after the answer
    fresh = open_runtime(settings)
    with fresh.sessions() as s:
        for request_id, contact in acknowledged.items():
            stored = intake_service.get(s, request_id=request_id)
            assert stored is not None
            opened = fresh.keyring.open(s, sealed=stored.contact, field=field_of(stored, "contact"))
            assert opened.decode() == contact
        assert verify(s, fresh.audit.signer.public).ok
    fresh.close()
