"""Spanish end to end in the assistant: the language of each message, kept on the
conversation, the catalog the replies come from, and answers from the Spanish pages."""

from __future__ import annotations

import re
import string
from io import BytesIO

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from assistant import canned
from assistant.container import Container
from assistant.language import LanguageChoice, LanguageDetector, choose, keyword_language
from assistant.settings import Settings
from assistant.staff import Role
from assistant.store import conversation_id_for
from assistant.turns import InboundMessage, Status

PASSWORD = "a long enough password"
PO = canned.LOCALE_DIR / "es" / "LC_MESSAGES" / f"{canned.DOMAIN}.po"
MO = PO.with_suffix(".mo")


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(min_confidence=0.75)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ---- the catalog ---------------------------------------------------------------------
def test_every_sentence_has_a_spanish_translation_with_the_same_placeholders() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    for message in messages:
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        assert _placeholders(str(message.string)) == _placeholders(str(message.id)), message.id


def test_the_committed_mo_file_is_the_po_file_compiled() -> None:
    """An installed package reads the .mo: it must say what the reviewed .po says."""
    with PO.open("rb") as source:
        catalog = read_po(source)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    assert MO.read_bytes() == compiled.getvalue(), "run `make messages` and commit the .mo"


def test_every_canned_reply_is_in_the_catalog() -> None:
    with PO.open("rb") as source:
        ids = {m.id for m in read_po(source) if m.id}
    settings = ("DEFAULT_LANGUAGE", "DOMAIN")
    replies = [
        v
        for k, v in vars(canned).items()
        if k.isupper() and k not in settings and isinstance(v, str) and v
    ]
    assert len(replies) > 30
    assert [r for r in replies if r not in ids] == []


def test_a_canned_reply_in_spanish_keeps_the_emergency_numbers_first(
    container: Container,
) -> None:
    crisis = container.replies(canned.CRISIS, language="es")
    english = container.replies(canned.CRISIS)
    assert crisis.startswith("Si está en peligro ahora mismo, llame al 911.")
    numbers = re.compile(r"\b(?:911|988|1-800-799-7233)\b")
    assert numbers.findall(crisis) == numbers.findall(english) == ["911", "988", "1-800-799-7233"]


# ---- the language of a message ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿Cómo solicito cupones de alimentos?", "es"),
        ("como pago mi factura de agua", "es"),  # no accents, no question marks
        ("hablar con una persona", "es"),
        ("hola", "es"),
        ("How do I renew my driver's license?", "en"),
        ("what about the EBT card", "en"),
    ],
)
def test_the_language_of_a_message(detector: LanguageDetector, text: str, expected: str) -> None:
    assert choose(text, requested=None, remembered=None, detector=detector).language == expected


@pytest.mark.parametrize("text", ["ok", "SNAP", "311", "EBT?"])
def test_a_message_too_short_to_tell_keeps_the_conversations_language(
    detector: LanguageDetector, text: str
) -> None:
    spanish = LanguageChoice("es", chosen=False)
    assert choose(text, requested=None, remembered=spanish, detector=detector) == spanish


def test_a_chosen_language_holds_until_another_is_chosen(detector: LanguageDetector) -> None:
    assert keyword_language("¡ESPAÑOL!") == "es" and keyword_language("espanol") == "es"
    assert keyword_language("English") == "en"
    assert keyword_language("español por favor, cómo pago el agua") is None
    chosen = choose("ESPAÑOL", requested=None, remembered=None, detector=detector)
    assert chosen == LanguageChoice("es", chosen=True)
    english_text = "How do I pay my water bill?"
    assert choose(english_text, requested=None, remembered=chosen, detector=detector) == chosen
    # The page's switch is a choice too, and wins over the message.
    assert choose(english_text, requested="es", remembered=None, detector=detector).language == (
        "es"
    )


# ---- a conversation -------------------------------------------------------------------
def test_a_spanish_conversation_is_answered_and_remembered_in_spanish(
    container: Container,
) -> None:
    first = container.assistant.handle(
        InboundMessage("web", "¿Hay un programa de ayuda para pagar la factura del agua?")
    )
    assert first.language == "es"
    assert first.status is Status.ANSWERED
    assert first.citations and first.citations[0].doc_id == "pagar-su-factura-de-agua"
    assert "25%" in first.text and "Programa de Ayuda con el Agua" in first.text
    stored = container.conversation_store.language_of(conversation_id_for(first.session_id))
    assert stored == LanguageChoice("es", chosen=False)
    # "ok" alone says no language: the conversation stays Spanish.
    ok = container.assistant.handle(
        InboundMessage("web", "ok gracias"), session_id=first.session_id
    )
    assert ok.language == "es" and ok.status is Status.SMALLTALK_THANKS
    assert ok.text.startswith("De nada.")


def test_a_spanish_keyword_switches_the_conversation_and_english_switches_it_back(
    container: Container,
) -> None:
    reply = container.assistant.handle(InboundMessage("sms", "ESPAÑOL", conversation_key="k-es"))
    assert reply.status is Status.SMALLTALK_LANGUAGE
    assert reply.text.startswith("Le responderé en español.")
    # Chosen: an English question is still answered in Spanish (the catalog's replies).
    thanks = container.assistant.handle(InboundMessage("sms", "thanks", conversation_key="k-es"))
    assert thanks.language == "es" and thanks.text.startswith("De nada.")
    back = container.assistant.handle(InboundMessage("sms", "ENGLISH", conversation_key="k-es"))
    assert back.text.startswith("I will answer in English.")
    hello = container.assistant.handle(InboundMessage("sms", "hi there", conversation_key="k-es"))
    assert hello.language == "en" and hello.text.startswith("Hello!")


