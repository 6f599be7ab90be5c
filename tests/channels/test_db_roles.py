"""The public face's PostgreSQL role (`safeconduct db roles`): the public flows work as it,
and everything else is denied: persons, custodies, requests, keys, accounts, the audit
entries' bodies, and any change to what the operator face keeps.

PostgreSQL only (roles are a PostgreSQL thing); the tests that need no server run anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg.errors
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from safeconduct import models
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import verify
from safeconduct.channels import service
from safeconduct.channels.policy import SubmissionFields
from safeconduct.cli import app
from safeconduct.commands.roles import PUBLIC_GRANTS, role_sql, scram_verifier
from safeconduct.config import Settings
from safeconduct.inquiries import service as inquiries
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.runtime import (
    PublicRuntime,
    Runtime,
    create_demo_channel_keys,
    open_public_runtime,
    open_runtime,
)
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer
from safeconduct.web.public import create_public_app
from tests.conftest import PgDatabases

OFFICER = Actor("account:officer-roles")
CODENAME = re.compile(r'class="codename"><strong>([^<]+)</strong>')
READABLE = {g.table for g in PUBLIC_GRANTS if g.privilege == "SELECT"}
UNREADABLE = sorted(set(models.Base.metadata.tables) - READABLE)


@dataclass
class RoleStore:
    """A fresh database with the public role applied, the operator's settings (all keys)
    and the public face's (channel keys only, connecting as the role)."""

    owner_url: str
    role: str
    password_file: Path
    settings: Settings
    public_settings: Settings


def _apply(url: str, role: str, password_file: Path) -> None:
    args = ["db", "roles", "--apply", "--role", role, "--password-file", str(password_file)]
    result = CliRunner().invoke(app, [*args, "--db", url])
    assert result.exit_code == 0, result.output


def _settings(url: str, keys: Path) -> Settings:
    FileKeyProvider.create(keys / "kek.json")
    service_key = create_signer(keys / "signing.pem")
    settings = Settings(
        db_url=url,
        kek_file=keys / "kek.json",
        signing_key_file=keys / "signing.pem",
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem",
        channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )
    create_demo_channel_keys(settings, service_key)
    return settings


@pytest.fixture(scope="module")
def store(
    pg_databases: PgDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RoleStore]:
    url = pg_databases.fresh()
    folder = tmp_path_factory.mktemp("roles")
    # Roles are cluster-wide: a name of this run's own, dropped at the end.
    role = f"sc_public_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(24)
    password_file = folder / "password"
    password_file.write_text(password + "\n")
    settings = _settings(url, folder / "keys")
    role_url = make_url(url).set(username=role, password=password)
    public_settings = settings.model_copy(
        update={
            "kek_file": None,
            "signing_key_file": None,
            "intake_key_file": None,
            "public_db_url": role_url.render_as_string(hide_password=False),
        }
    )
    try:
        _apply(url, role, password_file)
        yield RoleStore(url, role, password_file, settings, public_settings)
    finally:
        pg_databases.drop(url)
        with pg_databases.engine.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def as_role(store: RoleStore) -> Iterator[Engine]:
    assert store.public_settings.public_db_url is not None
    engine = create_engine(store.public_settings.public_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def runtimes(store: RoleStore) -> Iterator[tuple[Runtime, PublicRuntime]]:
    rt = open_runtime(store.settings)
    prt = open_public_runtime(store.public_settings)
    yield rt, prt
    prt.close()
    rt.close()


def _denied(engine: Engine, sql: str) -> None:
    with pytest.raises(ProgrammingError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), sql


def test_public_flow_runs_as_the_role(runtimes: tuple[Runtime, PublicRuntime]) -> None:
    rt, prt = runtimes
    # The real route, first: on a fresh store it also writes the audit log's first head.
    with TestClient(create_public_app(prt)) as client:
        answer = client.post("/request", data={"contact": "@roles-test", "language": "en"})
        assert answer.status_code == 200, answer.text
        found = CODENAME.search(answer.text)
        assert found is not None
        codename = found.group(1)
    with prt.sessions() as db:
        ticket = service.find_ticket(db, keys=prt.channels, typed=codename)
        assert ticket is not None
        assert service.find_ticket(db, keys=prt.channels, typed="wrong " + codename) is None
    # The operator face (the tables' owner) takes it in, moves it and writes back.
    with rt.transaction() as s:
        assert service.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit).requests
        request = intake.get(s, request_id=ticket.id)
        assert request is not None
        intake.move(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER, request=request,
                    status=RequestStatus.IN_REVIEW)  # fmt: skip
        service.reply(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER, request=request,
                      text="We read you.")  # fmt: skip
    # As the role again: status, replies, writing again.
    with prt.transaction() as db:
        ticket = service.find_ticket(db, keys=prt.channels, typed=codename)
        assert ticket is not None
        assert ticket.public_status == "in_review"
        replies = service.read_replies(db, ticket=ticket, typed=codename)
        assert [r.text for r in replies] == ["We read you."]
        service.write_again(db, keys=prt.channels, audit=prt.audit, ticket=ticket, text="Soon.")
    with rt.transaction() as s:
        assert service.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit).messages
    # The role's appends and the owner's make one chain that verifies.
    with rt.sessions() as s:
        keys = rt.audit_keys()
        assert verify(s, keys[0], keys[1:]).ok


