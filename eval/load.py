"""``make load``: many citizens and caseworkers on two replicas, one of them killed mid-run.

Two ``uvicorn server:app`` processes on a PostgreSQL database made for the run (dropped
after it), one Redis and one shared index. Citizens' conversations send each turn to
either replica at random (a load balancer without sticky sessions); some ask for a person
by sending the request to both replicas at once. One conversation in five is by SMS
(Twilio's signed webhook), so caseworkers' replies to it go through the text outbox to a
fake Twilio API on 127.0.0.1 that refuses one send in five with a 503 (retried).
Caseworkers race each other for the waiting conversations, reply and resolve. Part way
through, replica B is killed with SIGKILL and started again; a request that fails on the
way is sent to the other replica, as a balancer would. Then the database is read to
count what the run must never see:

- an acknowledged message (a 200 for a citizen's turn or a caseworker's reply) missing;
- a conversation claimed by two caseworkers;
- a conversation with two open handoffs, or racing requests given two handoffs;
- a text stuck: a caseworker's reply by SMS still ``pending`` or ``retrying`` once the
  outbox has been given time to empty.

A measurement to run by hand, not a test (``make test`` never runs it). Usage::

    python -m eval.load [--conversations 200] [--turns 20] [--caseworkers 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.store import conversation_id_for

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
TWILIO_TOKEN = "load-run-auth-token"
TWILIO_ACCOUNT = "AC" + "2" * 32
AGENCY_NUMBER = "+15555550199"
ASK_FOR_PERSON = "I want to talk to a real person"
# Plain questions about the bundled sample (nothing a redactor would change).
QUESTIONS = [
    "How do I renew my driver's license?",
    "How much does it cost?",
    "How do I get a parking permit?",
    "When is trash picked up?",
    "How do I pay my water bill?",
    "How do I register to vote?",
    "Where can I get a building permit?",
    "How do I report a pothole?",
    "What are the library hours?",
    "thanks",
]


@dataclass
class Tally:
    # (conversation id, text): the database keeps a citizen's session id only as its hash.
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)  # caseworker (session, text)
    latencies: list[float] = field(default_factory=list)
    retried: int = 0  # requests that failed on one replica and were sent to the other
    handoffs_given: dict[str, set[str]] = field(default_factory=dict)  # session -> ids
    claims_won: Counter[str] = field(default_factory=Counter)
    claims_refused: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    texted: list[str] = field(default_factory=list)  # acknowledged SMS bodies


class FakeTwilio:
    """Twilio's Messages endpoint on 127.0.0.1: accepts a text, or (one in five) answers 503."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.accepted = 0
        self.refused = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if random.random() < 0.2:
                    fake.refused += 1
                    status, body = 503, b"{}"
                else:
                    fake.accepted += 1
                    sid = "SM" + secrets.token_hex(16)
                    status, body = 201, json.dumps({"sid": sid, "status": "queued"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Replica:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.env, self.log_dir = name, env, log_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.alive = False

    def start(self) -> None:
        log = (self.log_dir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, seconds: float = 300) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"replica {self.name} exited; see {self.log_dir}")
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    self.alive = True
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"replica {self.name} never became ready")

    def kill(self) -> None:
        assert self.process is not None
        self.alive = False
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Balancer:
    """Sends each request to a random live replica; a failed one goes to the other."""

    def __init__(self, replicas: list[Replica], tally: Tally) -> None:
        self.replicas, self.tally = replicas, tally
        self.client = httpx.AsyncClient(timeout=60)

    async def post(self, path: str, *, replica: Replica | None = None, **kw: Any) -> httpx.Response:
        first = replica or random.choice([r for r in self.replicas if r.alive] or self.replicas)
        order = [first] + [r for r in self.replicas if r is not first]
        for attempt in range(20):
            target = order[attempt % len(order)]
            try:
                return await self.client.post(target.url + path, **kw)
            except httpx.TransportError:
                self.tally.retried += 1
                await asyncio.sleep(0.2)
        raise RuntimeError(f"no replica answered {path}")

    async def text(self, sender: str, body: str) -> httpx.Response:
        """A citizen's SMS as Twilio posts it, signed for the replica it is sent to."""
        from twilio.request_validator import RequestValidator

        form = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": TWILIO_ACCOUNT,
            "From": sender,
            "To": AGENCY_NUMBER,
            "Body": body,
        }
        for _ in range(20):
            alive = [r for r in self.replicas if r.alive] or self.replicas
            target = random.choice(alive)
            url = target.url + "/channels/twilio/sms"
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
            try:  # Twilio retries with the same MessageSid: the server keeps it once
                return await self.client.post(
                    url, data=form, headers={"X-Twilio-Signature": signature}
                )
            except httpx.TransportError:
                self.tally.retried += 1
                await asyncio.sleep(0.2)
        raise RuntimeError("no replica took the text")

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        for _ in range(20):
            target = random.choice([r for r in self.replicas if r.alive] or self.replicas)
            try:
                return await self.client.get(target.url + path, **kw)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
        raise RuntimeError(f"no replica answered {path}")


