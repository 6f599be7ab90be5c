"""The pure chain rules: any change to any entry, any gap, any reordering is caught."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.audit.policy import (
    GENESIS_HASH,
    EntryFields,
    EntryRow,
    SignedMark,
    check_chain,
    check_checkpoints,
    check_head,
    checkpoint_message,
    encode_signature,
    entry_hash,
    entry_hash_of,
    head_message,
)
from safeconduct.security.signing import key_id

KEY = Ed25519PrivateKey.generate()
words = st.text(max_size=20)  # any code point: quotes, controls, surrogates, emoji


def build_chain(rows: list[tuple[str, str, str | None]]) -> list[tuple[EntryFields, str]]:
    chain, prev = [], GENESIS_HASH
    for seq, (actor, subject, purpose) in enumerate(rows, start=1):
        fields = EntryFields(
            seq,
            f"2026-01-01T00:00:{seq:02d}.000000Z",
            actor,
            "person:create",
            "person",
            subject,
            purpose,
            prev,
        )
        prev = entry_hash(fields)
        chain.append((fields, prev))
    return chain


def _rows(chain: list[tuple[EntryFields, str]]) -> list[EntryRow]:
    """The chain as the store's columns give it to verification."""
    return [cast(EntryRow, (*dataclasses.astuple(fields), stored)) for fields, stored in chain]


_maybe = st.none() | words
_FIELDS = st.builds(EntryFields, st.integers(1, 10**9), words, words, words, words, _maybe,
                    _maybe, words, _maybe)  # fmt: skip


def _hash_as_first_written(fields: EntryFields) -> str:
    """The entry hash as the log has always written it (json.dumps): entries already in a
    store must keep verifying."""
    parts: list[object] = [fields.seq, fields.at, fields.actor, fields.action,
                           fields.subject_type, fields.subject_id, fields.purpose,
                           fields.prev_hash]  # fmt: skip
    if fields.credential is not None:
        parts.append(fields.credential)
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@given(fields=_FIELDS)
def test_the_hash_is_the_one_always_written(fields: EntryFields) -> None:
    assert entry_hash_of(*dataclasses.astuple(fields)) == _hash_as_first_written(fields)
    assert entry_hash(fields) == _hash_as_first_written(fields)


rows_strategy = st.lists(st.tuples(words, words, st.none() | words), min_size=2, max_size=30)


@given(rows=rows_strategy)
def test_an_untouched_chain_is_intact(rows: list[tuple[str, str, str | None]]) -> None:
    verdict, _, last = check_chain(_rows(build_chain(rows)), set())
    assert verdict.ok
    assert verdict.entries == len(rows)
    assert last == build_chain(rows)[-1][1]


@given(rows=rows_strategy, data=st.data())
def test_any_edited_field_is_caught_at_its_entry(
    rows: list[tuple[str, str, str | None]], data: st.DataObject
) -> None:
    chain = build_chain(rows)
    index = data.draw(st.integers(0, len(chain) - 1))
    name = data.draw(
        st.sampled_from(["at", "actor", "action", "subject_type", "subject_id", "purpose"])
    )
    fields, stored = chain[index]
    changed = dataclasses.replace(fields, **{name: str(getattr(fields, name)) + "x"})
    chain[index] = (changed, stored)
    verdict, _, _ = check_chain(_rows(chain), set())
    assert not verdict.ok
    assert verdict.bad_seq == index + 1


@given(rows=rows_strategy, data=st.data())
def test_a_removed_or_swapped_entry_is_caught(
    rows: list[tuple[str, str, str | None]], data: st.DataObject
) -> None:
    chain = build_chain(rows)
    i = data.draw(st.integers(0, len(chain) - 2))
    if data.draw(st.booleans()):
        del chain[i]
    else:
        chain[i], chain[i + 1] = chain[i + 1], chain[i]
    verdict, _, _ = check_chain(_rows(chain), set())
    assert not verdict.ok
    assert verdict.bad_seq == i + 1


def _mark(seq: int, h: str, message: bytes) -> SignedMark:
    return SignedMark(seq, h, key_id(KEY.public_key()), encode_signature(KEY.sign(message)))


def test_a_truncated_tail_is_caught_by_the_signed_head() -> None:
    chain = build_chain([("a", "b", None)] * 6)
    head = _mark(6, chain[-1][1], head_message(6, chain[-1][1]))
    assert check_head(6, chain[-1][1], head, KEY.public_key()) is None
    problem = check_head(4, chain[3][1], head, KEY.public_key())
    assert problem == "entries 5 to 6 were removed"


def test_a_head_signed_by_another_key_is_refused() -> None:
    chain = build_chain([("a", "b", None)] * 3)
    other = Ed25519PrivateKey.generate()
    forged = SignedMark(
        3,
        chain[-1][1],
        key_id(KEY.public_key()),
        encode_signature(other.sign(head_message(3, chain[-1][1]))),
    )
    assert check_head(3, chain[-1][1], forged, KEY.public_key()) is not None
    assert check_head(3, chain[-1][1], None, KEY.public_key()) is not None


def test_checkpoints_must_match_the_chain() -> None:
    chain = build_chain([("a", "b", None)] * 4)
    hashes = {2: chain[1][1]}
    good = _mark(2, chain[1][1], checkpoint_message(2, chain[1][1]))
    assert check_checkpoints([good], hashes, KEY.public_key()) is None
    wrong = _mark(2, chain[2][1], checkpoint_message(2, chain[2][1]))
    assert check_checkpoints([wrong], hashes, KEY.public_key()) == (
        "entry 2 differs from its signed checkpoint"
    )
    beyond = _mark(9, chain[1][1], checkpoint_message(9, chain[1][1]))
    assert "missing" in str(check_checkpoints([beyond], hashes, KEY.public_key()))
