"""The scheduled work of each face (see `jobs`)."""

from __future__ import annotations

from safeconduct.channels import outbox, retention
from safeconduct.channels import service as channels
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.web.jobs import Job

INGEST_EVERY_SECONDS = 2.0
RETENTION_EVERY_SECONDS = 24 * 3600.0
OUTBOX_EVERY_SECONDS = 1.0


def operator_jobs(rt: Runtime) -> list[Job]:
    """Take in the public face's inbox (only the operator face holds the private intake
    key), and destroy channel data past its period, daily."""

    def destroy_due() -> None:
        with rt.transaction() as session:
            retention.run(rt, session)

    jobs = [Job("retention", RETENTION_EVERY_SECONDS, destroy_due)]
    if rt.channels is None or rt.channels.intake is None:
        return jobs

    def ingest() -> None:
        with rt.transaction() as session:
            channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)

    return [Job("ingest", INGEST_EVERY_SECONDS, ingest), *jobs]


def public_jobs(prt: PublicRuntime) -> list[Job]:
    """Deliver bot answers waiting in the outbox."""
    return [Job("outbox", OUTBOX_EVERY_SECONDS, lambda: outbox.deliver_due(prt))]