async def texter(n: int, turns: int, balancer: Balancer, tally: Tally, done: list[int]) -> None:
    """A citizen who texts: each message is unique, so the check can find it."""
    sender = f"+1555{n:07d}"
    for turn in range(turns):
        body = ASK_FOR_PERSON if turn == 3 else f"{QUESTIONS[(n + turn) % 9]} ({n}.{turn})"
        started = time.perf_counter()
        answer = await balancer.text(sender, body)
        tally.latencies.append(time.perf_counter() - started)
        if answer.status_code == 200:
            tally.texted.append(body if body != ASK_FOR_PERSON else f"{body}@{sender}")
        done[0] += 1


async def citizen(n: int, turns: int, balancer: Balancer, tally: Tally, done: list[int]) -> None:
    if n % 5 == 1:
        await texter(n, turns, balancer, tally, done)
        return
    session: str | None = None
    ask_at = 5 if n % 4 == 0 else None  # a quarter of them ask for a person
    for turn in range(turns):
        if turn == ask_at and session is not None:
            # The same request to both replicas at once: one handoff, told to both.
            a, b = balancer.replicas
            body = {"message": ASK_FOR_PERSON, "session_id": session}
            answers = await asyncio.gather(
                balancer.post("/api/chat", replica=a, json=body),
                balancer.post("/api/chat", replica=b, json=body),
            )
            for answer in answers:
                if answer.status_code == 200:
                    tally.acknowledged.append((conversation_id_for(session), ASK_FOR_PERSON))
                    handoff = answer.json().get("handoff")
                    if handoff:
                        tally.handoffs_given.setdefault(session, set()).add(handoff["id"])
            done[0] += 1
            continue
        text = QUESTIONS[(n + turn) % len(QUESTIONS)]
        started = time.perf_counter()
        answer = await balancer.post("/api/chat", json={"message": text, "session_id": session})
        tally.latencies.append(time.perf_counter() - started)
        if answer.status_code == 200:
            body = answer.json()
            session = body["session_id"]
            tally.acknowledged.append((conversation_id_for(session), text))
            tally.statuses[body["status"]] += 1
        done[0] += 1


async def caseworker(n: int, balancer: Balancer, tally: Tally, stop: asyncio.Event) -> None:
    signed = await balancer.post(
        "/api/staff/login", json={"username": f"cw{n}", "password": PASSWORD}
    )
    cookies = {"ca_staff": signed.cookies["ca_staff"]}
    headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
    while not stop.is_set():
        listed = await balancer.get(
            "/api/staff/handoffs", params={"view": "waiting"}, cookies=cookies
        )
        waiting = listed.json() if listed.status_code == 200 else []
        if not waiting:
            await asyncio.sleep(0.3)
            continue
        # Everyone goes for the oldest few: claims collide on purpose.
        target = random.choice(waiting[:3])
        claim = await balancer.post(
            f"/api/staff/handoffs/{target['id']}/claim", cookies=cookies, headers=headers
        )
        if claim.status_code == 409:
            tally.claims_refused += 1
            continue
        if claim.status_code != 200:
            continue
        tally.claims_won[target["id"]] += 1
        text = f"Hello, this is caseworker {n}. Call us on 555-010-{2000 + n}."
        reply = await balancer.post(
            f"/api/staff/handoffs/{target['id']}/reply",
            json={"text": text},
            cookies=cookies,
            headers=headers,
        )
        if reply.status_code == 200:
            tally.replies.append((target["conversation_id"], text))
        await balancer.post(
            f"/api/staff/handoffs/{target['id']}/resolve", cookies=cookies, headers=headers
        )


