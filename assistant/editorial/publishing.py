"""Publishing: the open drafts become the next index version, and an earlier one can be
made live again.

:meth:`Publishing.publish` builds the next version from the live one plus the drafts —
embedding only the documents that changed — and switches to it atomically; every process
sharing the index folder answers from it on its next request.
:meth:`Publishing.restore` points the live version back at an earlier one. Both hold the
index store's writer lock, so publishes and restores from any process follow one another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.editorial.drafts import Drafts
from assistant.editorial.errors import Conflict, NotFound
from assistant.editorial.views import (
    PublicationOut,
    RestoreOut,
    VersionOut,
    VersionsOut,
)
from assistant.metrics import INDEX_PUBLICATIONS
from assistant.models import Draft, Publication, aware, utcnow
from assistant.staff import AuditEntryOut, Staff
from knowledge_base.index_store import IndexStore
from knowledge_base.ingest import Ingestor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PublishResult:
    version: str
    previous_version: str | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded: int = 0  # passages embedded for this version
    seconds: float = 0.0  # the API shows it to the hundredth


class Publishing:
    """Publishes drafts, restores earlier versions, and lists both with the editors' log."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        index_store: IndexStore,
        ingestor: Ingestor,
        drafts: Drafts,
        staff: Staff,
    ) -> None:
        self._sessions = sessions
        self.index_store = index_store
        self.ingestor = ingestor
        self.drafts = drafts
        self.staff = staff

    def publish(self, *, actor: str, draft_ids: Sequence[str] | None = None) -> PublishResult:
        """Build the next version from live + drafts, switch to it, mark the drafts published."""
        with self.index_store.writer():
            drafts = self.drafts.open(draft_ids)
            if draft_ids is not None and len(drafts) != len(set(draft_ids)):
                raise NotFound("Some of those drafts are not open any more; reload the list.")
            if not drafts:
                raise Conflict("There are no drafts to publish.")
            previous = self.index_store.current_version()
            documents, retired = self.drafts.changes(drafts)
            report, snapshot = self.ingestor.prepare(documents, remove=retired)
            if snapshot is not None:
                self.index_store.publish(snapshot)
            version = self.index_store.current_version() or ""
            with self._sessions.begin() as session:
                for draft in drafts:
                    row = session.get(Draft, draft.id)
                    if row is None or row.state != "draft":
                        continue
                    if aware(row.updated_at) != aware(draft.updated_at):
                        # Edited while this publish was being built: what was read went
                        # live, and the newer edit stays an open draft for the next one.
                        live = self.index_store.snapshot()
                        record = live.manifest.documents.get(row.doc_id) if live else None
                        row.base_hash = record.content_hash if record else None
                        continue
                    row.state = "published"
                    row.published_version = version
                    row.updated_at = utcnow()
                summary = {
                    "added": report.added,
                    "updated": report.updated,
                    "removed": report.removed,
                    "unchanged": report.unchanged,
                }
                session.add(
                    Publication(
                        action="publish",
                        version=version,
                        previous_version=previous,
                        actor=actor,
                        summary=summary,
                    )
                )
        self.staff.audit(
            actor=actor,
            action="kb.publish",
            target=version,
            detail={"previous_version": previous, **summary},
        )
        log.info("publish by %s: %s", actor, report.summary())
        INDEX_PUBLICATIONS.labels(action="publish").inc()
        return PublishResult(
            version=version,
            previous_version=previous,
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            embedded=report.chunks_embedded,
            seconds=report.seconds,
        )

    def versions(self) -> VersionsOut:
        live = self.index_store.current_version()
        rows = []
        for version in reversed(self.index_store.versions()):
            try:
                manifest = self.index_store.manifest(version)
            except (OSError, ValueError, KeyError):  # pruned while we looked
                continue
            rows.append(
                VersionOut(
                    version=version,
                    created_at=manifest.created_at,
                    documents=len(manifest.documents),
                    live=version == live,
                )
            )
        with self._sessions() as session:
            publications = session.scalars(
                select(Publication).order_by(Publication.id.desc()).limit(50)
            ).all()
        return VersionsOut(
            live=live, versions=rows, publications=[_publication(p) for p in publications]
        )

    def restore(self, *, actor: str, version: str | None = None) -> RestoreOut:
        """Make ``version`` live again; without one, undo the last publish or restore."""
        with self.index_store.writer():
            live = self.index_store.current_version()
            target = version or self._undo_target(live)
            if target is None:
                raise Conflict("There is no earlier version to restore.")
            if target == live:
                raise Conflict("That version is already live.")
            if target not in self.index_store.versions():
                raise NotFound(f"There is no stored version {target!r}; it may have been pruned.")
            if self.index_store.manifest(target).config != self.ingestor.config:
                raise Conflict(
                    "That version was built with another embedding model or passage size, "
                    "so this server cannot answer from it. Publish the documents again instead."
                )
            self.index_store.restore(target)
            with self._sessions.begin() as session:
                session.add(
                    Publication(
                        action="restore", version=target, previous_version=live, actor=actor
                    )
                )
        self.staff.audit(
            actor=actor, action="kb.restore", target=target, detail={"previous_version": live}
        )
        INDEX_PUBLICATIONS.labels(action="restore").inc()
        return RestoreOut(version=target, previous_version=live)

    def _undo_target(self, live: str | None) -> str | None:
        """The version the live one was published over (undo again goes further back)."""
        stored = self.index_store.versions()
        with self._sessions() as session:
            made = session.scalars(
                select(Publication)
                .where(Publication.version == live, Publication.action == "publish")
                .order_by(Publication.id.desc())
                .limit(1)
            ).first()
        if made is not None:
            return made.previous_version if made.previous_version in stored else None
        earlier = [v for v in stored if live is None or v < live]
        return earlier[-1] if earlier else None

    def audit(self, *, limit: int = 100) -> list[AuditEntryOut]:
        return self.staff.audit_log(limit=limit, action_prefix="kb.")


def _publication(row: Publication) -> PublicationOut:
    return PublicationOut(
        id=row.id,
        action=row.action,
        version=row.version,
        previous_version=row.previous_version,
        actor=row.actor,
        at=aware(row.at).isoformat(),
        summary=row.summary,
    )
