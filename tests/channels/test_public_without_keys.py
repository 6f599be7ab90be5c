"""The public face runs with no private key material at all (issue 9, "Must show"): the
real `serve --face public` process, in a key folder holding only the intake *public* key,
the channel signing key, the published key list and the channel secret, accepts a
submission, gives a signed receipt and stores it; the operator face, holding every key,
opens what it received."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts.policy import Role
from safeconduct.channels import service
from safeconduct.channels.models import Submission
from safeconduct.commands.common import KEY_ERRORS
from safeconduct.config import Settings, SettingsError
from safeconduct.disclosure.service import reveal_request
from safeconduct.intake import service as intake
from safeconduct.runtime import open_public_runtime, open_runtime
from safeconduct.security.statements import check_statement, read_key_set
from safeconduct.web.public import create_public_app
from tests.factories import principal
from tests.server import serving

# What the public face is given, and all it is given.
PUBLIC_FILES = {
    "intake_public_key_file": "intake.pub.pem",
    "channel_key_file": "channel.pem",
    "channel_keys_file": "channel-keys.json",
    "channel_secret_file": "channel-secret.key",
}
# Everything that could open something; named to nothing in the public face's environment.
PRIVATE_VARIABLES = ("KEK_FILE", "KEKS", "SIGNING_KEY_FILE", "INTAKE_KEY_FILE", "DEMO")
CONTACT = "PLANTED-contact @nokeys_applicant"
MESSAGE = "PLANTED-message near the old mill"
PLACE = "PLANTED-place"
RECEIPT = re.compile(r'<pre class="statement" id="receipt">(.*?)</pre>', re.S)
CODENAME = re.compile(r'class="codename"><strong>([^<]+)</strong>')


def _public_folder(settings: Settings, folder: Path) -> dict[str, str]:
    """Copy the four public-face files into a folder of their own; return the environment
    that names them and blanks every other key setting."""
    folder.mkdir()
    env: dict[str, str] = {}
    for setting, name in PUBLIC_FILES.items():
        source = getattr(settings, setting)
        assert isinstance(source, Path)
        shutil.copy(source, folder / name)
        env[f"SAFECONDUCT_{setting.upper()}"] = str(folder / name)
    env.update({f"SAFECONDUCT_{name}": "" for name in PRIVATE_VARIABLES})
    env["SAFECONDUCT_DB_URL"] = settings.db_url
    return env


def test_public_face_takes_submissions_without_private_keys(
    settings: Settings, tmp_path: Path
) -> None:
    public = tmp_path / "public"
    env = _public_folder(settings, public)
    # The operator's keys are moved out of every path the settings name while the public
    # face runs: there is no private key on disk where anything would look for one.
    assert settings.kek_file is not None
    vault, away = settings.kek_file.parent, tmp_path / "away"
    vault.rename(away)
    try:
        with serving(log=tmp_path / "public.log", env=env, cwd=public, face="public") as (_, url):
            answer = httpx.post(
                url + "/request",
                data={"contact": CONTACT, "place": PLACE, "message": MESSAGE, "language": "uk"},
                timeout=10,
            )
            published = read_key_set(public / "channel-keys.json")
            served = httpx.get(url + "/.well-known/safeconduct-keys.json", timeout=5).json()
    finally:
        away.rename(vault)
    assert answer.status_code == 200, answer.text
    receipt_html, codename_html = RECEIPT.search(answer.text), CODENAME.search(answer.text)
    assert receipt_html is not None
    assert codename_html is not None
    receipt = html.unescape(receipt_html.group(1))
    check = check_statement(receipt, published)
    assert check.ok, check.problem
    assert {k["key_id"] for k in served["keys"]} == {k.key_id for k in published}
    # The public folder is as it was given: nothing private, nothing made.
    assert sorted(p.name for p in public.iterdir()) == sorted(PUBLIC_FILES.values())
    log = (tmp_path / "public.log").read_text(errors="replace")
    for planted in (CONTACT, PLACE, MESSAGE):
        assert planted not in log

    rt = open_runtime(settings)
    try:
        with rt.transaction() as s:
            # Stored sealed: the inbox holds the box, never the plain contact.
            [box] = s.scalars(select(Submission.box)).all()
            assert CONTACT.encode() not in box
            report = service.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)
            assert report.requests == 1
            assert check.body is not None
            reference = check.body.split("reference: ")[1].splitlines()[0]
            request = intake.get_by_reference(s, reference=reference)
            assert request is not None
            opened = reveal_request(s, keyring=rt.keyring, audit=rt.audit,
                                    who=principal(Role.INTAKE), request=request,
                                    purpose="intake_follow_up",
                                    reason="call the applicant back")  # fmt: skip
        assert opened.contact == CONTACT
        assert MESSAGE in opened.content
        with rt.sessions() as s:
            ticket = service.find_ticket(s, keys=rt.channels, typed=codename_html.group(1))
            assert ticket is not None
            assert ticket.id == request.id
    finally:
        rt.close()


def test_public_runtime_never_reads_the_private_key_files(
    settings: Settings, tmp_path: Path
) -> None:
    """Point every private key setting at a file that cannot be parsed: the operator's
    runtime fails on it, the public face's starts and takes a submission."""
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    poisoned = settings.model_copy(
        update={"kek_file": garbage, "signing_key_file": garbage, "intake_key_file": garbage}
    )
    with pytest.raises(KEY_ERRORS):
        open_runtime(poisoned)
    prt = open_public_runtime(poisoned)
    try:
        assert prt.channels.intake is None
        with TestClient(create_public_app(prt)) as client:
            answer = client.post("/request", data={"contact": "@poisoned", "language": "en"})
            assert answer.status_code == 200
            assert "Safe Conduct receipt" in answer.text
    finally:
        prt.close()


def test_public_face_without_its_own_keys_refuses_to_start(
    settings: Settings, tmp_path: Path
) -> None:
    missing = settings.model_copy(update={"channel_secret_file": tmp_path / "none.key"})
    with pytest.raises(SettingsError, match="SAFECONDUCT_CHANNEL_SECRET_FILE"):
        open_public_runtime(missing)
