"""What an operator reads: /metrics, and a request id in the response and the log lines."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from tests.conftest import LiveServer


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text, or 0 when it is not there."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # as it prints them
    pattern = re.escape(name + ("{" + wanted + "}" if wanted else "")) + r" ([0-9.e+-]+)"
    found = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_turns_by_status_time_stages_and_read_the_queue(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        before = client.get("/metrics").text
        reply = client.post("/api/chat", json={"message": "How do I renew my driver's license?"})
        assert reply.json()["status"] == "answered"
        container = live_server.app.state.container
        conversation = container.conversation_store.create(channel="web")
        container.handoffs.open(
            conversation_id=conversation,
            channel="web",
            reasons=["requested"],
            priority=10,
            summary="needs help",
            team="General",
        )
        scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    after = scraped.text
    turns = "citizen_assistant_turns_total"
    labels = {"status": "answered", "channel": "web"}
    assert _sample(after, turns, **labels) == _sample(before, turns, **labels) + 1
    retrieve = {"stage": "retrieve"}
    assert _sample(after, "citizen_assistant_turn_seconds_count", **retrieve) >= 1
    assert _sample(after, "citizen_assistant_turn_seconds_sum", stage="total") > 0
    assert _sample(after, "citizen_assistant_handoffs", state="waiting") == 1
    assert _sample(after, "citizen_assistant_handoffs", state="claimed") == 0
    assert "citizen_assistant_handoff_oldest_wait_seconds" in after
    assert "process_cpu_seconds_total" in after  # the client library's own figures


def test_a_request_id_is_answered_and_on_every_log_line_of_the_request(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        mine = client.post(
            "/api/chat",
            json={"message": "How much is a parking permit?"},
            headers={"X-Request-ID": "lb-7f3a.2"},
        )
        made_up = client.get("/healthz", headers={"X-Request-ID": "<script>bad id</script>"})
    assert mine.headers["X-Request-ID"] == "lb-7f3a.2"
    assert re.fullmatch(r"[0-9a-f]{16}", made_up.headers["X-Request-ID"])  # replaced
    turn_lines = [r for r in caplog.records if r.name == "assistant.service"]
    assert turn_lines and all(r.request_id == "lb-7f3a.2" for r in turn_lines)  # type: ignore[attr-defined]
    outside = logging.getLogger("outside").makeRecord("outside", logging.INFO, "", 0, "x", (), None)
    assert outside.request_id == "-"  # type: ignore[attr-defined]
