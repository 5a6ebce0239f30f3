"""``citizen-assistant sms-sim``: text a running local server as Twilio would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import typer

from assistant.settings import Settings


def sms_sim(
    url: Annotated[
        str, typer.Option(help="The running server (`citizen-assistant serve`).")
    ] = "http://127.0.0.1:8000",
    once: Annotated[
        str | None, typer.Option(help="Send this one message, print the reply and exit.")
    ] = None,
    from_: Annotated[
        str, typer.Option("--from", help="The simulated phone number (a fictional 555-01xx).")
    ] = "+15555550100",
    whatsapp: Annotated[bool, typer.Option(help="Write as a WhatsApp user.")] = False,
) -> None:
    """Text a running local server as Twilio would (signed requests); prints each reply."""
    import httpx

    from channels.sms.signing import auth_token_for
    from channels.sms.simulator import SmsSimulator

    settings = Settings()
    sender = f"whatsapp:{from_}" if whatsapp else from_
    simulator = SmsSimulator(
        url=url, auth_token=auth_token_for(settings), public_url=settings.public_url, from_=sender
    )
    try:
        if once is not None:
            exchange = simulator.send(once)
            typer.echo(exchange.describe())
            if exchange.status_code != 200:
                raise typer.Exit(1)
            return
        typer.echo(f"Texting {url} as {sender}. An empty line ends.", err=True)
        simulator.interact(_prompted_lines("you> "), typer.echo)
    except httpx.HTTPError as error:
        typer.echo(f"Could not reach {url}: {error}. Is `citizen-assistant serve` running?")
        raise typer.Exit(1) from error


def _prompted_lines(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return


def register(app: typer.Typer) -> None:
    """Adds ``sms-sim`` to the command line (called by ``server.cli_app``)."""
    app.command("sms-sim")(sms_sim)
