"""What an operator scrapes at ``GET /metrics`` (Prometheus text format), one replica each.

The metric objects live in prometheus-client's default registry, so the process and
platform figures it collects (CPU, memory, open files, GC) come along. Counters and
histograms are per process; the handoff queue's gauges are read from the database when
scraped, so every replica reports the same queue (sum or max them, do not add them up).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

# A turn takes ~10 ms here; retrieval of a large index or a generated answer, seconds.
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

TURN_SECONDS = Histogram(
    "citizen_assistant_turn_seconds",
    'Time spent in each stage of a turn, and in the whole turn (stage="total").',
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
TURNS = Counter(
    "citizen_assistant_turns_total",
    "Turns by how they ended (the machine-readable status) and channel.",
    ["status", "channel"],
)
HANDOFFS = Gauge(
    "citizen_assistant_handoffs",
    "Handoffs by state (open ones: waiting, claimed, callback_requested), read at scrape.",
    ["state"],
)
HANDOFF_OLDEST_WAIT = Gauge(
    "citizen_assistant_handoff_oldest_wait_seconds",
    "How long the longest-waiting citizen has been in the queue (0 when nobody waits).",
)
TEXT_DELIVERIES = Counter(
    "citizen_assistant_text_deliveries_total",
    "Caseworker replies sent by SMS or WhatsApp, by outcome (sent, retrying, delivered, "
    "failed, undelivered …).",
    ["outcome"],
)
EVENTS_PUBLISHED = Counter(
    "citizen_assistant_events_published_total",
    "Live events handed to the Redis bus (outcome=published), or kept to this replica "
    "because Redis could not be reached (outcome=failed).",
    ["outcome"],
)
OFFERS = Counter(
    "citizen_assistant_offers_total",
    'Replies not sure enough to answer that offered a page ("Did you mean ...?", '
    "outcome=made), and the citizens' answers to them (taken: a yes, answered from that "
    "page; declined: a no).",
    ["outcome"],
)
INDEX_PUBLICATIONS = Counter(
    "citizen_assistant_index_publications_total",
    "Knowledge base versions made live from this replica (publish or restore).",
    ["action"],
)


def record_turn(*, status: str, channel: str, timings_ms: Mapping[str, float]) -> None:
    """Count a finished turn and observe its stage timings (none for a message passed
    to a caseworker: no pipeline ran, and a zero would flatter the latency)."""
    TURNS.labels(status=status, channel=channel).inc()
    if not timings_ms:
        return
    total = 0.0
    for stage, ms in timings_ms.items():
        TURN_SECONDS.labels(stage=stage).observe(ms / 1000)
        total += ms
    TURN_SECONDS.labels(stage="total").observe(total / 1000)


def record_offer(*, made: bool, taken: bool, declined: bool) -> None:
    """Count a turn's part in "Did you mean ...?": an offer made, or the answer to one."""
    for outcome, happened in (("made", made), ("taken", taken), ("declined", declined)):
        if happened:
            OFFERS.labels(outcome=outcome).inc()
