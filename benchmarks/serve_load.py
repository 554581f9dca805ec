"""Load on ``fuac serve``: many concurrent clients over loopback, then the server killed mid-load
(run on demand; not part of the test suite, but ``tests/test_serve_load.py`` runs the kill check
on a small scale).

    python benchmarks/serve_load.py                        # 20 s with 1 worker, 20 s with 2, then the kill check
    python benchmarks/serve_load.py --seconds 5 --clients 16 --workers 1
    python benchmarks/serve_load.py --db postgresql://postgres@127.0.0.1:5432/fuac_load
    python benchmarks/serve_load.py --json

For each number of workers, the benchmark starts ``fuac serve`` on a free loopback port with a new
record (a SQLite file in a temporary folder, unless ``--db`` names a database), and ``--clients``
clients (asyncio, httpx) send requests back to back for ``--seconds``: single evaluations of
liunan-2023's bundled unit (``?view=compact``, each a distinct unit code) and, one request in
``--batch-every``, a batch of ``--batch-size`` units in JSON Lines. Every request is recorded by the
service. It reports requests and units a second, p50/p99 latency of each kind, and errors (any
answer but 200, or a failed connection: there must be none). Then it stops the server (SIGTERM) and
checks that every assessment id a client was given is in the record.

The kill check: the same load, and once half of ``--kill-after`` requests have been answered, the
server's whole process group is killed (SIGKILL: no shutdown, nothing flushed by the service); the
server is started again on the same record, and every id any client got back must be in it
(``GET /v1/assessments``, paged). Requests that were in flight fail, as they should; one the server
committed but could not answer may be in the record too (counted, not an error).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data" / "liunan-2023-liunan.toml"
RULESET = "liunan-2023"


# ---------------------------------------------------------------------------
# the server


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def stop(self) -> None:
        """SIGTERM, as an administrator stops it: requests in progress finish."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL to the server and its workers (its own process group): no shutdown at all."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(db: str, workers: int = 1, folder: Path | None = None) -> Server:
    """``fuac serve`` on a free loopback port, in a process group of its own; returns once it answers."""
    import httpx

    port = free_port()
    log = (folder or Path(tempfile.gettempdir())) / f"fuac-serve-{port}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "fuac", "serve", "--port", str(port), "--db", db,
                                 "--workers", str(workers)], stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(server.base + "/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                server.kill()
            raise RuntimeError(f"fuac serve did not start:\n{log.read_text(encoding='utf-8')}")
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# the clients


@dataclass
class Tally:
    single: list[float] = field(default_factory=list)  # latencies, s
    batch: list[float] = field(default_factory=list)
    units: int = 0
    errors: list[str] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    answered: int = 0


@functools.cache
def _example() -> tuple[str, str]:
    """The bundled liunan-2023 unit as JSON, cut where its context goes (read once)."""
    from fuac.language.toml import read_toml
    from fuac.serve import exact

    doc, _, _ = read_toml(EXAMPLE)
    text = exact.dumps({"data": doc["data"], "assessments": doc["assessments"], "on": doc["on"].isoformat(),
                        "context": None})
    head, tail = text.rsplit('"context":null', 1)
    return head + '"context":', tail


def unit_body(code: int, *, on: bool = True) -> bytes:
    """The bundled unit as JSON, with a unit code of its own (``on``: with its date)."""
    head, tail = _example()
    if not on:
        head = head.replace(',"on":"2023-11-30"', "")
    return f'{head}{{"name":"单位{code}","code":"{450000000 + code}"}}{tail}'.encode()


def batch_body(first: int, size: int) -> bytes:
    """``size`` units in JSON Lines (the batch's date is its ``on=``)."""
    return b"".join(unit_body(code, on=False) + b"\n" for code in range(first, first + size))


async def _one(client: Any, tally: Tally, n: int, batch_size: int, batch_every: int, on: str) -> None:
    """One request (a batch every ``batch_every``): its latency, and the ids it acknowledged."""
    import httpx

    is_batch = batch_every > 0 and n % batch_every == batch_every - 1
    t = time.perf_counter()
    try:
        if is_batch:
            resp = await client.post(f"/v1/rulesets/{RULESET}/batch?on={on}", content=batch_body(n * 100, batch_size),
                                     headers={"content-type": "application/x-ndjson"})
        else:
            resp = await client.post(f"/v1/rulesets/{RULESET}/evaluate?view=compact", content=unit_body(n),
                                     headers={"content-type": "application/json"})
    except httpx.HTTPError as exc:
        tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        return
    took = time.perf_counter() - t
    if resp.status_code != 200:
        tally.errors.append(f"HTTP {resp.status_code}: {resp.text[:200]}")
        return
    ids = [json.loads(line)["assessment"] for line in resp.text.splitlines()] if is_batch else [
        resp.json()["assessment"]["id"]]
    if None in ids or len(ids) != (batch_size if is_batch else 1):
        tally.errors.append(f"an answer without its records: {resp.text[:200]}")
        return
    tally.acked.update(ids)
    tally.units += len(ids)
    tally.answered += 1
    (tally.batch if is_batch else tally.single).append(took)


async def drive(base: str, *, seconds: float, clients: int, batch_size: int = 5, batch_every: int = 10,
                stop_after: int | None = None, on_stop: Any = None, limit: int | None = None) -> Tally:
    """``clients`` clients sending requests back to back for ``seconds`` (or ``limit`` requests in
    all); with ``stop_after``, ``on_stop()`` is called once that many requests have been answered."""
    import httpx

    tally = Tally()
    counter = iter(range(1 << 62))
    deadline = time.monotonic() + seconds
    stopped = False

    async def client_loop(client: Any) -> None:
        nonlocal stopped
        while time.monotonic() < deadline:
            n = next(counter)
            if limit is not None and n >= limit:
                return
            await _one(client, tally, n, batch_size, batch_every, "2023-11-30")
            if stop_after is not None and not stopped and tally.answered >= stop_after:
                stopped = True
                await asyncio.get_running_loop().run_in_executor(None, on_stop)

    # an idle connection is dropped after 2 s, before uvicorn closes it at 5 s: a request sent on a
    # connection the server is closing at that moment would fail without reaching it
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return tally


def recorded_ids(base: str) -> set[int]:
    """Every assessment id in the record, through ``GET /v1/assessments`` (paged)."""
    import httpx

    found: set[int] = set()
    after = 0
    while True:
        page = httpx.get(f"{base}/v1/assessments?after={after}&limit=1000", timeout=60).json()
        found.update(r["id"] for r in page["assessments"])
        if page["next"] is None:
            return found
        after = page["next"]


# ---------------------------------------------------------------------------
# the two runs


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * len(xs) + 0.5) - 1))] * 1000


