"""Intake benchmark: submissions per second through the public face, against the bare
INSERT rate of the same rows on the same database.

Usage: .venv/bin/python bench/intake.py [--count 2000] [--clients 8]
                                        [--db sqlite|postgresql|both] [--seed 9]

For each database: a fresh store and fresh keys; the real public face
(`safeconduct serve --face public` on 127.0.0.1, given only the intake public key, the
channel key, the published key list and the channel secret) takes `--count` form posts
from `--clients` concurrent httpx clients: each post is sealed to the intake key, gets a
ticket, an audit entry and a signed receipt, and is committed before it is answered. Then
the bare rate: the same number of ticket + submission pairs (a box of the sizes the public
face stored) inserted with the same concurrency, one committed transaction per pair, as the
public face commits one per post. Printed: rates, p50/p99 latencies, their ratio, and the
target (PostgreSQL: at least half the bare rate, p99 under 50 ms); beside them, as a
ceiling, the form page fetched as often (the public face answering without its store), and
the public face's CPU time per answer (Linux), to tell where the time goes; and the
latency of posts sent open loop at half the rate the face reached (each timed from when
it was due), the load it carries with room to spare. Forms come from
`bench/intake_data.py`, written from the form's contract. PostgreSQL uses a database of
its own on SAFECONDUCT_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres), created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.intake_data import generate  # noqa: E402
from bench.stores import STORES  # noqa: E402

from safeconduct import migrate  # noqa: E402
from safeconduct.channels.models import Submission, Ticket  # noqa: E402
from safeconduct.config import Settings  # noqa: E402
from safeconduct.db import make_engine, new_id  # noqa: E402
from safeconduct.runtime import create_demo_channel_keys  # noqa: E402
from safeconduct.security.signing import create_signer  # noqa: E402

WARM_UP = 50
# Under the public face's per-client limit (30 posts a minute by default).
POSTS_PER_ADDRESS = 20
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
PACED_SECONDS = 10  # how long the open-loop run lasts
PACED_FIRST = 1000  # its clients' addresses follow those of the runs before it
PUBLIC_FILES = {
    "INTAKE_PUBLIC_KEY_FILE": "intake.pub.pem",
    "CHANNEL_KEY_FILE": "channel.pem",
    "CHANNEL_KEYS_FILE": "channel-keys.json",
    "CHANNEL_SECRET_FILE": "channel-secret.key",
}


@dataclass
class Run:
    """Latencies (ms) of one kind of work and how long all of it took (s)."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: int = 0
    # The public face's CPU time per answer (ms), where the process can be read.
    cpu_ms: float | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, quantile: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] if ordered else 0.0


