"""Pure rules of the audit chain: how entries are hashed and how a log is judged intact."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from safeconduct.security.signing import key_id, verify_signature

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What an entry's hash covers: all of it."""

    seq: int
    at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str | None
    purpose: str | None
    prev_hash: str
    credential: str | None = None


@dataclass(frozen=True, slots=True)
class SignedMark:
    """A signed (count, hash) pair: the head or a checkpoint."""

    seq: int
    hash: str
    key_id: str | None
    signature: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of verifying a log: intact, or the first thing found wrong."""

    ok: bool
    entries: int
    problem: str | None = None
    bad_seq: int | None = None


def entry_hash(fields: EntryFields) -> str:
    """Return the SHA-256 of an entry's canonical form."""
    parts: list[object] = [
        fields.seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.subject_type,
        fields.subject_id,
        fields.purpose,
        fields.prev_hash,
    ]
    if fields.credential is not None:
        # Appended only when present, so entries written before credentials were kept
        # hash as they always did.
        parts.append(fields.credential)
    canonical = json.dumps(
        parts,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def head_message(seq: int, head_hash: str) -> bytes:
    return f"safeconduct/audit/head/v1\x1f{seq}\x1f{head_hash}".encode()


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"safeconduct/audit/checkpoint/v1\x1f{seq}\x1f{head_hash}".encode()


def encode_signature(signature: bytes) -> str:
    return base64.b64encode(signature).decode()


def _signed(mark: SignedMark, message: bytes, public: Ed25519PublicKey) -> bool:
    if mark.signature is None or mark.key_id != key_id(public):
        return False
    try:
        signature = base64.b64decode(mark.signature, validate=True)
    except ValueError:
        return False
    return verify_signature(public, signature, message)


def check_chain(
    entries: Iterable[tuple[EntryFields, str]], keep: set[int]
) -> tuple[Verdict, dict[int, str], str]:
    """Walk entries in seq order; return a verdict, the hashes at `keep`, and the last hash."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    hashes: dict[int, str] = {}
    for fields, stored_hash in entries:
        if fields.seq != expected_seq:
            problem = f"entry {expected_seq} is missing"
            return Verdict(False, expected_seq - 1, problem, expected_seq), hashes, expected_prev
        if fields.prev_hash != expected_prev:
            problem = f"entry {fields.seq} does not follow entry {fields.seq - 1}"
            return Verdict(False, fields.seq - 1, problem, fields.seq), hashes, expected_prev
        if entry_hash(fields) != stored_hash:
            problem = f"entry {fields.seq} was altered"
            return Verdict(False, fields.seq - 1, problem, fields.seq), hashes, expected_prev
        if fields.seq in keep:
            hashes[fields.seq] = stored_hash
        expected_prev, expected_seq = stored_hash, expected_seq + 1
    return Verdict(True, expected_seq - 1), hashes, expected_prev


def check_head(
    count: int,
    last_hash: str,
    head: SignedMark | None,
    public: Ed25519PublicKey,
    also: Sequence[Ed25519PublicKey] = (),
) -> str | None:
    """Return what is wrong with the signed head, or None. The head is signed by whoever
    appended last: the service key, or one of `also` (the public face's channel keys)."""
    if head is None:
        return "the signed head of the log is missing"
    if head.seq == 0 and count == 0 and head.signature is None:
        return None
    message = head_message(head.seq, head.hash)
    if not any(_signed(head, message, key) for key in (public, *also)):
        return "the head of the log is not signed by the service key or a channel key"
    if head.seq > count:
        return f"entries {count + 1} to {head.seq} were removed"
    if head.seq < count or head.hash != last_hash:
        return f"entries after {head.seq} were not appended through the log"
    return None


def check_checkpoints(
    checkpoints: Iterable[SignedMark], hashes: dict[int, str], public: Ed25519PublicKey
) -> str | None:
    """Return what is wrong with the first bad checkpoint, or None."""
    for mark in checkpoints:
        if not _signed(mark, checkpoint_message(mark.seq, mark.hash), public):
            return f"checkpoint at entry {mark.seq} is not signed by the service key"
        if mark.seq not in hashes:
            return f"checkpoint at entry {mark.seq} names an entry that is missing"
        if hashes[mark.seq] != mark.hash:
            return f"entry {mark.seq} differs from its signed checkpoint"
    return None
