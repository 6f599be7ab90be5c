"""Pure rules of the audit chain: how entries are hashed and how a log is judged intact."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _text

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
class Anchor:
    """A signed checkpoint an auditor has verified: where the next verification may start."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of verifying a log: intact, or the first thing found wrong. `anchor` is
    the newest checkpoint found intact (None for a log too short to have one)."""

    ok: bool
    entries: int
    problem: str | None = None
    bad_seq: int | None = None
    anchor: Anchor | None = None


def entry_hash(fields: EntryFields) -> str:
    """Return the SHA-256 of an entry's canonical form."""
    return entry_hash_of(
        fields.seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.subject_type,
        fields.subject_id,
        fields.purpose,
        fields.prev_hash,
        fields.credential,
    )


def _maybe(value: str | None) -> str:
    return "null" if value is None else _text(value)


def entry_hash_of(
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | None,
    purpose: str | None,
    prev_hash: str,
    credential: str | None = None,
) -> str:
    """`entry_hash` from the fields as the store's columns give them (no object per entry:
    verification walks a million)."""
    # Byte for byte what json.dumps(parts, ensure_ascii=False, separators=(",", ":")) writes
    # (tests/audit/test_policy.py checks it), at a third of the cost: a million entries.
    canonical = (
        f"[{int(seq)},{_text(at)},{_text(actor)},{_text(action)},{_text(subject_type)},"
        f"{_maybe(subject_id)},{_maybe(purpose)},{_text(prev_hash)}"
        # The credential is appended only when present, so entries written before
        # credentials were kept hash as they always did.
        f"{'' if credential is None else ',' + _text(credential)}]"
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


# An entry as the store's columns give it: the EntryFields in order, then its stored hash.
EntryRow = tuple[int, str, str, str, str, "str | None", "str | None", str, "str | None", str]


def check_chain(
    entries: Iterable[EntryRow], keep: set[int], start: Anchor | None = None
) -> tuple[Verdict, dict[int, str], str]:
    """Walk entries in seq order, from the first or from the one after `start`; return a
    verdict, the hashes at `keep`, and the last hash."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    if start is not None:
        expected_prev, expected_seq = start.hash, start.seq + 1
    hashes: dict[int, str] = {}
    for row in entries:
        seq, prev_hash, stored_hash = row[0], row[7], row[9]
        if seq != expected_seq:
            problem = f"entry {expected_seq} is missing"
            return Verdict(False, expected_seq - 1, problem, expected_seq), hashes, expected_prev
        if prev_hash != expected_prev:
            problem = f"entry {seq} does not follow entry {seq - 1}"
            return Verdict(False, seq - 1, problem, seq), hashes, expected_prev
        if entry_hash_of(*row[:9]) != stored_hash:
            problem = f"entry {seq} was altered"
            return Verdict(False, seq - 1, problem, seq), hashes, expected_prev
        if seq in keep:
            hashes[seq] = stored_hash
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


def signed_checkpoints(checkpoints: Iterable[SignedMark], public: Ed25519PublicKey) -> list[bool]:
    """Whether each checkpoint is signed by the service key (the costly part: verification
    runs it beside the walk of the chain)."""
    return [_signed(m, checkpoint_message(m.seq, m.hash), public) for m in checkpoints]


def check_checkpoints(
    checkpoints: Sequence[SignedMark],
    hashes: dict[int, str],
    public: Ed25519PublicKey,
    signed: Sequence[bool] | None = None,
) -> str | None:
    """Return what is wrong with the first bad checkpoint, or None. `signed`: each one's
    signature checked already (signed_checkpoints)."""
    if signed is None:
        signed = signed_checkpoints(checkpoints, public)
    for mark, ok in zip(checkpoints, signed, strict=True):
        if not ok:
            return f"checkpoint at entry {mark.seq} is not signed by the service key"
        if mark.seq not in hashes:
            return f"checkpoint at entry {mark.seq} names an entry that is missing"
        if hashes[mark.seq] != mark.hash:
            return f"entry {mark.seq} differs from its signed checkpoint"
    return None
