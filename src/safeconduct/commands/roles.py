"""`safeconduct db roles`: the public face's own PostgreSQL role.

The public face is the part on the internet; if it is taken over, the attacker holds its
database connection. So it connects as a role that may take submissions and append to the
audit log, and nothing more: it cannot read persons, custodies, requests, their sealed
columns, data keys, accounts or sessions. Every grant below names the code that needs it;
whatever is not granted is denied (PostgreSQL grants nothing on a table by default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from safeconduct.channels.models import PUBLIC_TICKET_COLUMNS
from safeconduct.commands.common import DbOption, console, fail, settings_for
from safeconduct.db import is_sqlite, make_engine

# Migrations create every table in the default schema.
SCHEMA = "public"
DEFAULT_ROLE = "safeconduct_public"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MIN_PASSWORD = 16
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default for scram-sha-256


@dataclass(frozen=True)
class Grant:
    """One privilege on one table (on some columns only, where PostgreSQL allows it), and
    the public face's code that needs it."""

    privilege: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    columns: tuple[str, ...] = ()  # empty: the whole row
    why: str = ""


_TICKET = ("id", "reference", "codename_hash", "public_status", "kind", "opened_on")
_HEAD = ("id", "seq", "hash", "key_id", "signature")
_STEP = ("step", "language", "ticket_id", "chat_hash")
_CLAIM = ("attempts", "parts_sent", "next_attempt_at", "claimed_until")

# What the public face's code touches, and nothing else. Kept in step with
# tests/channels/test_db_roles.py, which runs the public flows as this role.
PUBLIC_GRANTS: tuple[Grant, ...] = (
    # channels.service.submit, intake.service.free_reference, find_ticket.
    Grant("INSERT", "tickets", _TICKET, "submit: a new ticket"),
    # Not `opened_on`: a ticket is read with its public columns only (models.public_ticket).
    Grant("SELECT", "tickets", PUBLIC_TICKET_COLUMNS, "free_reference, find_ticket"),
    Grant("INSERT", "submissions", why="submit, write_again: the sealed inbox"),
    # read_replies: sealed under the codename's key, which only the applicant holds.
    Grant("SELECT", "ticket_replies", why="read_replies"),
    # Integrations: the webhook checks signatures with the secret, the sender needs the
    # bot token. Both are sealed under the channel secret, which the public face holds (it
    # must open them to do its work), so a column grant would hide nothing.
    Grant("SELECT", "integrations", why="webhook and Telegram endpoints, outbox sender"),
    # Idempotency: the same delivery twice makes one request.
    Grant("INSERT", "channel_deliveries", why="webhook, Telegram: a delivery's key hash"),
    Grant("SELECT", "channel_deliveries", why="webhook, Telegram: was it delivered before"),
    Grant("UPDATE", "channel_deliveries", ("ticket_id", "answer"), "webhook: its request, answer"),
    Grant("DELETE", "channel_deliveries", why="hourly job: deliveries past their replay window"),
    # Bot conversations: one row per chat in progress, its step moves, it ends.
    Grant("SELECT", "bot_conversations", why="Telegram: the chat's step"),
    Grant("INSERT", "bot_conversations", why="Telegram: a chat begins"),
    Grant("UPDATE", "bot_conversations", _STEP, "a step done, a chat put aside"),
    Grant("DELETE", "bot_conversations", why="Telegram: a chat ends or starts over"),
    # Each answer is sealed to the intake key as it comes; the public face cannot open it.
    Grant("SELECT", "bot_fragments", why="Telegram: the answers so far, to submit them"),
    Grant("INSERT", "bot_fragments", why="Telegram: an answer, sealed"),
    Grant("DELETE", "bot_fragments", why="Telegram: the answers, once submitted"),
    # The outbox: answers enqueued, claimed, delivered (deleted) or retried.
    Grant("SELECT", "channel_outbox", why="sender: what is due"),
    Grant("INSERT", "channel_outbox", why="Telegram: an answer to send"),
    Grant("UPDATE", "channel_outbox", _CLAIM, "sender: claim, back off"),
    Grant("DELETE", "channel_outbox", why="sender: delivered"),
    # Rate-limit windows, by keyed hash of the client or integration: one upsert per hit.
    # Pruning ended windows is not the public face's work: no DELETE.
    Grant("SELECT", "channel_limits", why="rate limits"),
    Grant("INSERT", "channel_limits", why="rate limits: a new window"),
    Grant("UPDATE", "channel_limits", ("window_started_at", "count"), "rate limits: count"),
    Grant("DELETE", "channel_limits", why="hourly job: windows that have ended"),
    # Appending to the audit chain (audit.service.AuditLog.record): lock and read the head,
    # insert the entry, move the head. No SELECT on entries: appending needs none of them.
    Grant("SELECT", "audit_head", _HEAD, "record: the head, locked FOR UPDATE"),
    Grant("UPDATE", "audit_head", _HEAD[1:], "record: the head moves"),
    Grant("INSERT", "audit_head", _HEAD, "record: the first entry of an empty log"),
    Grant("INSERT", "audit_entries", why="record: the entry"),
)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def check_role_name(role: str) -> str:
    """A plain lower-case identifier, not a built-in role."""
    if not _ROLE_NAME.match(role) or role.startswith("pg_") or role in {"postgres", "public"}:
        raise ValueError("role: lower-case letters, digits and _, not postgres, public or pg_*")
    return role


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, 7677). Sent
    instead of the password, so the password never reaches the server's statement log."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def read_password(path: Path) -> str:
    """The password in a file (one line). Printable ASCII only: PostgreSQL prepares other
    characters (SASLprep) in ways this verifier would have to copy exactly."""
    try:
        password = path.read_text(encoding="ascii").strip("\r\n")
    except (OSError, UnicodeDecodeError):
        raise ValueError("password file: cannot be read as ASCII text") from None
    if len(password) < MIN_PASSWORD or not all(" " < c < "\x7f" for c in password):
        raise ValueError(
            f"password file: at least {MIN_PASSWORD} printable ASCII characters, no spaces"
        )
    return password