def test_status_page_as_the_role(runtimes: tuple[Runtime, PublicRuntime]) -> None:
    _, prt = runtimes
    with prt.transaction() as db:
        issued = service.submit(db, keys=prt.channels, audit=prt.audit, channel=Channel.WEB_FORM,
                                fields=SubmissionFields(contact="+1 555"))  # fmt: skip
    with TestClient(create_public_app(prt)) as client:
        answer = client.post("/status", data={"codename": issued.codename, "lang": "en"})
        assert answer.status_code == 200
        assert issued.reference in answer.text


@pytest.mark.parametrize("table", UNREADABLE)
def test_role_cannot_read(as_role: Engine, table: str) -> None:
    _denied(as_role, f'SELECT * FROM "{table}" LIMIT 1')


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entries SET purpose = 'x'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
        "DELETE FROM audit_head",
        "INSERT INTO audit_checkpoints (seq, head_hash, signed_at, key_id, signature) "
        "VALUES (1, 'h', 'd', 'k', 's')",
        "UPDATE tickets SET public_status = 'closed'",
        "DELETE FROM tickets",
        "DELETE FROM submissions",
        "DELETE FROM ticket_replies",
        "INSERT INTO ticket_replies (id, ticket_id, number, body, written_on) "
        "VALUES ('x', 'x', 1, '', CURRENT_DATE)",
        "UPDATE integrations SET disabled_on = NULL",
        "INSERT INTO surrender_requests (id) VALUES ('x')",
        "UPDATE data_keys SET wrapped = ''",
        "CREATE TABLE public.planted (x int)",
    ],
)
def test_role_cannot_change(as_role: Engine, sql: str) -> None:
    _denied(as_role, sql)


def test_role_cannot_see_what_waits_in_the_inbox(as_role: Engine) -> None:
    # It puts boxes in; it never reads or removes them (the operator face does).
    _denied(as_role, "SELECT box FROM submissions")


def test_apply_again_takes_back_what_was_added(store: RoleStore, as_role: Engine) -> None:
    owner = create_engine(store.owner_url)
    try:
        with owner.begin() as conn:
            conn.execute(text(f'GRANT SELECT ON persons, accounts TO "{store.role}"'))
            conn.execute(text(f'GRANT UPDATE ON audit_entries TO "{store.role}"'))
        with as_role.connect() as conn:
            conn.execute(text("SELECT * FROM persons LIMIT 1"))
        _apply(store.owner_url, store.role, store.password_file)
        _denied(as_role, "SELECT * FROM persons LIMIT 1")
        _denied(as_role, "SELECT * FROM accounts LIMIT 1")
        _denied(as_role, "UPDATE audit_entries SET purpose = 'x'")
        with owner.connect() as conn:
            # PostgreSQL kept the verifier as sent: it never saw the password itself.
            stored = conn.execute(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": store.role}
            ).scalar()
        assert str(stored).startswith("SCRAM-SHA-256$4096:")
        assert store.password_file.read_text().strip() not in str(stored)
    finally:
        owner.dispose()