async def run_load(
    args: argparse.Namespace, replicas: list[Replica], tally: Tally
) -> dict[str, Any]:
    balancer = Balancer(replicas, tally)
    stop = asyncio.Event()
    done = [0]
    total = args.conversations * args.turns
    workers = [
        asyncio.create_task(caseworker(n, balancer, tally, stop)) for n in range(args.caseworkers)
    ]
    gate = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> None:
        async with gate:
            await citizen(n, args.turns, balancer, tally, done)

    async def killer() -> dict[str, float]:
        while done[0] < total * 0.4:
            await asyncio.sleep(0.2)
        victim = replicas[1]
        victim.kill()
        killed_at = done[0]
        await asyncio.sleep(2)
        victim.start()
        restart_s = await asyncio.to_thread(victim.wait_ready)
        return {"killed_after_turns": killed_at, "restart_to_ready_s": round(restart_s, 1)}

    started = time.perf_counter()
    kill = asyncio.create_task(killer())
    await asyncio.gather(*(one(n) for n in range(args.conversations)))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(5)  # the caseworkers take what is still waiting
    stop.set()
    await asyncio.gather(*workers, return_exceptions=True)
    killed = await kill
    await balancer.client.aclose()
    return {"elapsed_s": round(elapsed, 1), "turns_per_s": round(total / elapsed, 1), **killed}


