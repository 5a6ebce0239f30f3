"""What both sides of the handoff queue share: the database, handoff views, and telling
everyone concerned when something changed.

A change is published on the event bus twice over: to staff consoles (``STAFF_TOPIC``)
and to the citizens' chats, whose place in line may have moved with it.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.events import STAFF_TOPIC, EventBus, chat_topic
from assistant.handoffs.delivery import Delivery
from assistant.handoffs.states import LIVE_STATE, NotFoundError
from assistant.handoffs.views import HandoffView, SentMessageOut, view_of
from assistant.handoffs.wait import expected_wait_minutes, line_from
from assistant.models import Handoff, Message, utcnow
from assistant.staff import Staff
from assistant.store import take_seq


class QueueBase:
    """The queue's rows and events; :class:`~assistant.handoffs.queue.HandoffQueue` adds the
    citizen's and the caseworker's actions."""

    def __init__(
        self,
        engine: Engine,
        *,
        staff: Staff,
        events: EventBus,
        minutes_per_case: float = 6.0,
    ) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.staff = staff
        self.events = events
        self.minutes_per_case = minutes_per_case
        #: How a caseworker's reply reaches a citizen on channels other than the web page.
        self.deliveries: dict[str, Delivery] = {}

    def get(self, handoff_id: str) -> HandoffView:
        with self._sessions() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                raise NotFoundError("That conversation does not exist.")
            return view_of(session, row)

    def _add_message(
        self,
        conversation_id: str,
        *,
        role: str,
        text: str,
        author: str | None = None,
        delivery_status: str | None = None,
    ) -> SentMessageOut:
        now = utcnow()
        with self._sessions.begin() as session:
            seq = take_seq(session, conversation_id)
            row = Message(
                conversation_id=conversation_id,
                role=role,
                text=text,
                author=author,
                seq=seq,
                created_at=now,
                delivery_status=delivery_status,
            )
            session.add(row)
            session.flush()
            message_id = row.id
        return SentMessageOut(
            id=message_id,
            seq=seq,
            role=role,
            text=text,
            author=author,
            at=now.isoformat(),
            status=None,
            citations=[],
            delivery_status=delivery_status,
            delivery_error=None,
        )

    def _system_message(self, view: HandoffView, text: str) -> None:
        message = self._add_message(view.conversation_id, role="system", text=text)
        self.events.publish(
            STAFF_TOPIC,
            {"type": "message", "handoff_id": view.id, "message": message.model_dump(mode="json")},
        )

    def _announce(
        self,
        view: HandoffView,
        *,
        created: bool = False,
        was_waiting: bool = False,
        change: dict[str, object] | None = None,
    ) -> None:
        """Tell staff of the change, and the citizens whose place in line it may move:
        the live chats behind ``view`` when it joined or left their line (``was_waiting``
        says whether it was a live chat in line before), else only its own citizen.

        ``change`` says what a caseworker did, for the citizen's page to tell them in its
        own words (``{"change": "joined"}``, ``{"change": "transferred", "team": …}``); it
        goes with the citizen's own event only.
        """
        self.events.publish(
            STAFF_TOPIC,
            {
                "type": "handoff.created" if created else "handoff.updated",
                "handoff": view.to_json(),
            },
        )
        waiting = view.state == LIVE_STATE
        events: list[tuple[str, dict[str, object]]] = []
        if waiting != was_waiting:
            with self._sessions() as session:
                ahead, behind = line_from(
                    session, priority=view.priority, created_at=view.created_at
                )
            for place, (handoff_id, conversation_id, state) in enumerate(behind, start=ahead + 1):
                events.append(
                    (
                        chat_topic(conversation_id),
                        {
                            "type": "handoff",
                            "id": handoff_id,
                            "state": state,
                            "position": place,
                            "expected_wait_minutes": expected_wait_minutes(
                                place, self.minutes_per_case
                            ),
                            **(change if change and handoff_id == view.id else {}),
                        },
                    )
                )
        if not waiting or waiting == was_waiting:  # its own state, when not told above
            events.append(
                (
                    chat_topic(view.conversation_id),
                    {
                        "type": "handoff",
                        **view.citizen_json(minutes_per_case=self.minutes_per_case),
                        **(change or {}),
                    },
                )
            )
        self.events.publish_many(events)  # one round trip to Redis, however many
