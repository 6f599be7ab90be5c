"""Append to the audit log in the caller's transaction, checkpoint it, and verify it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.audit.policy import (
    GENESIS_HASH,
    EntryFields,
    SignedMark,
    Verdict,
    check_chain,
    check_checkpoints,
    check_head,
    checkpoint_message,
    encode_signature,
    entry_hash,
    head_message,
)
from safeconduct.audit.tags import AuditAction
from safeconduct.db import today
from safeconduct.security.signing import Signer

HEAD_ID = 1


def _day_text() -> str:
    # The day only: see AuditEntry.at.
    return today().isoformat()


class AuditLog:
    """The audit log of one store, signing with the service key."""

    def __init__(self, signer: Signer, checkpoint_every: int = 100) -> None:
        self.signer = signer
        self.checkpoint_every = checkpoint_every

    def _locked_head(self, session: Session) -> AuditHead:
        # FOR UPDATE serialises appenders on PostgreSQL; SQLite writers are already
        # serialised by BEGIN IMMEDIATE (see db.py).
        head = session.scalars(
            select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
        ).one_or_none()
        if head is None:
            head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
            session.add(head)
        return head

    def record(
        self,
        session: Session,
        *,
        actor: Actor,
        tag: AuditAction,
        subject_id: str | None = None,
        purpose: str | None = None,
    ) -> AuditEntry:
        """Append an entry in the caller's transaction: it lands with the change or not at all.

        The kind of record comes from the tag; the actor brings the credential it used.
        """
        head = self._locked_head(session)
        fields = EntryFields(
            seq=head.seq + 1,
            at=_day_text(),
            actor=actor.name,
            action=tag.value,
            subject_type=tag.subject_type,
            subject_id=subject_id,
            purpose=purpose,
            prev_hash=head.hash,
            credential=actor.credential,
        )
        entry = AuditEntry(
            seq=fields.seq,
            at=fields.at,
            actor=fields.actor,
            credential=fields.credential,
            action=fields.action,
            subject_type=fields.subject_type,
            subject_id=subject_id,
            purpose=purpose,
            prev_hash=fields.prev_hash,
            hash=entry_hash(fields),
        )
        session.add(entry)
        self._sign_head(head, entry.seq, entry.hash)
        if entry.seq % self.checkpoint_every == 0:
            self._add_checkpoint(session, entry.seq, entry.hash)
        session.flush()
        return entry

    def _sign_head(self, head: AuditHead, seq: int, entry_hash_: str) -> None:
        head.seq, head.hash = seq, entry_hash_
        head.key_id = self.signer.key_id
        head.signature = encode_signature(self.signer.sign(head_message(seq, entry_hash_)))

    def _add_checkpoint(self, session: Session, seq: int, head_hash: str) -> AuditCheckpoint:
        signature = encode_signature(self.signer.sign(checkpoint_message(seq, head_hash)))
        checkpoint = AuditCheckpoint(
            seq=seq,
            head_hash=head_hash,
            signed_at=_day_text(),
            key_id=self.signer.key_id,
            signature=signature,
        )
        session.add(checkpoint)
        return checkpoint

    def checkpoint(self, session: Session) -> AuditCheckpoint | None:
        """Sign a checkpoint at the current head now; None for an empty log."""
        head = self._locked_head(session)
        if head.seq == 0:
            return None
        existing = session.get(AuditCheckpoint, head.seq)
        if existing is not None:
            return existing
        checkpoint = self._add_checkpoint(session, head.seq, head.hash)
        session.flush()
        return checkpoint


def _entries(session: Session) -> Iterator[tuple[EntryFields, str]]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    for e in session.scalars(stmt):
        yield (
            EntryFields(
                e.seq,
                e.at,
                e.actor,
                e.action,
                e.subject_type,
                e.subject_id,
                e.purpose,
                e.prev_hash,
                e.credential,
            ),
            e.hash,
        )


def verify(
    session: Session, public: Ed25519PublicKey, also: Sequence[Ed25519PublicKey] = ()
) -> Verdict:
    """Check every entry, the signed head and every checkpoint; name the first bad entry.
    Checkpoints are the service key's; the head may also be signed by a key in `also`."""
    marks = [
        SignedMark(c.seq, c.head_hash, c.key_id, c.signature)
        for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    ]
    verdict, hashes, last_hash = check_chain(_entries(session), {m.seq for m in marks})
    if not verdict.ok:
        return verdict
    head_row = session.get(AuditHead, HEAD_ID)
    head = (
        None
        if head_row is None
        else SignedMark(head_row.seq, head_row.hash, head_row.key_id, head_row.signature)
    )
    problem = check_head(verdict.entries, last_hash, head, public, also)
    if problem is None:
        problem = check_checkpoints(marks, hashes, public)
    if problem is not None:
        return Verdict(False, verdict.entries, problem, verdict.entries + 1)
    return verdict