def check(database_url: str, tally: Tally) -> dict[str, Any]:
    """What the database holds against what was acknowledged."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        # The outbox is worked by the replicas: give the last retries time to run.
        for _ in range(120):
            left = connection.execute(text("SELECT COUNT(*) FROM text_outbox")).scalar()
            if not left:
                break
            time.sleep(0.5)
            connection.commit()
        texts = Counter(
            status
            for (status,) in connection.execute(
                text(
                    "SELECT m.delivery_status FROM messages m JOIN conversations c ON "
                    "c.id = m.conversation_id WHERE m.role = 'caseworker' AND c.channel = 'sms'"
                )
            )
        )
        sms_stored = {
            t
            for (t,) in connection.execute(text("SELECT text FROM messages WHERE channel = 'sms'"))
        }
        stored = Counter(
            (c, t)
            for c, t in connection.execute(
                text("SELECT conversation_id, text FROM messages WHERE role = 'citizen'")
            )
        )
        written = Counter(
            (c, t)
            for c, t in connection.execute(
                text("SELECT conversation_id, text FROM messages WHERE role = 'caseworker'")
            )
        )
        open_twice = connection.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT conversation_id FROM handoffs WHERE state IN "
                "('waiting', 'claimed', 'callback_requested') GROUP BY conversation_id "
                "HAVING COUNT(*) > 1) AS twice"
            )
        ).scalar()
        claims = Counter(
            target
            for (target,) in connection.execute(
                text("SELECT target FROM audit_log WHERE action = 'handoff.claim'")
            )
        )
        handoffs = connection.execute(text("SELECT COUNT(*) FROM handoffs")).scalar()
    engine.dispose()
    lost = Counter(tally.acknowledged) - stored
    texts_lost = sum(1 for body in tally.texted if "@" not in body and body not in sms_stored)
    lost_replies = Counter(tally.replies) - written
    return {
        "acknowledged_citizen_messages": len(tally.acknowledged),
        "acknowledged_messages_lost": sum(lost.values()) + texts_lost,
        "acknowledged_texts_from_citizens": len(tally.texted),
        "acknowledged_caseworker_replies": len(tally.replies),
        "caseworker_replies_lost": sum(lost_replies.values()),
        "handoffs": handoffs,
        "claims_won": sum(tally.claims_won.values()),
        "claims_refused_409": tally.claims_refused,
        "double_claims": sum(1 for n in claims.values() if n > 1)
        + sum(1 for n in tally.claims_won.values() if n > 1),
        "conversations_with_two_open_handoffs": open_twice,
        "racing_requests_given_two_handoffs": sum(
            1 for ids in tally.handoffs_given.values() if len(ids) > 1
        ),
        "caseworker_texts_by_status": dict(texts),
        "stuck_texts": sum(n for s, n in texts.items() if s in (None, "pending", "retrying")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--caseworkers", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16, help="conversations at once")
    parser.add_argument("--postgres", default=os.environ.get(
        "CA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))  # fmt: skip
    parser.add_argument("--redis", default=os.environ.get(
        "CA_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"))  # fmt: skip
    parser.add_argument("--report", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from assistant.container import Container
    from assistant.settings import Settings
    from assistant.staff import Role

    work = Path(tempfile.mkdtemp(prefix="ca-load-"))
    name = f"ca_load_{secrets.token_hex(4)}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(args.postgres).set(database=name).render_as_string(False)
    replicas: list[Replica] = []
    try:
        print(f"preparing the sample knowledge base in {work} …", flush=True)
        setup = Container(Settings(data_dir=work / "setup", database_url=database_url))
        setup.ensure_knowledge_base()
        for n in range(args.caseworkers):
            setup.staff.create(username=f"cw{n}", password=PASSWORD, role=Role.CASEWORKER)
        setup.engine.dispose()
        twilio = FakeTwilio()
        env = {
            **os.environ,
            "CA_SMS_ENABLED": "true",
            "CA_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "CA_TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
            "CA_TWILIO_API_BASE_URL": twilio.url,
            "CA_PHONE_HASH_KEY": "load-run-phone-key",
            "CA_CONTACT_ENCRYPTION_KEY": "load-run-contact-key",
            "CA_SMS_DELIVERY_BACKOFF_SECONDS": "[0.5, 1, 2]",
            "CA_INDEX_STORE": str(work / "setup" / "index"),
            "CA_DATABASE_URL": database_url,
            "CA_REDIS_URL": args.redis,
            "CA_STAFF_HOURS": "always",
            # Every citizen and text comes from 127.0.0.1 or a handful of numbers: the run
            # measures what is lost, not the limits (``eval.bench.flood`` measures those).
            "CA_CHAT_RATE_PER_ADDRESS": "1000000/minute",
            "CA_CHAT_RATE_PER_CONVERSATION": "1000000/minute",
            "CA_HANDOFFS_PER_ADDRESS": "1000000/minute",
            "CA_SMS_RATE_PER_ADDRESS": "1000000/minute",
            "CA_SAMPLE_KB_ON_EMPTY": "false",
            "CA_ONNX_CACHE_DIR": str(work / "setup" / "models"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        replicas = [Replica(r, {**env, "CA_DATA_DIR": str(work / r)}, work) for r in "ab"]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        print(
            f"{args.conversations} conversations x {args.turns} turns, "
            f"{args.caseworkers} caseworkers, two replicas; B is killed at 40% …",
            flush=True,
        )
        tally = Tally()
        figures = asyncio.run(run_load(args, replicas, tally))
        figures.update(check(database_url, tally))
        figures["turn_p50_ms"] = round(statistics.median(tally.latencies) * 1000, 1)
        figures["turn_p95_ms"] = round(statistics.quantiles(tally.latencies, n=20)[-1] * 1000, 1)
        figures["requests_resent_to_the_other_replica"] = tally.retried
        figures["twilio_sends_accepted"] = twilio.accepted
        figures["twilio_sends_refused_503"] = twilio.refused
        figures["statuses"] = dict(tally.statuses.most_common())
    finally:
        for replica in replicas:
            replica.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    print(json.dumps(figures, indent=2))
    if args.report:
        args.report.write_text(json.dumps(figures, indent=2) + "\n")
    bad = (
        figures["acknowledged_messages_lost"]
        + figures["caseworker_replies_lost"]
        + figures["double_claims"]
        + figures["conversations_with_two_open_handoffs"]
        + figures["racing_requests_given_two_handoffs"]
        + figures["stuck_texts"]
    )
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
