"""The scheduled work of each face (see `jobs`)."""

from __future__ import annotations

from safeconduct.channels import limits, outbox, retention, telegram, webhook
from safeconduct.channels import service as channels
from safeconduct.db import today, utcnow
from safeconduct.inquiries import retention as inquiry_retention
from safeconduct.inquiries import service as inquiries
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.web.jobs import Job

INGEST_EVERY_SECONDS = 2.0
# New registrations are matched against the standing inquiries this often.
TRACING_EVERY_SECONDS = 5.0
RETENTION_EVERY_SECONDS = 24 * 3600.0
OUTBOX_EVERY_SECONDS = 1.0
FORGET_EVERY_SECONDS = 3600.0


def operator_jobs(rt: Runtime) -> list[Job]:
    """Take in the public face's inbox (only the operator face holds the private intake
    key), match new registrations against the standing inquiries, and destroy channel data
    past its period, daily."""

    def trace() -> None:
        with rt.transaction() as session:
            inquiries.index_registrations(session, keyring=rt.keyring)

    def forget_inquiries() -> None:
        with rt.transaction() as session:
            inquiry_retention.run(session, keyring=rt.keyring, audit=rt.audit, on=today(),
                                  days=rt.settings.retention_days)  # fmt: skip

    jobs = [
        Job("tracing", TRACING_EVERY_SECONDS, trace),
        Job("retention", RETENTION_EVERY_SECONDS, lambda: retention.run_all(rt)),
        Job("inquiry retention", RETENTION_EVERY_SECONDS, forget_inquiries),
    ]
    if rt.channels is None or rt.channels.intake is None:
        return jobs

    def ingest() -> None:
        with rt.transaction() as session:
            channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)
        with rt.transaction() as session:
            inquiries.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)

    return [Job("ingest", INGEST_EVERY_SECONDS, ingest), *jobs]


def public_jobs(prt: PublicRuntime) -> list[Job]:
    """Deliver bot answers waiting in the outbox; hourly, forget what has served: rate-limit
    windows, webhook deliveries past their replay window, bot conversations left unfinished."""

    def forget() -> None:
        with prt.transaction() as session:
            limits.prune(session, now=utcnow())
            webhook.prune_deliveries(session, today=today())
            telegram.purge(session)

    return [
        Job("outbox", OUTBOX_EVERY_SECONDS, lambda: outbox.deliver_due(prt)),
        Job("forget", FORGET_EVERY_SECONDS, forget),
    ]