_TAGS = frozenset(t.value for t in AuditAction)


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which entries to list: each criterion given must hold; none given, every entry.

    `actors`: the entry's actor is one of these names (`account:<id>`, `cli`...);
    `action`: its tag's value; `record`: its subject id; `since`/`until`: first and last
    day, both included."""

    actors: frozenset[str] = frozenset()
    action: str | None = None
    record: str | None = None
    since: date | None = None
    until: date | None = None

    def summary(self, *, logged: Collection[str]) -> str:
        """The criteria as an export's audit entry keeps them: tags, days, and the actors
        and record ids among `logged` (values the log itself holds). Text typed into a
        filter may be anything, a name even: it is never kept."""
        parts = []
        if self.actors:
            shown = sorted(a for a in self.actors if a in logged)
            parts.append("actor=" + ("|".join(shown) if shown else "other"))
        if self.action:
            parts.append("action=" + (self.action if self.action in _TAGS else "other"))
        if self.record:
            parts.append("record=" + (self.record if self.record in logged else "other"))
        if self.since:
            parts.append(f"from={self.since.isoformat()}")
        if self.until:
            parts.append(f"to={self.until.isoformat()}")
        return ",".join(parts) or "all"


def _conditions(criteria: EntryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if criteria.actors:
        conditions.append(AuditEntry.actor.in_(sorted(criteria.actors)))
    if criteria.action:
        conditions.append(AuditEntry.action == criteria.action)
    if criteria.record:
        conditions.append(AuditEntry.subject_id == criteria.record)
    # `at` is a day, or on older entries a full timestamp that begins with its day: as text,
    # both sort by their day first, so day bounds compared as text hold for either kind.
    if criteria.since:
        conditions.append(AuditEntry.at >= criteria.since.isoformat())
    if criteria.until and criteria.until < date.max:
        conditions.append(AuditEntry.at < (criteria.until + timedelta(days=1)).isoformat())
    return conditions


def list_entries(
    session: Session,
    *,
    criteria: EntryFilter | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[AuditEntry]:
    """Return the entries that meet the criteria, newest first; `limit` None: all of them."""
    stmt = (
        select(AuditEntry)
        .where(*_conditions(criteria or EntryFilter()))
        .order_by(AuditEntry.seq.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def entries_about(
    session: Session, *, tags: Iterable[AuditAction], subject_ids: list[str]
) -> list[AuditEntry]:
    """Return the entries with these tags about these records, newest first."""
    if not subject_ids:
        return []
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.action.in_([t.value for t in tags]),
            AuditEntry.subject_id.in_(subject_ids),
        )
        .order_by(AuditEntry.seq.desc())
    )
    return list(session.scalars(stmt))


def count_entries(session: Session, *, criteria: EntryFilter | None = None) -> int:
    """Count the entries that meet the criteria (all of them without)."""
    stmt = (
        select(func.count()).select_from(AuditEntry).where(*_conditions(criteria or EntryFilter()))
    )
    return session.scalar(stmt) or 0


def purpose_code(purpose: str | None, codes: Collection[str]) -> str:
    """Return the code a purpose starts with (`code: reason`, or the code alone) when it is
    one of `codes`, else "": what follows a code may be a reason someone typed, and what
    else a purpose holds is not known to be a code."""
    code = (purpose or "").partition(":")[0].strip()
    return code if code in codes else ""


def _logged(session: Session, criteria: EntryFilter) -> set[str]:
    """The filter's actors and record that some entry of the log names."""
    found: set[str] = set()
    if criteria.actors:
        stmt = select(AuditEntry.actor).where(AuditEntry.actor.in_(sorted(criteria.actors)))
        found.update(session.scalars(stmt.distinct()))
    if criteria.record:
        about = select(AuditEntry.subject_id).where(AuditEntry.subject_id == criteria.record)
        found.update(s for s in session.scalars(about.limit(1)) if s)
    return found


def export(
    session: Session, *, audit: AuditLog, actor: Actor, criteria: EntryFilter
) -> list[AuditEntry]:
    """Return every entry that meets the criteria, newest first, and log the export itself
    with the criteria summarised (never text typed into a filter)."""
    rows = list_entries(session, criteria=criteria, limit=None)
    summary = criteria.summary(logged=_logged(session, criteria))
    audit.record(
        session, actor=actor, tag=AuditAction.AUDIT_EXPORT, purpose=f"{summary},entries={len(rows)}"
    )
    return rows
