"""Work a face does on a schedule beside its requests: taking in the public face's inbox,
destroying channel data past its period, delivering bot answers.

One daemon thread per face runs each job when it falls due, each run in its own
transaction (the job's own). A failing run is logged by its error's type only (the message
may hold personal data) and tried again at its next turn; it never stops the face.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("safeconduct.jobs")


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    due_at: float = field(default=0.0)


class Jobs:
    """Run jobs on a schedule in one background thread until stopped."""

    def __init__(self, jobs: list[Job], tick_seconds: float = 0.5) -> None:
        self.jobs = jobs
        self.tick = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now: float) -> None:
        for job in self.jobs:
            if now < job.due_at:
                continue
            job.due_at = now + job.every_seconds
            try:
                job.run()
            except Exception as exc:  # noqa: BLE001 - logged by type, retried next turn
                log.error("job %s failed: %s", job.name, type(exc).__name__)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due(time.monotonic())
            self._stop.wait(self.tick)

    def start(self) -> None:
        if self.jobs and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="safeconduct-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
