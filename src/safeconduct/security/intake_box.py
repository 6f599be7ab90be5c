"""Sealing to the bureau's public intake key: HPKE (RFC 9180) through `cryptography`.

The public face holds only the public half. What it seals there, only the operator face,
holding the private half, can open; a compromised public face opens nothing it took in.
Every box is padded to one of a few fixed sizes, so its length tells little.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from safeconduct.security.sealing import SealError, pad, unpad

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_INFO = b"safeconduct/intake/v1\x1f"
# The sizes a box's plaintext is padded to: a short bot answer and a long message look
# alike within each size.
SIZES = (4096, 16384, 65536)


class IntakeKeyError(Exception):
    """The intake key is missing or unreadable (names the file, never its bytes)."""


def _size_for(length: int) -> int:
    for size in SIZES:
        if length + 1 <= size:
            return size
    raise SealError(f"a submission may hold at most {SIZES[-1] - 1} bytes")


def seal_to(public: X25519PublicKey, plaintext: bytes, *, context: str) -> bytes:
    """Seal plaintext to the intake key, bound to its context (what and which row it is)."""
    padded = pad(plaintext, _size_for(len(plaintext)))
    return SUITE.encrypt(padded, public, info=_INFO + context.encode("utf-8"))


def open_box(private: X25519PrivateKey, box: bytes, *, context: str) -> bytes:
    """Open a box sealed to the intake key for this context; fail if moved or altered."""
    try:
        padded = SUITE.decrypt(box, private, info=_INFO + context.encode("utf-8"))
    except (InvalidTag, ValueError):  # never the bytes in the message
        raise SealError(f"a box for {context.split(':')[0]} does not open") from None
    return unpad(padded)


@dataclass(frozen=True)
class IntakeKey:
    """The private intake key (operator face)."""

    private: X25519PrivateKey

    @property
    def public(self) -> X25519PublicKey:
        return self.private.public_key()


def public_pem(public: X25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new key folder: owner only
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def create_intake_key(private_path: Path, public_path: Path) -> IntakeKey:
    """Create a new intake key pair: the private half for the operator face, the public
    half for the public face (it may be copied there freely)."""
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_new(private_path, pem)
    if not public_path.exists():
        _write_new(public_path, public_pem(key.public_key()))
    return IntakeKey(key)


def load_intake_key(path: Path) -> IntakeKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise IntakeKeyError(f"cannot read intake key {path}: {type(exc).__name__}") from exc
    if not isinstance(key, X25519PrivateKey):
        raise IntakeKeyError(f"intake key {path} is not an X25519 key")
    return IntakeKey(key)


def load_intake_public(path: Path) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise IntakeKeyError(f"cannot read intake public key {path}: {type(exc).__name__}") from exc
    if not isinstance(key, X25519PublicKey):
        raise IntakeKeyError(f"intake public key {path} is not an X25519 key")
    return key
