"""Which language a citizen writes in, message by message, and which one to answer in.

The detector is lingua (offline, built for short and mixed texts), restricted to the
languages the assistant answers in: asked only "English or Spanish?", it needs fewer
letters to be sure than a detector that weighs seventy languages. A short or mixed
message it is not sure of ("ok", "SNAP", "311") keeps the conversation's language; a
language the citizen chose (the page's switch, a text such as ESPAÑOL) is kept until
they choose another.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from assistant.canned import DEFAULT_LANGUAGE, LANGUAGES

if TYPE_CHECKING:
    from lingua import LanguageDetector as LinguaDetector

#: Whole messages that choose a language (accents, case and punctuation ignored).
_KEYWORDS: Final = {
    **dict.fromkeys(("espanol", "en espanol", "spanish", "castellano"), "es"),
    **dict.fromkeys(("english", "ingles", "en ingles"), "en"),
}


def _plain(text: str) -> str:
    """Lower case, no accents, no punctuation: "¡ESPAÑOL!" -> "espanol"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in letters).split())


#: Words of one message too short for the detector to be sure of, that only Spanish uses.
_SPANISH_WORDS: Final = frozenset(("hola", "buenas", "buenos dias", "buenas tardes", "adios"))
#: One word ("ok", "no") is easily either language: it needs more certainty to count.
_ONE_WORD_CONFIDENCE: Final = 0.95


def keyword_language(text: str) -> str | None:
    """The language a whole message names ("ESPAÑOL", "english"), if it is one."""
    return _KEYWORDS.get(_plain(text)) if len(text) <= 20 else None


class LanguageDetector:
    """English or Spanish, with how sure; built once (loading the models takes ~0.1 s)."""

    def __init__(self, *, min_confidence: float) -> None:
        if not 0.5 <= min_confidence <= 1:
            raise ValueError("min_confidence must be between 0.5 and 1 (two languages)")
        self.min_confidence = min_confidence
        self._detector: LinguaDetector | None = None
        self._lock = threading.Lock()

    def _lingua(self) -> LinguaDetector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from lingua import Language, LanguageDetectorBuilder

                    self._detector = (
                        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
                        .with_preloaded_language_models()
                        .build()
                    )
        return self._detector

    def warm_up(self) -> None:
        self._lingua()

    def detect(self, text: str) -> tuple[str | None, float]:
        """The language of ``text`` (None: not sure) and the detector's confidence in it."""
        if not any(c.isalpha() for c in text):
            return None, 0.0
        if _plain(text) in _SPANISH_WORDS:
            return "es", 1.0
        values = self._lingua().compute_language_confidence_values(text)
        if not values:
            return None, 0.0
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        needed = self.min_confidence if len(text.split()) > 1 else _ONE_WORD_CONFIDENCE
        if best.value < needed:
            return None, best.value
        return code, best.value


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """The language of this turn, and whether the citizen chose it (kept until they
    choose another) rather than the detector guessing it."""

    language: str
    chosen: bool


def choose(
    text: str,
    *,
    requested: str | None,
    remembered: LanguageChoice | None,
    detector: LanguageDetector,
) -> LanguageChoice:
    """This turn's language: what the page asked for, a keyword, the language the citizen
    chose before, what the detector is sure of, or the conversation's language."""
    if requested in LANGUAGES:
        return LanguageChoice(requested, chosen=True)
    named = keyword_language(text)
    if named is not None:
        return LanguageChoice(named, chosen=True)
    if remembered is not None and remembered.chosen:
        return remembered
    detected, _ = detector.detect(text)
    if detected in LANGUAGES:
        return LanguageChoice(detected, chosen=False)
    return remembered or LanguageChoice(DEFAULT_LANGUAGE, chosen=False)
