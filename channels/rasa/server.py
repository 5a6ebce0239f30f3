"""Runs rasa-sdk's action server with this package's actions, on loopback by default."""

from __future__ import annotations

import os

ACTIONS_MODULE = "channels.rasa.actions"


def run_action_server(*, host: str = "127.0.0.1", port: int = 5055) -> None:
    """Serve ``POST /webhook`` for Rasa until interrupted.

    rasa-sdk reads its bind address from ``SANIC_HOST`` (its own default is every
    interface); Rasa normally runs beside it, so loopback is the safe default here.
    """
    os.environ["SANIC_HOST"] = host
    from rasa_sdk import utils
    from rasa_sdk.endpoint import run
    from rasa_sdk.executor import ActionExecutor

    utils.configure_colored_logging("INFO")
    executor = ActionExecutor()
    executor.register_package(ACTIONS_MODULE)
    run(executor, port=port, cors_origins=[])
