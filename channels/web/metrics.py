"""``GET /metrics``: this replica's figures in Prometheus' text format (see assistant.metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from assistant.metrics import HANDOFF_OLDEST_WAIT, HANDOFFS
from channels.web.deps import HandoffsDep

router = APIRouter()


@router.get(
    "/metrics",
    tags=["health"],
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format.",
        }
    },
)
async def metrics(handoffs: HandoffsDep) -> Response:
    """Turn latency by stage, turns by status, the handoff queue, text deliveries, live
    events and knowledge base publications. Scrape it from inside the deployment."""
    counts, oldest_wait = await run_in_threadpool(handoffs.queue_figures)
    for state, count in counts.items():
        HANDOFFS.labels(state=state).set(count)
    HANDOFF_OLDEST_WAIT.set(oldest_wait)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
