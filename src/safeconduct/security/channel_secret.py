"""The channel secret: 32 random bytes both faces hold, from which keyed hashes and the
key that seals integration secrets are derived. It opens no submission and no record.

- codename hashes: a codename is stored only as HMAC-SHA256 under a key derived from it;
  with at least 77 bits of entropy a slow hash adds nothing and would cap intake;
- reply keys: an officer's reply is sealed under a key derived from the applicant's
  codename, so only the codename's holder (and the operator face) can read it;
- integration secrets (webhook HMAC secrets, bot tokens), sealed at rest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safeconduct.security.sealing import SealError, pad, unpad

SECRET_BYTES = 32
_NONCE = 12


class ChannelSecretError(Exception):
    """The channel secret is missing or malformed (names the file, never its bytes)."""


def derive(key: bytes, label: str, salt: bytes = b"") -> bytes:
    """A 32-byte key for one purpose (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt or None, info=label.encode()
    ).derive(key)


def aead_seal(key: bytes, plaintext: bytes, *, aad: str, size: int | None = None) -> bytes:
    """AES-256-GCM with a random nonce, padded (see `sealing.pad`)."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, pad(plaintext, size), aad.encode("utf-8"))


def aead_open(key: bytes, box: bytes, *, aad: str) -> bytes:
    try:
        padded = AESGCM(key).decrypt(box[:_NONCE], box[_NONCE:], aad.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise SealError("a channel value does not open with this key") from None
    return unpad(padded)


@dataclass(frozen=True)
class ChannelSecret:
    key: bytes

    def keyed_hash(self, label: str, value: str) -> str:
        """HMAC-SHA256 of a value under a key for one purpose, as hex."""
        mac = hmac.new(derive(self.key, f"safeconduct/hash/{label}"), value.encode(), "sha256")
        return mac.hexdigest()

    def codename_hash(self, codename: str) -> str:
        return self.keyed_hash("codename", codename)

    def seal_secret(self, name: str, plaintext: bytes) -> bytes:
        """Seal an integration secret at rest, bound to its name (`integration:<id>:<what>`)."""
        return aead_seal(derive(self.key, "safeconduct/integration-secrets"), plaintext, aad=name)

    def open_secret(self, name: str, box: bytes) -> bytes:
        return aead_open(derive(self.key, "safeconduct/integration-secrets"), box, aad=name)


def reply_key(codename: str, ticket_id: str) -> bytes:
    """The key an officer's replies to one applicant are sealed under: derived from the
    codename, which only the applicant holds; the operator face keeps it sealed."""
    material = hashlib.sha256(codename.encode("utf-8")).digest()
    return derive(material, "safeconduct/reply", salt=ticket_id.encode())


def create_channel_secret(path: Path) -> ChannelSecret:
    key = secrets.token_bytes(SECRET_BYTES)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new key folder: owner only
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
    return ChannelSecret(key)


def load_channel_secret(path: Path) -> ChannelSecret:
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, binascii.Error, ValueError) as exc:
        raise ChannelSecretError(
            f"cannot read channel secret {path}: {type(exc).__name__}"
        ) from exc
    if len(key) != SECRET_BYTES:
        raise ChannelSecretError(f"channel secret {path} must be {SECRET_BYTES} bytes")
    return ChannelSecret(key)