def staffed(settings: Settings) -> Container:
    """Caseworkers always on duty, one signed in (as in test_people)."""
    container = Container(settings.model_copy(update={"staff_hours": "always"}))
    container.staff.create(username="ana", password=PASSWORD, role=Role.CASEWORKER)
    assert container.staff.sign_in("ana", PASSWORD) is not None
    return container


def test_asking_for_a_person_in_spanish_brings_one_in_spanish(settings: Settings) -> None:
    container = staffed(settings)
    reply = container.assistant.handle(InboundMessage("web", "Quiero hablar con una persona"))
    assert reply.status is Status.HANDOFF_REQUESTED
    assert reply.handoff is not None and reply.handoff.position == 1
    assert reply.text.startswith("Le pedí a un trabajador social que se una a esta conversación.")
    # The caseworker's console shows the conversation's language.
    view = container.handoffs.open_for(reply.conversation_id)
    assert view is not None and view.language == "es"


def test_with_nobody_on_duty_the_call_back_is_offered_in_spanish(settings: Settings) -> None:
    container = Container(settings)  # nobody signed in
    reply = container.assistant.handle(InboundMessage("web", "necesito hablar con alguien"))
    assert reply.status is Status.HANDOFF_CALLBACK_OFFERED
    assert reply.text.startswith("No hay un trabajador social disponible en este momento")


def test_a_crisis_in_spanish_gets_the_emergency_numbers_and_a_person(settings: Settings) -> None:
    container = staffed(settings)
    reply = container.assistant.handle(InboundMessage("web", "no quiero vivir"))
    assert reply.status is Status.GUARDRAIL_CRISIS
    assert reply.text.startswith("Si está en peligro ahora mismo, llame al 911.")
    assert reply.handoff is not None  # escalated at once, at the front of the queue


def test_english_questions_are_never_answered_from_spanish_pages(container: Container) -> None:
    for question in ("How do I apply for food stamps?", "How much is a parking ticket?"):
        ctx_reply = container.assistant.handle(InboundMessage("web", question))
        assert ctx_reply.language == "en"
        assert ctx_reply.citations, question
        assert all(not c.url or "/es/" not in c.url for c in ctx_reply.citations), question


# ---- the Spanish answer decision --------------------------------------------------------
def test_a_spanish_pages_words_are_read_with_the_spanish_stemmer(container: Container) -> None:
    """The answer decision compares a Spanish question's stems with its page's: the page's
    terms must be made the same way (English stems of "solicitar" match no question)."""
    container.ensure_knowledge_base()
    snapshot = container.index_store.snapshot()
    assert snapshot is not None
    from knowledge_base.lexical_index import tokenize_english, tokenize_spanish

    terms = snapshot.document_terms("solicitar-asistencia-alimentaria-snap")
    [spanish] = tokenize_spanish(["cupones de alimentos"])
    [english] = tokenize_english(["cupones de alimentos"])
    assert set(spanish) <= terms
    assert set(english) != set(spanish) and not set(english) <= terms
    # An English page keeps its English terms.
    assert set(tokenize_english(["renewal fee"])[0]) <= snapshot.document_terms(
        "renew-drivers-license"
    )


def test_a_spanish_top_hit_scores_on_the_english_fusions_scale(container: Container) -> None:
    """A Spanish search has no dense ranking in its fusion; its scores carry the weight the
    dense ranking has in English, so the first lexical hit scores as an English first hit
    found by both rankings would."""
    from knowledge_base.retriever import RetrievalQuery

    container.ensure_knowledge_base()
    w = container.retriever.weights
    found = container.retriever.retrieve(
        RetrievalQuery(text="¿Cómo solicito cupones de alimentos?", language="es")
    )
    assert found.hits[0].chunk.language == "es"
    assert found.hits[0].lexical_rank == 0
    assert found.hits[0].score == pytest.approx((w.dense + w.lexical) / (w.rrf_k + 1))


def test_spanish_turns_are_decided_by_the_spanish_trees(container: Container) -> None:
    """The issue's first example: answered in Spanish from the Spanish SNAP page, decided by
    the trees fitted with the Spanish questions (the English ones scored it 0.08)."""
    model = container.answer_model
    assert "answerability_es" in model and model["spanish_min_confidence"] > 0
    reply = container.assistant.handle(
        InboundMessage("web", "¿Cómo solicito cupones de alimentos?")
    )
    assert reply.language == "es"
    assert reply.status is Status.ANSWERED
    assert reply.citations[0].doc_id == "solicitar-asistencia-alimentaria-snap"
    stage = container.answerability
    assert stage.spanish_model is not stage.model
    assert stage.spanish_min_confidence == model["spanish_min_confidence"]
    # A service no page covers is still refused in Spanish.
    passport = container.assistant.handle(InboundMessage("web", "¿Cómo saco un pasaporte?"))
    assert passport.status is Status.UNANSWERABLE_LOW_CONFIDENCE
