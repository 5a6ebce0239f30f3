"""Builds the long-lived components once, lazily, from settings (never at import time)."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from assistant.analytics import Analytics
from assistant.answerability import AnswerabilityModel, load_answer_model
from assistant.composer import ExtractiveComposer
from assistant.events import EventBus, InProcessEventBus
from assistant.handoffs import Delivery, HandoffQueue
from assistant.intents import OFF_TOPIC_EXAMPLES
from assistant.language import LanguageDetector
from assistant.people import BringInAPerson, People
from assistant.pipeline import TurnPipeline
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.staff import Staff, password_check_pool
from assistant.stages import (
    Answerability,
    ChooseLanguage,
    Compose,
    Contextualise,
    Escalate,
    FollowOffer,
    InputGuardrails,
    NotePrivacy,
    OutputGuardrails,
    Replies,
    Retrieve,
    RouteMessage,
    ScopeCheck,
    Stage,
)
from assistant.store import ConversationStore, make_engine
from assistant.throttle import Throttle
from assistant.unit_scoring import UnitWeights
from knowledge_base.chunking import Chunker
from knowledge_base.embeddings import Embedder, make_embedder
from knowledge_base.index_store import IndexStore
from knowledge_base.ingest import IndexBuildOptions, Ingestor, IngestReport
from knowledge_base.loaders import load_paths
from knowledge_base.retriever import FusionWeights, HybridRetriever

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from assistant.editorial import EditorDesk
    from assistant.generative import GenerateAnswer
    from assistant.llm import ModelCall
    from assistant.rephrase import RephraseFollowUp
    from assistant.saved_replies import SavedReplies

log = logging.getLogger(__name__)

SAMPLE_KB = Path(__file__).resolve().parent.parent / "knowledge_base" / "sample"


class Container:
    """One per process (or per test): every component is built on first use, then kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        # How a caseworker's reply reaches a citizen, per channel: registered by the
        # composition root (the assistant knows no channel), built on first use.
        self._delivery_factories: dict[str, Callable[[Container], Delivery]] = {}
        self._deliveries: dict[Callable[[Container], Delivery], Delivery] = {}

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(
            self.settings.embedding_backend,
            self.settings.resolved_embedding_model,
            cache_dir=self.settings.resolved_onnx_cache_dir,
            batch_size=self.settings.embedding_batch_size,
            threads=self.settings.torch_threads,
        )

    @cached_property
    def index_store(self) -> IndexStore:
        return IndexStore(
            self.settings.index_dir,
            ef_search=self.settings.hnsw_ef_search,
            keep_versions=self.settings.keep_index_versions,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        s = self.settings
        return Ingestor(
            store=self.index_store,
            embedder=self.embedder,
            chunker=Chunker(chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap),
            options=IndexBuildOptions(
                hnsw_threshold=s.hnsw_threshold,
                hnsw_m=s.hnsw_m,
                ef_construction=s.hnsw_ef_construction,
                ef_search=s.hnsw_ef_search,
            ),
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        return self._retriever_over(self.index_store)

    def _retriever_over(self, store: IndexStore) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            store=store,
            embedder=self.embedder,
            top_k=s.retrieval_top_k,
            weights=FusionWeights(
                dense=s.dense_weight,
                lexical=s.lexical_weight,
                history=s.history_weight,
                focus=s.focus_weight,
                standalone_history=s.standalone_history_weight,
                standalone_terms=s.standalone_terms,
                dense_question=s.dense_question_weight,
                history_turns=s.history_turns,
                rrf_k=s.rrf_k,
                candidates=s.retrieval_candidates,
                spanish_dense=s.spanish_dense_weight,
            ),
        )

    @cached_property
    def language_detector(self) -> LanguageDetector:
        return LanguageDetector(min_confidence=self.settings.language_min_confidence)

    @cached_property
    def replies(self) -> Replies:
        s = self.settings
        return Replies(agency=s.agency_name, contact=s.human_contact, emergency=s.emergency_contact)

    @cached_property
    def pipeline(self) -> TurnPipeline:
        """A turn as evaluation, the editors' preview and `ask` run it: nobody is brought in."""
        return self._pipeline(people=None)

    @cached_property
    def conversation_pipeline(self) -> TurnPipeline:
        """A turn of a stored conversation: a person is brought in when escalation says so."""
        return self._pipeline(people=self.people)

    def _pipeline(self, *, people: People | None) -> TurnPipeline:
        s = self.settings
        replies = self.replies
        return TurnPipeline(
            [
                ChooseLanguage(self.language_detector, replies),
                InputGuardrails(replies),
                FollowOffer(self.language_detector, replies),
                Contextualise(turns=s.history_turns, vector_model=self.embedder.name),
                *([self.rephrase] if self.rephrase is not None else []),
                RouteMessage(replies),
                Retrieve(self.retriever, replies),
                ScopeCheck(
                    embedder=self.embedder,
                    examples=OFF_TOPIC_EXAMPLES,
                    margin=s.out_of_scope_margin,
                    replies=replies,
                ),
                Compose(self.composer, replies=replies),
                self.answerability,
                *([self.generate] if self.generate is not None else []),
                OutputGuardrails(replies, forbidden_terms=s.forbidden_terms),
            ],
            after=[
                Escalate(embedder=self.embedder, repeat_similarity=s.repeat_similarity),
                *([BringInAPerson(people)] if people is not None else []),
                NotePrivacy(),
            ],
            replies=replies,
        )

    @cached_property
    def answer_model(self) -> dict[str, Any]:
        # The fitted answer_model.json as loaded (see load_answer_model: a JSON document).
        return load_answer_model(self.settings.answer_model)

    @property
    def min_confidence(self) -> float:
        """The configured threshold, or the one fitted with the answer model."""
        configured = self.settings.min_confidence
        return float(self.answer_model["min_confidence"] if configured is None else configured)

    @property
    def spanish_min_confidence(self) -> float:
        """The configured Spanish threshold, or the one fitted with the Spanish trees (a
        model file without them: the English threshold)."""
        configured = self.settings.spanish_min_confidence
        if configured is not None:
            return float(configured)
        return float(self.answer_model.get("spanish_min_confidence", self.min_confidence))

    @cached_property
    def composer(self) -> ExtractiveComposer:
        s = self.settings
        return ExtractiveComposer(
            embedder=self.embedder,
            max_chars=s.answer_max_chars,
            prose_chars=s.answer_prose_chars,
            weights=UnitWeights.from_mapping(
                self.answer_model["unit_weights"], self.answer_model.get("section_weights")
            ),
        )

    @cached_property
    def generate(self) -> GenerateAnswer | None:
        """The generative composer's stage when a model is configured (None by default:
        the quoted answer is the answer, and no model client is imported)."""
        s = self.settings
        if s.llm_provider == "none":
            return None
        from assistant.generative import GenerateAnswer, GenerativeComposer

        assert self.model_call is not None
        return GenerateAnswer(
            GenerativeComposer(
                call=self.model_call,
                embedder=self.embedder,
                agency=s.agency_name,
                sources=s.llm_sources,
                min_support=s.llm_min_support,
                min_kept=s.llm_min_kept,
                token_budget=s.token_budget,
                forbidden_terms=s.forbidden_terms,
            )
        )

    @cached_property
    def model_call(self) -> ModelCall | None:
        """The agency's language model (None by default: no client is imported)."""
        s = self.settings
        if s.llm_provider == "none":
            return None
        from assistant.llm import ModelCall, make_chat_model

        return ModelCall(
            make_chat_model(s), provider=s.llm_provider, timeout_seconds=s.llm_timeout_seconds
        )

    @cached_property
    def rephrase(self) -> RephraseFollowUp | None:
        """The follow-up rewriting stage, when a model is configured and it is switched on."""
        if self.model_call is None:
            return None
        from assistant.rephrase import make_rephraser

        return make_rephraser(self.settings, self.model_call)

    @cached_property
    def answerability(self) -> Answerability:
        return Answerability(
            AnswerabilityModel.from_json(self.answer_model["answerability"]),
            min_confidence=self.min_confidence,
            caveat_below=self.settings.answer_caveat_below,
            replies=self.replies,
            spanish_model=(
                AnswerabilityModel.from_json(self.answer_model["answerability_es"])
                if "answerability_es" in self.answer_model
                else None
            ),
            spanish_min_confidence=self.spanish_min_confidence,
            composer=self.composer,
            offer_above=self.settings.offer_min_confidence,
            statement_discount=self.settings.statement_confidence_discount,
        )

    def pipeline_over(self, store: IndexStore) -> TurnPipeline:
        """The same turn, answering from ``store`` (the editors' preview of unpublished drafts)."""
        live = self.pipeline
        stages: list[Stage] = []
        for stage in live.stages:
            if isinstance(stage, Retrieve):
                stages.append(Retrieve(self._retriever_over(store), self.replies))
            else:
                stages.append(stage)
        return TurnPipeline(stages, after=live.after, replies=self.replies)

    @cached_property
    def engine(self) -> Engine:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def conversation_store(self) -> ConversationStore:
        return ConversationStore(self.engine)  # runs the migrations once

    @cached_property
    def analytics(self) -> Analytics:
        self.conversation_store  # noqa: B018 - the schema must exist first
        return Analytics(self.engine)

    @cached_property
    def staff(self) -> Staff:
        self.conversation_store  # noqa: B018 - the schema must exist first
        return Staff(
            self.engine, session_hours=self.settings.staff_session_hours, events=self.events
        )

    @cached_property
    def saved_replies(self) -> SavedReplies:
        from assistant.saved_replies import SavedReplies

        return SavedReplies(self.engine, staff=self.staff)

    @cached_property
    def editor_desk(self) -> EditorDesk:
        from assistant.editorial import EditorDesk
        from knowledge_base.uploads import MB

        s = self.settings
        return EditorDesk(
            engine=self.engine,
            index_store=self.index_store,
            ingestor=self.ingestor,
            staff=self.staff,
            live_pipeline=self.pipeline,
            pipeline_over=self.pipeline_over,
            embedder=self.embedder,
            review_interval=timedelta(days=s.review_interval_days),
            upload_max_bytes=int(s.upload_max_mb * MB),
        )

    @cached_property
    def throttle(self) -> Throttle:
        """Rate limits and sign-in lockouts (in memory, or shared through Redis)."""
        return Throttle.from_settings(self.settings)

    @cached_property
    def password_checks(self) -> ThreadPoolExecutor:
        """The threads that hash passwords: their own few, at low CPU priority, not the
        pool turns run in. 80 sign-ins at once took every worker thread and 1.5 GB of
        Argon2 memory, and citizens' turns waited seconds behind them."""
        return password_check_pool(self.settings.password_hash_concurrency)

    @cached_property
    def password_check_slots(self) -> asyncio.Semaphore:
        """One per password-check thread: sign-ins wait for a slot on the event loop, where
        waiting costs nothing, and look at the lockout only once they have one."""
        return asyncio.Semaphore(self.settings.password_hash_concurrency)

    @cached_property
    def events(self) -> EventBus:
        """In this process, or across replicas over Redis when ``CA_REDIS_URL`` is set."""
        if self.settings.redis_url:
            from assistant.events_redis import RedisEventBus  # redis loads only when used

            return RedisEventBus(self.settings.redis_url)
        return InProcessEventBus()

    @cached_property
    def handoffs(self) -> HandoffQueue:
        queue = HandoffQueue(
            self.engine,
            staff=self.staff,
            events=self.events,
            minutes_per_case=self.settings.handoff_minutes_per_case,
        )
        for channel in self._delivery_factories:
            queue.deliveries[channel] = self._deliver_through(channel)
        return queue

    def register_delivery(
        self, channels: Iterable[str], factory: Callable[[Container], Delivery]
    ) -> None:
        """Caseworkers' replies to citizens on ``channels`` go through what ``factory``
        builds from this container, on first use (a channel's libraries load only then)."""
        for channel in channels:
            self._delivery_factories[channel] = factory
            if "handoffs" in self.__dict__:
                self.handoffs.deliveries[channel] = self._deliver_through(channel)

    def delivery(self, channel: str) -> Delivery | None:
        """The channel's registered delivery (built now if it was not yet), or None."""
        factory = self._delivery_factories.get(channel)
        if factory is None:
            return None
        with self._lock:  # channels that share a factory (SMS, WhatsApp) share what it built
            if factory not in self._deliveries:
                self._deliveries[factory] = factory(self)
            return self._deliveries[factory]

    def _deliver_through(self, channel: str) -> Delivery:
        def deliver(conversation_id: str, text: str, *, message_id: int, handoff_id: str) -> None:
            delivery = self.delivery(channel)
            assert delivery is not None, f"no delivery registered for {channel}"
            delivery(conversation_id, text, message_id=message_id, handoff_id=handoff_id)

        return deliver

    @cached_property
    def people(self) -> People:
        s = self.settings
        return People(
            queue=self.handoffs,
            staff=self.staff,
            hours=s.opening_hours,
            online_window=timedelta(minutes=s.staff_online_minutes),
            replies=self.replies,
            default_team=s.default_team,
            team_routes=s.team_routes,
            topic_of=self._topic_of,
            title_of=self._title_of,
        )

    def _topic_of(self, doc_id: str) -> tuple[str | None, str | None]:
        snapshot = self.index_store.snapshot()
        record = snapshot.manifest.documents.get(doc_id) if snapshot else None
        return (record.topic, record.agency) if record else (None, None)

    def _title_of(self, doc_id: str) -> str | None:
        snapshot = self.index_store.snapshot()
        record = snapshot.manifest.documents.get(doc_id) if snapshot else None
        return record.title if record else None

    def teams(self) -> list[str]:
        return sorted(
            {self.settings.default_team, *self.settings.team_routes.values()}
            | {t for u in self.staff.users() for t in u.teams}
        )

    @cached_property
    def assistant(self) -> AssistantService:
        return AssistantService(
            pipeline=self.conversation_pipeline,
            store=self.conversation_store,
            history_turns=self.settings.session_history_turns,
            idle_timeout=timedelta(minutes=self.settings.conversation_idle_minutes),
            people=self.people,
        )

    def ephemeral_assistant(self) -> AssistantService:
        """For `ask`: the same pipeline, nothing stored."""
        return AssistantService(
            pipeline=self.pipeline, store=None, history_turns=self.settings.session_history_turns
        )

    def ingest_paths(self, paths: list[Path], *, show_progress: bool = False) -> IngestReport:
        loaded = load_paths(paths)
        return self.ingestor.ingest(
            loaded.documents, errors=loaded.errors, show_progress=show_progress
        )

    def ensure_knowledge_base(self, *, show_progress: bool = False) -> IngestReport | None:
        """Make the live index one the current settings can search, before serving.

        An empty index gets the bundled sample (first start). A live version built with
        another embedding model (other weights, or the other backend), dimension or
        chunking is re-embedded from the documents it stores; otherwise every query
        would be compared with another model's vectors. ``None`` when nothing was done.
        """
        with self._lock:
            if self.index_store.current_version() is not None:
                return self.ingestor.rebuild_if_stale(show_progress=show_progress)
            if not self.settings.sample_kb_on_empty:
                return None
            log.info("empty knowledge base: ingesting the bundled sample from %s", SAMPLE_KB)
            return self.ingest_paths([SAMPLE_KB], show_progress=show_progress)

    def warm_up(self) -> None:
        """Load the model and the index now, so the first citizen does not wait."""
        self.embedder.embed_query("warm up")
        snapshot = self.index_store.snapshot()
        if snapshot is not None:  # built on first use otherwise, inside a citizen's turn
            snapshot.rows_by_doc  # noqa: B018
            snapshot.english_term_document_frequency  # noqa: B018
            if snapshot.language_mask("es").any():  # English questions skip the Spanish pages
                # The Spanish pages' own BM25, vocabulary and speller: built on the first
                # Spanish question otherwise, which waited for it (at 10k passages, with
                # ~1,500 Spanish ones, about 1.3 s of CPU in that citizen's turn).
                snapshot.language_rows("es")
        for stage in self.pipeline.stages:
            if isinstance(stage, ScopeCheck):
                stage.warm_up()
        self.language_detector.warm_up()
