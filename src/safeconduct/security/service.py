"""The keyring: create, wrap, unwrap, rotate and destroy data keys; seal and open values."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.db import in_chunks, today
from safeconduct.security.keys import KeyProvider, KeyProviderError, new_key
from safeconduct.security.models import DataKey
from safeconduct.security.sealing import FieldRef, Sealed, SealError, open_bytes, seal_bytes

_WRAP_NONCE = 12


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Whose data key seals a value: a person, or a request before its person exists."""

    kind: str
    id: str


class ErasedError(SealError):
    """The owner's data key was destroyed: the value is gone for good."""


@dataclass(frozen=True, slots=True)
class OwnerSeal:
    """One owner's data key, found or made once, for sealing several values in a row."""

    key_id: uuid.UUID
    material: bytes = field(repr=False)

    def seal(self, *, field: FieldRef, plaintext: bytes, size: int | None = None) -> Sealed:
        """Seal plaintext; pad it to `size` bytes when given (see `sealing.pad`)."""
        return seal_bytes(
            plaintext, data_key=self.material, data_key_id=self.key_id, field=field, size=size
        )

    def seal_json(self, *, field: FieldRef, value: Any, size: int | None = None) -> Sealed:
        """Seal a JSON-serialisable value."""
        data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return self.seal(field=field, plaintext=data, size=size)


def _wrap_aad(key: DataKey) -> bytes:
    return f"safeconduct/datakey/v1\x1f{key.id}\x1f{key.owner_type}\x1f{key.owner_id}".encode()


class Keyring:
    """Seal and open values with per-owner data keys wrapped by the provider's KEKs."""

    def __init__(self, provider: KeyProvider) -> None:
        self.provider = provider

    def _wrap(self, key: DataKey, material: bytes) -> None:
        kek_id = self.provider.current_id()
        nonce = secrets.token_bytes(_WRAP_NONCE)
        wrapped = AESGCM(self.provider.get(kek_id)).encrypt(nonce, material, _wrap_aad(key))
        key.kek_id, key.wrapped = kek_id, nonce + wrapped

    def _unwrap(self, key: DataKey) -> bytes:
        if key.wrapped is None or key.kek_id is None:
            raise ErasedError(
                "the data key of this record was destroyed; its sealed values are erased"
            )
        try:
            kek = self.provider.get(key.kek_id)
        except KeyProviderError:
            # A retired KEK: what it wrapped (an old backup, say) is gone for good.
            raise SealError(f"key-encryption key {key.kek_id!r} is retired") from None
        try:
            return AESGCM(kek).decrypt(
                key.wrapped[:_WRAP_NONCE], key.wrapped[_WRAP_NONCE:], _wrap_aad(key)
            )
        except InvalidTag:
            raise SealError(
                f"data key does not unwrap with key-encryption key {key.kek_id!r}"
            ) from None

    def _find(self, session: Session, owner: KeyOwner) -> DataKey | None:
        stmt = select(DataKey).where(DataKey.owner_type == owner.kind, DataKey.owner_id == owner.id)
        return session.scalars(stmt).one_or_none()

    def _material_for(self, session: Session, owner: KeyOwner) -> tuple[uuid.UUID, bytes]:
        seal = self.sealers(session, [owner])[owner]
        return seal.key_id, seal.material

    def sealers(self, session: Session, owners: Sequence[KeyOwner]) -> dict[KeyOwner, OwnerSeal]:
        """Each owner's data key, created on first use: one lookup for a batch of owners."""
        found: dict[KeyOwner, OwnerSeal] = {}
        for kind in sorted({o.kind for o in owners}):
            ids = sorted({o.id for o in owners if o.kind == kind})
            for part in in_chunks(ids):
                stmt = select(DataKey).where(DataKey.owner_type == kind, DataKey.owner_id.in_(part))
                for key in session.scalars(stmt):
                    found[KeyOwner(kind, key.owner_id)] = OwnerSeal(
                        uuid.UUID(key.id), self._unwrap(key)
                    )
        new = [o for o in dict.fromkeys(owners) if o not in found]
        for owner in new:
            key = DataKey(id=str(uuid.uuid4()), owner_type=owner.kind, owner_id=owner.id)
            material = new_key()
            self._wrap(key, material)
            session.add(key)
            found[owner] = OwnerSeal(uuid.UUID(key.id), material)
        if new:
            session.flush()
        return found

    def seal(
        self,
        session: Session,
        *,
        owner: KeyOwner,
        field: FieldRef,
        plaintext: bytes,
        size: int | None = None,
    ) -> Sealed:
        """Seal plaintext under the owner's data key, creating the key on first use; pad it
        to `size` bytes when given (see `sealing.pad`)."""
        return self.sealer(session, owner).seal(field=field, plaintext=plaintext, size=size)

    def seal_json(
        self,
        session: Session,
        *,
        owner: KeyOwner,
        field: FieldRef,
        value: Any,
        size: int | None = None,
    ) -> Sealed:
        """Seal a JSON-serialisable value."""
        return self.sealer(session, owner).seal_json(field=field, value=value, size=size)

    def sealer(self, session: Session, owner: KeyOwner) -> OwnerSeal:
        """The owner's data key (created on first use), to seal several values with one
        lookup."""
        return self.sealers(session, [owner])[owner]

    def service_secret(self, session: Session, name: str) -> bytes:
        """A random secret of this deployment, kept as a data key (wrapped, re-wrapped on
        rotation, never on the public face): for keyed hashes only the operator face may
        make, such as the tracing index's."""
        return self._material_for(session, KeyOwner("service", name))[1]

    def open(self, session: Session, *, sealed: Sealed, field: FieldRef) -> bytes:
        """Open a sealed value. Internal: callers outside this package use `reveal`."""
        key = session.get(DataKey, str(sealed.data_key_id))
        if key is None:
            raise SealError(f"sealed value in {field.table}.{field.column} has no data key")
        return open_bytes(sealed, data_key=self._unwrap(key), field=field)

    def rotate(self, session: Session) -> int:
        """Re-wrap every live data key under the current KEK; ciphertexts stay as they are."""
        current = self.provider.current_id()
        stmt = select(DataKey).where(DataKey.wrapped.is_not(None), DataKey.kek_id != current)
        count = 0
        for key in session.scalars(stmt):
            self._wrap(key, self._unwrap(key))
            count += 1
        session.flush()
        return count

    def kek_ids_in_use(self, session: Session) -> set[str]:
        """Return the KEK ids still wrapping a live data key."""
        stmt = select(DataKey.kek_id).where(DataKey.wrapped.is_not(None)).distinct()
        return {k for k in session.scalars(stmt) if k is not None}

    def destroy(self, session: Session, owner: KeyOwner) -> bool:
        """Destroy the owner's data key; return whether there was one to destroy."""
        key = self._find(session, owner)
        if key is None or key.wrapped is None:
            return False
        key.wrapped, key.kek_id, key.destroyed_on = None, None, today()
        session.flush()
        return True