def test_apply_refuses_a_superuser(store: RoleStore, pg_databases: PgDatabases) -> None:
    role = f"sc_super_{uuid.uuid4().hex[:10]}"
    with pg_databases.engine.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" SUPERUSER'))
    try:
        args = ["db", "roles", "--apply", "--role", role, "--db", store.owner_url]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        with pg_databases.engine.connect() as conn:
            still = conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar()
        assert still is True
    finally:
        with pg_databases.engine.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


# Without a server ---------------------------------------------------------------------


def test_sqlite_has_no_roles(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "roles", "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "SQLite has no roles" in result.output


@pytest.mark.parametrize("role", ["postgres", "public", "pg_monitor", "Bad-Name", "a;drop"])
def test_bad_role_names_are_refused(role: str) -> None:
    url = "postgresql://owner@127.0.0.1/none"
    result = CliRunner().invoke(app, ["db", "roles", "--role", role, "--db", url])
    assert result.exit_code == 2


def test_printed_sql_never_holds_the_password(tmp_path: Path) -> None:
    password = "correct-horse-battery-staple-42"
    (tmp_path / "pw").write_text(password)
    url = "postgresql://owner@127.0.0.1/bureau"
    args = ["db", "roles", "--password-file", str(tmp_path / "pw"), "--db", url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert password not in result.output
    assert "PASSWORD 'SCRAM-SHA-256$4096:" in result.output
    assert 'GRANT CONNECT ON DATABASE "bureau"' in result.output
    (tmp_path / "short").write_text("short")
    result = CliRunner().invoke(app, ["db", "roles", "--password-file", str(tmp_path / "short"),
                                      "--db", url])  # fmt: skip
    assert result.exit_code == 2
    assert "short" not in result.output.replace("--password-file", "")


def test_sql_grants_nothing_on_the_operators_tables() -> None:
    script = "\n".join(role_sql("sc_public", "bureau"))
    for table in ("persons", "custodies", "surrender_requests", "data_keys", "accounts"):
        assert f'"{table}"' not in script
    assert 'GRANT SELECT ON TABLE "audit_entries"' not in script


def test_scram_verifier_matches_rfc_7677() -> None:
    """The RFC's exchange (user, "pencil") proves out against the verifier we compute: the
    client's proof opens to the stored key, and the server's signature is the one shown."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt)
    head, keys = verifier.split("$", 1)[1].split("$")
    assert head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
    server_signature = hmac.new(server_key, auth, hashlib.sha256).digest()
    assert base64.b64encode(server_signature).decode() == (
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )


def test_role_cannot_read_when_tickets_were_opened(as_role: Engine) -> None:
    # It finds a ticket by its codename's hash; the day each ticket was opened is not its
    # business (a copy of what it reads would date every request).
    _denied(as_role, "SELECT opened_on FROM tickets")
    _denied(as_role, "SELECT * FROM tickets LIMIT 1")


def test_a_family_inquiry_runs_as_the_role(runtimes: tuple[Runtime, PublicRuntime]) -> None:
    """The inquiry form as the public face's role: it seals, it never reads an inquiry."""
    rt, prt = runtimes
    form = {"surname": "Коваль", "given_name": "Іван", "contact": "@roles-family",
            "relationship": "sibling", "lang": "uk"}  # fmt: skip
    with TestClient(create_public_app(prt)) as client:
        answer = client.post("/inquiry", data=form)
        assert answer.status_code == 200, answer.text
        found = CODENAME.search(answer.text)
        assert found is not None
        shown = client.post("/status", data={"codename": found.group(1), "lang": "uk"})
        assert shown.status_code == 200
    with rt.transaction() as s:
        assert inquiries.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit) == 1
