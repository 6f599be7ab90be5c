"""Append to the audit log in the caller's transaction, checkpoint it, and verify it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.audit.policy import (
    GENESIS_HASH,
    Anchor,
    EntryFields,
    EntryRow,
    SignedMark,
    Verdict,
    check_chain,
    check_checkpoints,
    check_head,
    checkpoint_message,
    encode_signature,
    entry_hash,
    head_message,
    signed_checkpoints,
)
from safeconduct.audit.tags import AuditAction
from safeconduct.db import make_engine, make_sessionmaker, today
from safeconduct.security.signing import Signer

HEAD_ID = 1


def _day_text() -> str:
    # The day only: see AuditEntry.at.
    return today().isoformat()


@dataclass(frozen=True, slots=True)
class Event:
    """What one audit entry records: who did what to which subject, for what purpose."""

    actor: Actor
    tag: AuditAction
    subject_id: str | None = None
    purpose: str | None = None


def _entry(seq: int, prev_hash: str, event: Event) -> AuditEntry:
    fields = EntryFields(
        seq=seq,
        at=_day_text(),
        actor=event.actor.name,
        action=event.tag.value,
        subject_type=event.tag.subject_type,
        subject_id=event.subject_id,
        purpose=event.purpose,
        prev_hash=prev_hash,
        credential=event.actor.credential,
    )
    # The entry's columns are the fields its hash covers, and the hash.
    return AuditEntry(**asdict(fields), hash=entry_hash(fields))


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
        return self.record_all(session, [Event(actor, tag, subject_id, purpose)])[0]

    def record_all(self, session: Session, events: Sequence[Event]) -> list[AuditEntry]:
        """Append entries in order, in the caller's transaction, signing the head once: a
        batch (the inbox taken in at once) pays for one lock and one signature."""
        head = self._locked_head(session)
        seq, prev_hash = head.seq, head.hash
        entries = []
        for event in events:
            seq += 1
            entry = _entry(seq, prev_hash, event)
            session.add(entry)
            entries.append(entry)
            prev_hash = entry.hash
            if seq % self.checkpoint_every == 0:
                self._add_checkpoint(session, seq, entry.hash)
        if entries:
            self._sign_head(head, seq, prev_hash)
        session.flush()
        return entries

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


_ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.purpose,
    AuditEntry.prev_hash,
    AuditEntry.credential,
    AuditEntry.hash,
)


def _entries(session: Session, after: int, upto: int | None = None) -> Iterator[EntryRow]:
    # Plain rows through the connection: a million entries are walked in seconds.
    stmt = select(*_ENTRY_COLUMNS).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
    if upto is not None:
        stmt = stmt.where(AuditEntry.seq <= upto)
    result = session.connection().execution_options(yield_per=10_000).execute(stmt)
    for part in result.partitions():
        yield from part  # rows of _ENTRY_COLUMNS: EntryRows


# How the chain is walked: (after, keep, since) -> the verdict, the hashes at `keep`, the
# last hash (policy.check_chain over the entries after `after`).
Walked = tuple[Verdict, dict[int, str], str]
Walk = Callable[[int, set[int], Anchor | None], Walked]


def _walk_in(session: Session) -> Walk:
    def walk(after: int, keep: set[int], since: Anchor | None) -> Walked:
        return check_chain(_entries(session, after), keep, since)

    return walk


def verify(
    session: Session,
    public: Ed25519PublicKey,
    also: Sequence[Ed25519PublicKey] = (),
    since: Anchor | None = None,
    walk: Walk | None = None,
) -> Verdict:
    """Check every entry, the signed head and every checkpoint; name the first bad entry.
    Checkpoints are the service key's; the head may also be signed by a key in `also`.

    With `since` (a checkpoint verified before), only what came after it is walked: its
    entry must still carry the hash verified then. What lies before it is not read again,
    so a full verification still belongs in the auditor's routine. `walk`: how to walk the
    chain (default: in this session; see parallel_walk)."""
    after = 0 if since is None else since.seq
    if since is not None and _stored_hash(session, since.seq) != since.hash:
        altered = f"entry {since.seq} is not the one verified at that checkpoint before"
        return Verdict(False, since.seq - 1, altered, since.seq)
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.seq > after).order_by(AuditCheckpoint.seq)
    marks = [SignedMark(c.seq, c.head_hash, c.key_id, c.signature) for c in session.scalars(stmt)]
    # Signatures are checked in a second thread while this one walks the chain: most of
    # their time is spent outside the interpreter.
    with ThreadPoolExecutor(max_workers=1) as pool:
        signed = pool.submit(signed_checkpoints, marks, public)
        walked = (walk or _walk_in(session))(after, {m.seq for m in marks}, since)
        signatures = signed.result()
    verdict, hashes, last_hash = walked
    if not verdict.ok:
        return verdict
    problem = check_head(verdict.entries, last_hash, _head(session), public, also)
    if problem is None:
        problem = check_checkpoints(marks, hashes, public, signatures)
    if problem is not None:
        return Verdict(False, verdict.entries, problem, verdict.entries + 1)
    anchor = Anchor(marks[-1].seq, marks[-1].hash) if marks else since
    return Verdict(True, verdict.entries, anchor=anchor)


def _stored_hash(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))


def _head(session: Session) -> SignedMark | None:
    row = session.get(AuditHead, HEAD_ID)
    return None if row is None else SignedMark(row.seq, row.hash, row.key_id, row.signature)


# Walking in several processes ---------------------------------------------------------


def parallel_walk(db_url: str, workers: int, newest: int) -> Walk:
    """Walk the chain in `workers` processes, each over its share of the entries up to
    `newest` (the last share runs to the end): each anchors on the stored hash of the entry
    before its share, which the share before checks, so together they check every link."""

    def walk(after: int, keep: set[int], since: Anchor | None) -> Walked:
        step = max(1, -(-(newest - after) // workers))
        starts = list(range(after, max(newest, after + 1), step))[:workers]
        ends: list[int | None] = [*starts[1:], None]
        with ProcessPoolExecutor(max_workers=len(starts)) as pool:
            parts = [
                pool.submit(_walk_share, db_url, lo, hi, keep, since if lo == after else None)
                for lo, hi in zip(starts, ends, strict=True)
            ]
            results = [p.result() for p in parts]
        hashes: dict[int, str] = {}
        for verdict, found, last_hash in results:
            hashes.update(found)
            if not verdict.ok:
                return verdict, hashes, last_hash
        return results[-1][0], hashes, results[-1][2]

    return walk


def _walk_share(
    db_url: str, after: int, upto: int | None, keep: set[int], since: Anchor | None
) -> Walked:
    engine = make_engine(db_url, read_only=True)  # beside the writer, never waiting on it
    try:
        with make_sessionmaker(engine)() as session:
            start = since
            if start is None and after > 0:
                stored = _stored_hash(session, after)
                if stored is None:
                    return Verdict(False, after - 1, f"entry {after} is missing", after), {}, ""
                start = Anchor(after, stored)
            return check_chain(_entries(session, after, upto), keep, start)
    finally:
        engine.dispose()


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
