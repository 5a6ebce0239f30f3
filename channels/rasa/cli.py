"""``citizen-assistant rasa-actions``: serve the Rasa custom actions with rasa-sdk."""

from __future__ import annotations

from typing import Annotated

import typer


def rasa_actions(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback: Rasa runs beside it).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5055,
) -> None:
    """Serve the Rasa custom actions (channels/rasa/actions.py) with rasa-sdk."""
    from channels.rasa.server import run_action_server

    run_action_server(host=host, port=port)


def register(app: typer.Typer) -> None:
    """Adds ``rasa-actions`` to the command line (called by ``server.cli_app``)."""
    app.command("rasa-actions")(rasa_actions)
