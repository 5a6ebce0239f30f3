"""SMS and WhatsApp through Twilio: the signed webhook, phone formatting, opt-outs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.container import Container
    from assistant.handoffs import Delivery

CHANNELS = ("sms", "whatsapp")


def register(container: Container) -> None:
    """Caseworkers' replies to citizens who texted go back by text (called by the
    composition root; Twilio's library loads with the first such reply)."""
    container.register_delivery(CHANNELS, _text_delivery)


def start_outbox(container: Container) -> None:
    """Work the text outbox from this replica: replies queued here or on any other, and
    those a replica killed mid-send left behind (called at start when SMS is enabled)."""
    from channels.sms.delivery import TextDelivery

    delivery = container.delivery(CHANNELS[0])
    if isinstance(delivery, TextDelivery):
        delivery.outbox.start()


def stop_outbox(container: Container) -> None:
    """Stop this replica's outbox workers (at shutdown), if they were started."""
    from channels.sms.delivery import TextDelivery

    delivery = container.delivery(CHANNELS[0])
    if isinstance(delivery, TextDelivery):
        delivery.outbox.stop()


def _text_delivery(container: Container) -> Delivery:
    from channels.sms.delivery import TextDelivery

    return TextDelivery(container)
