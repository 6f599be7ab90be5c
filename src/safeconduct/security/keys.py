"""Key-encryption keys: a small provider interface so a KMS or Vault transit can plug in."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

KEY_BYTES = 32  # AES-256


class KeyProviderError(LookupError):
    """Raised when a key-encryption key is unknown or malformed (names the key, never its bytes)."""


@runtime_checkable
class KeyProvider(Protocol):
    """Where key-encryption keys (KEKs) live."""

    def current_id(self) -> str:
        """Return the id of the KEK that wraps new data keys."""

    def get(self, kek_id: str) -> bytes:
        """Return the KEK with this id, or raise KeyProviderError."""

    def ids(self) -> list[str]:
        """Return the ids of every KEK this provider can use."""


def new_key() -> bytes:
    """Return fresh random key material."""
    return secrets.token_bytes(KEY_BYTES)


def _decode_key(kek_id: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyProviderError(f"key-encryption key {kek_id!r} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyProviderError(f"key-encryption key {kek_id!r} must be {KEY_BYTES} bytes")
    return key


class _MappingProvider:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise KeyProviderError(f"current key-encryption key {current!r} is not present")
        self._keys = keys
        self._current = current

    def current_id(self) -> str:
        return self._current

    def get(self, kek_id: str) -> bytes:
        try:
            return self._keys[kek_id]
        except KeyError:
            raise KeyProviderError(f"unknown key-encryption key {kek_id!r}") from None

    def ids(self) -> list[str]:
        return list(self._keys)


class EnvKeyProvider(_MappingProvider):
    """KEKs from a string `id:base64,id:base64`; the first one is current."""

    def __init__(self, spec: str) -> None:
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kek_id, sep, encoded = item.partition(":")
            if not sep or not kek_id:
                raise KeyProviderError("SAFECONDUCT_KEKS must be a list of id:base64key")
            keys[kek_id] = _decode_key(kek_id, encoded)
        if not keys:
            raise KeyProviderError("SAFECONDUCT_KEKS holds no key")
        super().__init__(keys, next(iter(keys)))


class FileKeyProvider(_MappingProvider):
    """KEKs in a JSON file `{"current": id, "keys": {id: base64}}`, readable by the owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            keys = {k: _decode_key(k, v) for k, v in doc["keys"].items()}
            current = str(doc["current"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyProviderError(f"cannot read key file {path}: {type(exc).__name__}") from exc
        super().__init__(keys, current)

    @staticmethod
    def create(path: Path) -> FileKeyProvider:
        """Write a new key file with one fresh KEK."""
        _write_key_file(path, {"kek-1": new_key()}, "kek-1")
        return FileKeyProvider(path)

    def add_new_current(self) -> str:
        """Add a fresh KEK, make it current, and return its id."""
        kek_id = f"kek-{len(self._keys) + 1}"
        while kek_id in self._keys:
            kek_id = f"kek-{secrets.token_hex(4)}"
        self._keys[kek_id] = new_key()
        self._current = kek_id
        _write_key_file(self.path, self._keys, kek_id)
        return kek_id

    def retire(self, keep: set[str]) -> list[str]:
        """Forget every KEK not in `keep`; return the ids retired."""
        gone = [k for k in self._keys if k not in keep and k != self._current]
        for kek_id in gone:
            del self._keys[kek_id]
        _write_key_file(self.path, self._keys, self._current)
        return gone


def _write_key_file(path: Path, keys: dict[str, bytes], current: str) -> None:
    doc = {"current": current, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new key folder: owner only
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