def _grant_sql(grant: Grant, role: str) -> str:
    columns = f" ({', '.join(grant.columns)})" if grant.columns else ""
    why = f"  -- {grant.why}" if grant.why else ""
    return f"GRANT {grant.privilege}{columns} ON TABLE {_ident(grant.table)} TO {role};{why}"


def role_sql(role: str, database: str, *, verifier: str | None = None) -> list[str]:
    """The statements that create the role or bring it back to exactly PUBLIC_GRANTS:
    whatever it held before (tables, columns, memberships) is taken back first."""
    check_role_name(role)
    quoted, name = _ident(role), _literal(role)
    password = f" PASSWORD {_literal(verifier)}" if verifier else ""
    # `name` is a checked identifier written as a quoted literal: nothing else is spliced in.
    statements = [
        "DO $$ BEGIN\n"
        f"  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {name}) THEN\n"
        f"    CREATE ROLE {quoted};\n"
        "  END IF;\n"
        "END $$;",
        f"ALTER ROLE {quoted} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS{password};",
        # Membership in another role would lend it that role's privileges through SET ROLE.
        "DO $$ DECLARE m record; BEGIN\n"  # noqa: S608 - a checked role name, quoted
        "  FOR m IN SELECT g.rolname FROM pg_catalog.pg_auth_members a\n"
        "    JOIN pg_catalog.pg_roles g ON g.oid = a.roleid\n"
        "    JOIN pg_catalog.pg_roles u ON u.oid = a.member\n"
        f"    WHERE u.rolname = {name} LOOP\n"
        f"    EXECUTE format('REVOKE %I FROM %I', m.rolname, {name});\n"
        "  END LOOP;\n"
        "END $$;",
        # Revoking a table's privileges revokes its column privileges too.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {quoted};",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM {quoted};",
        f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM {quoted};",
        f"GRANT CONNECT ON DATABASE {_ident(database)} TO {quoted};",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {quoted};",
    ]
    return statements + [_grant_sql(g, quoted) for g in PUBLIC_GRANTS]


def _script(statements: list[str], role: str, database: str, has_password: bool) -> str:
    head = [
        f"-- Safe Conduct: the public face's role {role} on database {database}.",
        "-- Run as the owner of the tables (after `safeconduct db upgrade`), e.g. with psql.",
    ]
    if not has_password:
        head.append(f"-- No password is set here: give one with \\password {role} in psql, or")
        head.append("-- run `safeconduct db roles --apply --password-file FILE`.")
    return "\n".join([*head, "BEGIN;", *statements, "COMMIT;", ""])


def _refuse_owner(conn: Connection, role: str) -> None:
    """Never turn the owner (or a superuser) into the public face's role."""
    row = conn.execute(
        text(
            "SELECT r.rolsuper OR r.rolname = current_user OR EXISTS ("
            " SELECT FROM pg_catalog.pg_tables t WHERE t.tableowner = r.rolname)"
            " FROM pg_catalog.pg_roles r WHERE r.rolname = :role"
        ),
        {"role": role},
    ).scalar()
    if row:
        raise fail(f"role {role} is a superuser, this connection's user, or owns tables")


def _apply(url: str, role: str, statements: list[str]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _refuse_owner(conn, role)
            # Straight to the driver without parameters: `%I` in the DO blocks is PL/pgSQL's
            # format(), not a placeholder.
            cursor = conn.connection.cursor()
            for statement in statements:
                cursor.execute(statement)
    except DBAPIError as exc:
        # The driver's message names a table or privilege, never a value (no parameters).
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "database error"
        raise fail(
            f"could not apply ({reason}); run it as the tables' owner after `db upgrade`"
        ) from None
    finally:
        engine.dispose()


def db_roles(
    db: DbOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Run the SQL, not print it.")] = False,
    role: Annotated[str, typer.Option(help="The public face's role.")] = DEFAULT_ROLE,
    password_file: Annotated[
        Path | None,
        typer.Option(help="A file holding the role's password (sent as a SCRAM verifier)."),
    ] = None,
) -> None:
    """Print (or with --apply run) the SQL that creates or updates the public face's
    PostgreSQL role: it may take submissions and append to the audit log, and cannot read
    persons, custodies, requests, sealed values, keys or accounts."""
    url = settings_for(db).db_url
    if is_sqlite(url):
        raise fail(
            "SQLite has no roles: the public face shares the file. Run on PostgreSQL to give "
            "the public face its own role."
        )
    try:
        check_role_name(role)
        verifier = scram_verifier(read_password(password_file)) if password_file else None
    except ValueError as exc:
        raise fail(str(exc)) from None
    database = make_url(url).database or ""
    statements = role_sql(role, database, verifier=verifier)
    if not apply:
        typer.echo(_script(statements, role, database, verifier is not None))
        return
    _apply(url, role, statements)
    console.print(
        f"role {role} is ready on {database}: give the public face "
        f"SAFECONDUCT_PUBLIC_DB_URL=postgresql://{role}:PASSWORD@HOST/{database}"
    )
