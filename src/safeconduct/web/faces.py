"""The scheduled work of each face (see `jobs`)."""

from __future__ import annotations

from safeconduct.channels import service as channels
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.web.jobs import Job

INGEST_EVERY_SECONDS = 2.0


def operator_jobs(rt: Runtime) -> list[Job]:
    """Take in the public face's inbox: only the operator face holds the private intake key."""
    if rt.channels is None or rt.channels.intake is None:
        return []

    def ingest() -> None:
        with rt.transaction() as session:
            channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)

    return [Job("ingest", INGEST_EVERY_SECONDS, ingest)]


def public_jobs(prt: PublicRuntime) -> list[Job]:
    """Nothing yet runs on the public face by itself."""
    del prt
    return []
