"""Signed statements: a receipt, a bot answer, the list of official channels.

A statement is plain text a person can read, copy and paste, followed by a signature
block. The signature is Ed25519 over the body's UTF-8 bytes after line endings become
`\\n` and trailing spaces are dropped, so a copy through a chat window or an email still
verifies, and anyone can check it with the published key and any Ed25519 library.

    <body lines>
    --
    key: <key id>
    signature: <base64>
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from safeconduct.security.signing import Signer, key_id, verify_signature

SEPARATOR = "--"


class KeySetError(Exception):
    """The published key list is missing or malformed (names the file, never a key)."""


def canonical_body(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def sign_statement(signer: Signer, body: str) -> str:
    """Return the body with its signature block."""
    kept = canonical_body(body)
    signature = base64.b64encode(signer.sign(kept.encode("utf-8"))).decode()
    return f"{kept}\n{SEPARATOR}\nkey: {signer.key_id}\nsignature: {signature}"


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """A public key as published: what it signs and when it was (or is) in use."""

    key_id: str
    public: Ed25519PublicKey
    use: str  # "channel" (receipts, answers, the official list) or "service" (audit, lists)
    valid_from: date
    valid_until: date | None = None

    def as_json(self) -> dict[str, str | None]:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {
            "key_id": self.key_id,
            "algorithm": "Ed25519",
            "use": self.use,
            "public_key": base64.b64encode(raw).decode(),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class StatementCheck:
    """The outcome of checking a statement: the body and the key when it verifies."""

    ok: bool
    problem: str | None = None
    body: str | None = None
    key: PublishedKey | None = None


def _split(text: str) -> tuple[str, str, str] | None:
    lines = canonical_body(text).split("\n")
    if len(lines) < 4 or lines[-3] != SEPARATOR:
        return None
    key_line, sig_line = lines[-2], lines[-1]
    if not key_line.startswith("key: ") or not sig_line.startswith("signature: "):
        return None
    return "\n".join(lines[:-3]), key_line[5:].strip(), sig_line[11:].strip()


def check_statement(text: str, keys: Iterable[PublishedKey]) -> StatementCheck:
    """Verify a pasted statement against the published keys (current and retired)."""
    parts = _split(text)
    if parts is None:
        return StatementCheck(False, "not a signed statement: the signature block is missing")
    body, kid, encoded = parts
    key = next((k for k in keys if k.key_id == kid), None)
    if key is None:
        return StatementCheck(False, "signed with a key Safe Conduct never published")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return StatementCheck(False, "the signature is not valid base64")
    if not verify_signature(key.public, signature, body.encode("utf-8")):
        return StatementCheck(False, "the signature does not match the text: it was altered")
    return StatementCheck(True, None, body, key)


def published(signer: Signer, use: str, valid_from: date) -> PublishedKey:
    return PublishedKey(signer.key_id, signer.public, use, valid_from)


def write_key_set(path: Path, keys: Iterable[PublishedKey]) -> None:
    doc = {"keys": [k.as_json() for k in keys]}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=2)
    os.replace(tmp, path)


def _parse_key(item: dict[str, str | None]) -> PublishedKey:
    raw = base64.b64decode(str(item["public_key"]), validate=True)
    public = Ed25519PublicKey.from_public_bytes(raw)
    if item["key_id"] != key_id(public):
        raise ValueError("key id does not match the key")
    until = item.get("valid_until")
    return PublishedKey(
        key_id(public),
        public,
        str(item["use"]),
        date.fromisoformat(str(item["valid_from"])),
        None if until is None else date.fromisoformat(until),
    )


def read_key_set(path: Path) -> list[PublishedKey]:
    """Read a published key list (the file `/.well-known/safeconduct-keys.json` serves)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [_parse_key(item) for item in doc["keys"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeySetError(f"cannot read published keys {path}: {type(exc).__name__}") from exc