def load_run(db: str, workers: int, seconds: float, clients: int, batch_size: int, batch_every: int,
             folder: Path) -> dict[str, Any]:
    server = start(db, workers, folder)
    try:
        t = time.perf_counter()
        tally = asyncio.run(drive(server.base, seconds=seconds, clients=clients, batch_size=batch_size,
                                  batch_every=batch_every))
        wall = time.perf_counter() - t
        stored = recorded_ids(server.base)
    finally:
        server.stop()
    n = len(tally.single) + len(tally.batch)
    return {
        "workers": workers, "clients": clients, "seconds": round(wall, 1), "requests": n,
        "requests_per_s": round(n / wall, 1), "units_per_s": round(tally.units / wall, 1),
        "single": {"n": len(tally.single), "p50_ms": _round(_pct(tally.single, 0.5)),
                   "p99_ms": _round(_pct(tally.single, 0.99)), "mean_ms": _round(
                       statistics.fmean(tally.single) * 1000 if tally.single else None)},
        "batch": {"n": len(tally.batch), "size": batch_size, "p50_ms": _round(_pct(tally.batch, 0.5)),
                  "p99_ms": _round(_pct(tally.batch, 0.99))},
        "errors": len(tally.errors), "first_errors": tally.errors[:3],
        "acknowledged": len(tally.acked), "lost": len(tally.acked - stored),
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def kill_check(db: str, *, requests: int = 50, clients: int = 8, workers: int = 1, folder: Path | None = None,
               batch_every: int = 10) -> dict[str, Any]:
    """Send ``requests`` requests; kill the server (SIGKILL, its whole group) once half are answered;
    start it again on the same record: every acknowledged id must be there."""
    folder = folder or Path(tempfile.mkdtemp(prefix="fuac-kill-"))
    server = start(db, workers, folder)
    try:
        before = recorded_ids(server.base)  # a database given may hold records already
        tally = asyncio.run(drive(server.base, seconds=300, clients=clients, batch_every=batch_every,
                                  stop_after=requests // 2, on_stop=server.kill, limit=requests))
    finally:
        server.kill()
    again = start(db, 1, folder)
    try:
        stored = recorded_ids(again.base)
    finally:
        again.stop()
    return {"requests": requests, "answered": tally.answered, "failed": len(tally.errors),
            "acknowledged": len(tally.acked), "stored": len(stored - before), "lost": sorted(tally.acked - stored),
            "stored_not_acknowledged": len(stored - tally.acked - before)}


@contextlib.contextmanager
def _database(given: str | None, folder: Path, name: str) -> Iterator[str]:
    """The record of one run: a new SQLite file, or the database given (used as it is)."""
    yield given or str(folder / f"{name}.sqlite3")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20, help="load time per worker count (default 20)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    ap.add_argument("--batch-size", type=int, default=5, help="units in a batch request (default 5)")
    ap.add_argument("--batch-every", type=int, default=10, help="one request in N is a batch (default 10; 0: none)")
    ap.add_argument("--kill-after", type=int, default=2000, help="requests of the kill check (default 2000; 0: skip)")
    ap.add_argument("--db", help="a database URL to use instead of new SQLite files (e.g. postgresql://…)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fuac-load-"))
    runs = []
    for w in args.workers:
        with _database(args.db, folder, f"load-{w}") as db:
            runs.append(load_run(db, w, args.seconds, args.clients, args.batch_size, args.batch_every, folder))
        _print_run(runs[-1], args.json)
    kill = None
    if args.kill_after:
        with _database(args.db, folder, "kill") as db:
            kill = kill_check(db, requests=args.kill_after, clients=args.clients, workers=max(args.workers),
                              folder=folder, batch_every=args.batch_every)
        if not args.json:
            print(f"kill check ({max(args.workers)} workers, SIGKILL after {args.kill_after // 2} answers): "
                  f"{kill['acknowledged']} acknowledged, {len(kill['lost'])} lost, {kill['failed']} requests failed "
                  f"(in flight or after the kill), {kill['stored_not_acknowledged']} stored but not acknowledged")
    if args.json:
        print(json.dumps({"runs": runs, "kill_check": kill}, indent=2))
    bad = any(r["errors"] or r["lost"] for r in runs) or (kill is not None and kill["lost"])
    return 1 if bad else 0


def _print_run(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        return
    s, b = r["single"], r["batch"]
    print(f"{r['workers']} worker(s), {r['clients']} clients, {r['seconds']} s: {r['requests']} requests, "
          f"{r['requests_per_s']} req/s, {r['units_per_s']} units/s; single p50 {s['p50_ms']} ms p99 {s['p99_ms']} ms "
          f"(n={s['n']}); batch of {b['size']} p50 {b['p50_ms']} ms p99 {b['p99_ms']} ms (n={b['n']}); "
          f"errors {r['errors']}; acknowledged {r['acknowledged']}, lost {r['lost']}")
    for e in r["first_errors"]:
        print(f"    {e}")


if __name__ == "__main__":
    sys.exit(main())
