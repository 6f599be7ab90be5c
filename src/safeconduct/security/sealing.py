"""Sealed values: AES-256-GCM ciphertexts bound to their table, column and row.

A `Sealed` holds only ciphertext. It cannot be printed, serialised or compared
to plaintext; opening it is an explicit call through the keyring that needs a
stated purpose (see `security.service`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

ENVELOPE_VERSION = 2  # 2: padded plaintext; 1: unpadded (still opens)
_VERSIONS = frozenset({1, 2})
NONCE_BYTES = 12
_HEADER = 1 + 16 + NONCE_BYTES
# Ciphertext length is plain: padded to a multiple of this, a value's length tells little;
# fields whose length would tell something (the circumstances) pad to a fixed size.
PAD_BLOCK = 256
_PAD_MARK = b"\x80"


class SealError(Exception):
    """A sealed value could not be opened. The message never holds plaintext or key bytes."""


@dataclass(frozen=True, slots=True)
class FieldRef:
    """Where a sealed value lives: the associated data its ciphertext is bound to."""

    table: str
    column: str
    row_id: str

    def associated_data(self, data_key_id: uuid.UUID) -> bytes:
        parts = ("safeconduct/sealed/v1", self.table, self.column, self.row_id, str(data_key_id))
        return "\x1f".join(parts).encode("utf-8")


class Sealed:
    """An encrypted value. Shows its size, never its content."""

    __slots__ = ("_envelope",)

    def __init__(self, envelope: bytes) -> None:
        if len(envelope) <= _HEADER or envelope[0] not in _VERSIONS:
            raise SealError("not a sealed value envelope")
        self._envelope = bytes(envelope)

    @property
    def envelope(self) -> bytes:
        return self._envelope

    @property
    def data_key_id(self) -> uuid.UUID:
        return uuid.UUID(bytes=self._envelope[1:17])

    def __repr__(self) -> str:
        return f"<Sealed {len(self._envelope)} bytes>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and secrets.compare_digest(self._envelope, other._envelope)

    def __hash__(self) -> int:
        return hash(self._envelope)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a sealed value cannot be pickled")

    @classmethod
    def __get_pydantic_core_schema__(cls, *_args: Any) -> NoReturn:
        # Sealed values never enter an API schema or response: refuse at model definition.
        raise TypeError("a sealed value cannot be part of a pydantic model")


def pad(plaintext: bytes, size: int | None = None) -> bytes:
    """Pad to `size` bytes exactly, or to the next multiple of PAD_BLOCK (ISO/IEC 7816-4:
    a 0x80 byte, then zeros), so the ciphertext's length hides the value's."""
    target = size if size is not None else -(-(len(plaintext) + 1) // PAD_BLOCK) * PAD_BLOCK
    if len(plaintext) + 1 > target:
        raise SealError(f"value is longer than its sealed size of {target} bytes")
    return plaintext + _PAD_MARK + bytes(target - len(plaintext) - 1)


def unpad(padded: bytes) -> bytes:
    """Strip the padding `pad` added."""
    body = padded.rstrip(b"\x00")
    if not body.endswith(_PAD_MARK):
        raise SealError("sealed value has no valid padding")
    return body[:-1]


def seal_bytes(
    plaintext: bytes,
    *,
    data_key: bytes,
    data_key_id: uuid.UUID,
    field: FieldRef,
    size: int | None = None,
) -> Sealed:
    """Encrypt plaintext under a data key, bound to its field, padded (see `pad`)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(
        nonce, pad(plaintext, size), field.associated_data(data_key_id)
    )
    header = bytes([ENVELOPE_VERSION]) + data_key_id.bytes + nonce
    return Sealed(header + ciphertext)


def open_bytes(sealed: Sealed, *, data_key: bytes, field: FieldRef) -> bytes:
    """Decrypt a sealed value; fail if it was moved, altered or opened with the wrong key."""
    envelope = sealed.envelope
    nonce = envelope[17:_HEADER]
    try:
        plaintext = AESGCM(data_key).decrypt(
            nonce, envelope[_HEADER:], field.associated_data(sealed.data_key_id)
        )
        return unpad(plaintext) if envelope[0] == ENVELOPE_VERSION else plaintext
    except InvalidTag:
        raise SealError(
            f"sealed value in {field.table}.{field.column} does not open: "
            "moved, altered, or sealed under another key"
        ) from None


class SealedType(TypeDecorator[Sealed]):
    """Column type storing a `Sealed` envelope as bytes."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Sealed | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError("a sealed column takes only Sealed values")
        return value.envelope

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Sealed | None:
        return None if value is None else Sealed(value)
