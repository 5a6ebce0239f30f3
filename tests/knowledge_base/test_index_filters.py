"""Metadata filters select exactly the passages whose metadata matches."""

from __future__ import annotations

import numpy as np

from assistant.container import Container


def test_document_filters_select_exactly_those_documents_passages(
    shared_container: Container,
) -> None:
    snapshot = shared_container.index_store.snapshot()
    assert snapshot is not None
    agency = snapshot.chunks[0].agency
    assert agency is not None
    for filters in (
        {"doc_id": "renew-drivers-license"},
        {"doc_id": ["renew-drivers-license", "get-a-real-id"]},
        {"doc_id": ["no-such-page"]},
        {"doc_id": ["renew-drivers-license", "report-a-pothole"], "agency": agency},
    ):
        expected = np.array(
            [
                all(
                    getattr(c, key) in ({wanted} if isinstance(wanted, str) else set(wanted))
                    for key, wanted in filters.items()
                )
                for c in snapshot.chunks
            ]
        )
        mask = snapshot.mask(filters)
        assert mask is not None
        assert np.array_equal(mask, expected), filters
    assert snapshot.mask({"doc_id": "renew-drivers-license"}).sum() == len(  # type: ignore[union-attr]
        snapshot.rows_by_doc["renew-drivers-license"]
    )