def public_keys(url: str, folder: Path) -> dict[str, str]:
    """Make a deployment's keys in `folder`, copy the public face's four into a folder of
    their own, and return the environment that names only those."""
    keys = folder / "all-keys"
    settings = Settings(
        db_url=url,
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / PUBLIC_FILES["INTAKE_PUBLIC_KEY_FILE"],
        channel_key_file=keys / PUBLIC_FILES["CHANNEL_KEY_FILE"],
        channel_keys_file=keys / PUBLIC_FILES["CHANNEL_KEYS_FILE"],
        channel_secret_file=keys / PUBLIC_FILES["CHANNEL_SECRET_FILE"],
    )
    create_demo_channel_keys(settings, create_signer(keys / "signing.pem"))
    public = folder / "public-keys"
    public.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECONDUCT_")}
    for variable, name in PUBLIC_FILES.items():
        (public / name).write_bytes((keys / name).read_bytes())
        env[f"SAFECONDUCT_{variable}"] = str(public / name)
    env["SAFECONDUCT_DB_URL"] = url
    return env


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def public_face(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    args = [sys.executable, "-m", "safeconduct.cli", "serve", "--face", "public",
            "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("public face did not start:\n" + log.read_text())
            try:
                if httpx.get(url + "/request", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process, all its threads (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(pid: int, work: Coroutine[Any, Any, Run]) -> Run:
    before = cpu_seconds(pid)
    run = asyncio.run(work)
    after = cpu_seconds(pid)
    answered = len(run.latencies) + run.failures
    if before is not None and after is not None and answered:
        run.cpu_ms = (after - before) * 1000 / answered
    return run


def _address(n: int) -> str:
    # Loopback is all of 127.0.0.0/8: each client its own address, as on the internet.
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


async def _send_all(
    url: str, forms: Sequence[dict[str, str]], clients: int, *, post: bool = True
) -> Run:
    """Send every form (or, `post` False, fetch the form page as often) from `clients`
    concurrent workers. The public face limits each client address to a few posts a
    minute, so the posts come from as many addresses as that needs (the limit's own
    bookkeeping is part of the path measured)."""
    run = Run()
    senders = [
        httpx.AsyncClient(
            base_url=url,
            timeout=30,
            transport=httpx.AsyncHTTPTransport(local_address=_address(n)),
        )
        for n in range(max(clients, -(-len(forms) // POSTS_PER_ADDRESS)))
    ]
    queue = iter(enumerate(forms))

    async def worker() -> None:
        for n, form in queue:
            client = senders[n % len(senders)]
            start = time.perf_counter()
            if post:
                answer = await client.post("/request", data=form)
                ok = answer.status_code == 200 and "Safe Conduct receipt" in answer.text
            else:
                answer = await client.get("/request")
                ok = answer.status_code == 200
            elapsed = (time.perf_counter() - start) * 1000
            if ok:
                run.latencies.append(elapsed)
            else:
                run.failures += 1

    try:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        run.seconds = time.perf_counter() - start
    finally:
        for client in senders:
            await client.aclose()
    return run


async def _paced(url: str, forms: Sequence[dict[str, str]], rate: float) -> Run:
    """Open loop: post form i at `i / rate` seconds whatever the answers before it, and time
    each from when it was due (a late start counts against the face, not the client)."""
    run = Run()
    addresses = [_address(PACED_FIRST + n) for n in range(-(-len(forms) // POSTS_PER_ADDRESS))]
    senders = [
        httpx.AsyncClient(
            base_url=url, timeout=30, transport=httpx.AsyncHTTPTransport(local_address=address)
        )
        for address in addresses
    ]
    start = time.perf_counter()

    async def one(n: int, form: dict[str, str]) -> None:
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        answer = await senders[n % len(senders)].post("/request", data=form)
        if answer.status_code == 200 and "Safe Conduct receipt" in answer.text:
            run.latencies.append((time.perf_counter() - due) * 1000)
        else:
            run.failures += 1

    try:
        await asyncio.gather(*(one(n, f) for n, f in enumerate(forms)))
        run.seconds = time.perf_counter() - start
    finally:
        for client in senders:
            await client.aclose()
    return run


@dataclass
class FaceRuns:
    posts: Run  # as fast as `clients` can post
    pages: Run  # the form page fetched as often: the face without its store
    paced: Run  # posts at half the rate `posts` reached, open loop


def through_public_face(
    env: dict[str, str], folder: Path, forms: Sequence[dict[str, str]], clients: int
) -> FaceRuns:
    """The posts, timed; the form page fetched as often, as the ceiling of what the public
    face answers without its store; then posts at half the rate reached, for the latency
    at a load the face carries."""
    with public_face(env, folder / "public.log") as (served, pid):
        asyncio.run(_send_all(served, forms[:WARM_UP], clients))
        posts = _timed(pid, _send_all(served, forms[WARM_UP:], clients))
        pages = _timed(pid, _send_all(served, forms[WARM_UP:], clients, post=False))
        half = max(1.0, posts.rate / 2)
        paced = _timed(pid, _paced(served, forms[WARM_UP:][: int(half * PACED_SECONDS)], half))
        return FaceRuns(posts, pages, paced)


def box_sizes(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(n) for n in conn.scalars(select(func.length(Submission.box)))]


def bare_inserts(engine: Engine, sizes: Sequence[int], count: int, clients: int) -> Run:
    """The same rows as a submission makes (a ticket, a box of a size the public face
    stored), one committed transaction each, from `clients` threads."""
    run = Run()
    lock = threading.Lock()
    todo = iter(range(count))
    rng = random.Random(1)
    boxes = [secrets.token_bytes(rng.choice(sizes)) for _ in range(min(count, 500))]

    def worker() -> None:
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                return
            ticket_id = new_id()
            ticket = {
                "id": ticket_id,
                "reference": f"B-{uuid.uuid4().hex[:12]}",
                "codename_hash": secrets.token_hex(32),
                "public_status": "received",
            }
            submission = {
                "id": new_id(),
                "ticket_id": ticket_id,
                "kind": "request",
                "channel": "web_form",
                "box": boxes[n % len(boxes)],
            }
            start = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(insert(Ticket), ticket)
                conn.execute(insert(Submission), submission)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                run.latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - start
    return run


def report(db: str, face: FaceRuns, bare: Run, sizes: Sequence[int]) -> bool:
    public, pages = face.posts, face.pages
    ratio = public.rate / bare.rate if bare.rate else 0.0
    print(f"\n{db}: {len(public.latencies)} submissions, boxes {min(sizes)}-{max(sizes)} bytes "
          f"(median {statistics.median(sizes):.0f}), failures {public.failures}")  # fmt: skip
    print(f"  {'':30}{'per second':>12}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms':>10}")
    rows = (("public face, POST /request", public), ("bare INSERT", bare),
            ("(GET /request, no store)", pages),
            ("POST /request, paced at half", face.paced))  # fmt: skip
    for name, run in rows:
        cpu = f"{run.cpu_ms:10.2f}" if run.cpu_ms is not None else f"{'':10}"
        print(f"  {name:30}{run.rate:12.1f}{run.p(0.50):10.2f}{run.p(0.99):10.2f}{cpu}")
    print(f"  ratio public / bare: {ratio:.1%}; the face without its store: "
          f"{pages.rate / bare.rate if bare.rate else 0.0:.1%}")  # fmt: skip
    if db != "postgresql":
        return public.failures == 0 and face.paced.failures == 0
    met = ratio >= TARGET_RATIO and public.p(0.99) < TARGET_P99_MS and public.failures == 0
    print(f"  target (>= {TARGET_RATIO:.0%} of bare, p99 < {TARGET_P99_MS:.0f} ms): "
          f"{'met' if met else 'MISSED'}")  # fmt: skip
    return met


def bench(db: str, forms: Sequence[dict[str, str]], clients: int) -> bool:
    with STORES[db]("intake") as url, tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        migrate.upgrade(url)
        env = public_keys(url, folder)
        face = through_public_face(env, folder, forms, clients)
        engine = make_engine(url, pool_size=clients, max_overflow=0)
        try:
            sizes = box_sizes(engine)
            bare = bare_inserts(engine, sizes, len(forms) - WARM_UP, clients)
        finally:
            engine.dispose()
        return report(db, face, bare, sizes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="submissions to time")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    forms = generate(args.count + WARM_UP, args.seed)
    # Figures are only as good as the machine is quiet: the load is printed with them.
    load = os.getloadavg()[0]
    print(f"{args.count} submissions (+{WARM_UP} warm-up), {args.clients} clients, "
          f"seed {args.seed}, {os.cpu_count()} cores, load average {load:.1f}")  # fmt: skip
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    met = [bench(db, forms, args.clients) for db in databases]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())
