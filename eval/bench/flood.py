"""``python -m eval.bench.flood``: what floods do to citizens (part of ``make bench``).

A real server (``citizen-assistant serve``, the bundled sample) in a child process:

* **sign-in flood**: 80 clients send wrong passwords as fast as they are answered, from
  what the server must treat as many addresses (the per-address lockout is lifted for the
  run, so every attempt is hashed: the worst case), while one citizen asks questions in
  turn; the citizen's p50/p95 against the same with no flood, and the server's peak RSS;
* **chat burst**: 300 requests from one address at once, with the default limits: how
  many are answered and how many get 429 with ``Retry-After``.

Writes ``flood.json`` beside the other bench results and prints a short table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from eval.bench.runner import ROOT, _free_port, percentiles, proc_status_mb

QUESTION = "How do I renew my driving licence?"
PASSWORD = "bench-password-long-enough"


class Served:
    """``citizen-assistant serve`` over a fresh data dir, with ``extra`` settings."""

    def __init__(self, data_dir: Path, **extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CA_DATA_DIR": str(data_dir),
            "CA_STAFF_HOURS": "always",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            **extra,
        }
        self.log = (data_dir / "server.log").open("w")
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        cli = [sys.executable, "-c", "import server; server.cli()"]
        subprocess.run(
            [*cli, "users", "add", "sam", "--role", "caseworker"],
            env={**self.env, "CA_NEW_PASSWORD": PASSWORD},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [*cli, "serve", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def rss_mb(self, field: str = "VmRSS") -> float:
        assert self.process is not None
        return proc_status_mb(field, self.process.pid)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


async def _citizen(url: str, seconds: float) -> list[float]:
    """One citizen asking a question every 100 ms for ``seconds``: each turn's latency."""
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = await http.post("/api/chat", json={"message": QUESTION, "session_id": None})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            await asyncio.sleep(0.1)
    return latencies


async def _sign_in_flood(url: str, clients: int, stop: asyncio.Event) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def one(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while not stop.is_set():
                response = await http.post(
                    "/api/staff/login", json={"username": f"user{n}", "password": "wrong-guess"}
                )
                counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1

    await asyncio.gather(*(one(n) for n in range(clients)))
    return counts


async def sign_in_flood(server: Served, *, clients: int, seconds: float) -> dict[str, Any]:
    quiet = await _citizen(server.url, seconds)
    rss_before = server.rss_mb()
    stop = asyncio.Event()
    flood = asyncio.create_task(_sign_in_flood(server.url, clients, stop))
    await asyncio.sleep(2)  # the flood is in full swing
    rss: list[float] = []

    async def sample() -> None:
        while not stop.is_set():
            rss.append(server.rss_mb())
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    loud = await _citizen(server.url, seconds)
    stop.set()
    counts = await flood
    await sampler
    return {
        "clients": clients,
        "citizen_quiet_ms": percentiles(quiet),
        "citizen_under_flood_ms": percentiles(loud),
        "sign_in_answers": counts,
        "sign_ins_per_second": round(sum(counts.values()) / (seconds + 2), 1),
        "server_rss_mb_before": round(rss_before),
        "server_rss_mb_peak_under_flood": round(max(rss, default=float("nan"))),
    }


async def chat_burst(url: str, requests: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        answers = await asyncio.gather(
            *(
                http.post("/api/chat", json={"message": QUESTION, "session_id": None})
                for _ in range(requests)
            )
        )
    codes: dict[str, int] = {}
    for answer in answers:
        codes[str(answer.status_code)] = codes.get(str(answer.status_code), 0) + 1
    refused = [a for a in answers if a.status_code == 429]
    return {
        "requests": requests,
        "status_codes": codes,
        "retry_after_on_every_429": all("Retry-After" in a.headers for a in refused),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.flood", description=__doc__)
    parser.add_argument("--clients", type=int, default=80)
    parser.add_argument("--seconds", type=float, default=10.0, help="citizen turns this long")
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "flood"
        data_dir.mkdir()
        many_addresses = {
            "CA_SIGN_IN_FAILURES_PER_ADDRESS": "1000000/hour",
            "CA_SIGN_IN_FAILURES_PER_ACCOUNT": "1000000/hour",
            "CA_CHAT_RATE_PER_ADDRESS": "1000000/minute",
        }
        with Served(data_dir, **many_addresses) as server:
            results["sign_in_flood"] = asyncio.run(
                sign_in_flood(server, clients=args.clients, seconds=args.seconds)
            )
        burst_dir = Path(tmp) / "burst"
        burst_dir.mkdir()
        with Served(burst_dir) as server:  # the default limits
            results["chat_burst"] = asyncio.run(chat_burst(server.url, args.burst))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "flood.json").write_text(json.dumps(results, indent=2))
    flood, burst = results["sign_in_flood"], results["chat_burst"]
    print(
        f"citizen turn with no flood: p50 {flood['citizen_quiet_ms']['p50']} ms, "
        f"p95 {flood['citizen_quiet_ms']['p95']} ms\n"
        f"citizen turn under {flood['clients']} concurrent bad sign-ins: "
        f"p50 {flood['citizen_under_flood_ms']['p50']} ms, "
        f"p95 {flood['citizen_under_flood_ms']['p95']} ms "
        f"({flood['sign_ins_per_second']} sign-ins/s answered; server RSS "
        f"{flood['server_rss_mb_before']} MB before, {flood['server_rss_mb_peak_under_flood']} "
        "MB at most under the flood)\n"
        f"{burst['requests']} chat requests at once from one address: {burst['status_codes']}, "
        f"Retry-After on every 429: {burst['retry_after_on_every_429']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
