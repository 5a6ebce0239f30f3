"""Turns of different conversations run at the same time; one conversation's turns run one
after another, each seeing the one before it. Real pipeline, real model, real SQLite."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from assistant.container import Container
from assistant.pipeline import TurnPipeline
from assistant.service import AssistantService, ConversationLocks
from assistant.stages import Stage
from assistant.store import conversation_id_for, new_session_id
from assistant.turns import InboundMessage, OutboundReply, Status, TurnContext


class Rendezvous:
    """A first stage that lets a turn on only once ``parties`` turns have reached it.

    If turns ran one at a time the first would wait alone until the timeout, and the
    broken barrier would end both turns with ``error_internal``.
    """

    name = "rendezvous"

    def __init__(self, parties: int, *, timeout: float = 20) -> None:
        self.barrier = threading.Barrier(parties, timeout=timeout)

    def __call__(self, ctx: TurnContext) -> None:
        self.barrier.wait()


class Recorder:
    """A first stage that notes when each turn is inside the pipeline and what it saw."""

    name = "recorder"

    def __init__(self, *, dwell_s: float) -> None:
        self.dwell_s = dwell_s
        self.lock = threading.Lock()
        self.visits: list[tuple[float, float, str, int]] = []

    def __call__(self, ctx: TurnContext) -> None:
        entered = time.monotonic()
        time.sleep(self.dwell_s)  # long enough for a second turn to arrive meanwhile
        with self.lock:
            self.visits.append((entered, time.monotonic(), ctx.text, len(ctx.history)))


def _service(container: Container, first: Stage) -> AssistantService:
    live = container.pipeline
    return AssistantService(
        pipeline=TurnPipeline([first, *live.stages], after=live.after, replies=container.replies),
        store=container.conversation_store,
        history_turns=container.settings.session_history_turns,
    )


def _at_once(service: AssistantService, messages: list[tuple[str, str | None]]) -> list:  # type: ignore[type-arg]
    with ThreadPoolExecutor(len(messages)) as pool:
        futures = [
            pool.submit(service.handle, InboundMessage("web", text), session_id=session)
            for text, session in messages
        ]
        return [f.result(timeout=120) for f in futures]


def test_two_conversations_are_answered_at_the_same_time(container: Container) -> None:
    service = _service(container, Rendezvous(2))
    replies: list[OutboundReply] = _at_once(
        service,
        [("How do I renew my driver's license?", None), ("How do I pay my water bill?", None)],
    )
    assert [r.status for r in replies] == [Status.ANSWERED, Status.ANSWERED], replies
    assert replies[0].session_id != replies[1].session_id
    assert replies[0].citations[0].doc_id == "renew-drivers-license"
    assert replies[1].citations[0].doc_id == "pay-your-water-bill"


def test_one_conversations_messages_take_turns_and_the_second_sees_the_first(
    container: Container,
) -> None:
    recorder = Recorder(dwell_s=0.3)
    service = _service(container, recorder)
    session = new_session_id()  # a citizen's key; the conversation is under its hash
    container.conversation_store.create(channel="web", conversation_id=conversation_id_for(session))
    replies: list[OutboundReply] = _at_once(
        service,
        [("How do I renew my driver's license?", session), ("how much does it cost?", session)],
    )
    assert all(r.session_id == session for r in replies)
    (_, first_out, _, first_history), (second_in, _, second_text, second_history) = sorted(
        recorder.visits
    )
    assert second_in >= first_out  # never both inside at once
    assert (first_history, second_history) == (0, 2)  # the second turn read the first
    transcript = container.conversation_store.recent(conversation_id_for(session), limit=10)
    assert [t.role for t in transcript] == ["citizen", "assistant", "citizen", "assistant"]
    assert transcript[2].text == second_text


def test_concurrent_turns_give_the_answers_they_give_one_at_a_time(
    container: Container,
) -> None:
    questions = [
        "How do I renew my driver's license?",
        "How do I report a pothole?",
        "When is bulk trash picked up?",
        "How do I pay my water bill?",
        "How do I get a library card?",
        "What documents do I need for a REAL ID?",
        "How do I register to vote?",
        "How do I contest a parking ticket?",
    ]
    service = container.ephemeral_assistant()
    one_at_a_time = [service.handle(InboundMessage("web", q)) for q in questions]
    together: list[OutboundReply] = _at_once(service, [(q, None) for q in questions * 2])
    expected = [(r.status, r.text) for r in one_at_a_time] * 2
    assert [(r.status, r.text) for r in together] == expected


def test_a_conversation_lock_is_forgotten_when_its_turns_are_done() -> None:
    locks = ConversationLocks()
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with locks.hold("a"):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert inside.wait(10)
    assert len(locks) == 1
    with locks.hold("b"):  # another conversation does not wait for "a"
        assert len(locks) == 2
    release.set()
    thread.join(10)
    assert len(locks) == 0
