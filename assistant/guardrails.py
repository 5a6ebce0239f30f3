"""Attacks on the assistant, recognised: in citizens' messages, inside documents, and in
what is about to be sent.

- :func:`attack_kind` reads a citizen's message for prompt injection and jailbreaks
  ("ignore previous instructions", "you are now DAN"), requests to reveal the
  instructions, requests for help to harm or defraud, and attempts to reach other
  people's data, in English and Spanish. Such a message gets a canned reply and is never
  retrieved for or put to a model.
- :func:`instruction_like` finds the sentences of a page that talk to an AI rather than
  to a citizen ("Note to the assistant: ..."): they are withheld from the model's sources
  and an answer that quotes one is not sent.
- :func:`forbidden_in` checks every outgoing answer, whoever wrote it: instruction-like
  text, the prompt's own words or markup, and the deployment's forbidden terms.

High-precision patterns, like the crisis and abuse ones beside them (``assistant.intents``):
``python -m eval.redteam`` measures what they catch on the project's red-team set, and
on doc2dial's and the bundled set's questions what they wrongly catch.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from assistant.grounding import split_sentences

__all__ = [
    "attack_kind",
    "forbidden_in",
    "instruction_like",
    "leaks_prompt",
    "normalise",
    "without_instructions",
]

_INSTRUCTIONS = (
    r"(?:instructions?|instrucciones|prompts?|rules?|reglas|directions?|guidelines?|"
    r"indicaciones|[oó]rdenes|programming|system (?:message|prompt)|context|"
    r"messages?|mensajes)"
)
_INJECTION = re.compile(
    # ignore / disregard / forget ... previous instructions
    rf"\b(?:ignore|disregard|forget|override|bypass|skip|cancel(?:led)?|stop following|"
    rf"ignora|ignore|olvida|olvide|omite|descarta|salta)\b[^?!]{{0,40}}\b{_INSTRUCTIONS}"
    r"|\b(?:ignore|disregard|ignora)\s+(?:the\s+|everything\s+|todo\s+)?(?:above|lo anterior)\b"
    r"|\b(?:forget|olvida)\s+(?:everything|todo)\s+(?:you were told|you know|lo que te "
    r"dijeron|lo que sabes)"
    r"|\b(?:your|the|my)\s+(?:instructions|rules|guidelines)\s+(?:are|have been)\s+"
    r"(?:cancel+ed|changed|updated|void|revoked)"
    r"|\b(?:new|updated|different|nuevas?)\s+(?:instructions?|instrucciones)\b"
    r"|\b(?:the rules have changed|las reglas cambiaron)\b"
    r"|\bsystem update\b|\bactualizaci[oó]n del sistema\b"
    # jailbreaks and role play
    r"|\bfrom now on,? you(?:'re| are| will be) (?:an?|the|my)\b"
    r"|\b(?:a partir de ahora|desde ahora),? (?:eres|ser[aá]s|vas a ser|responde)"
    r"|\b(?:pretend|simulate|roleplay|role-play)\b[^.?!]{0,25}"
    r"\b(?:you are|you're|to be|as|an? (?:ai|assistant|chatbot|bot))\b"
    r"|\b(?:act|behave)\s+as\s+(?:an?\s+|the\s+|my\s+)?(?:\w+\s+){0,2}"
    r"(?:ai|assistant|chatbot|bot|model)\b"
    r"|\b(?:act[uú]a|finge|simula|haz de cuenta|juguemos)\b"
    r"|\b(?:DAN|do anything now|jailbr(?:oken|eak)|developer mode|modo desarrollador|"
    r"god mode|sudo mode|evilbot|malbot)\b"
    r"|\b(?:respond|answer|reply|responde|contesta|ai|ia|assistant|asistente|chatbot)\b"
    r"[^.?!]{0,20}\b(?:without|with no|sin)\s+(?:any\s+)?(?:restrictions|filters|rules|"
    r"limits|guidelines|restricciones|filtros|reglas|l[ií]mites)\b"
    r"|\bnever refuses\b|\bbreaks? (?:its|your) rules\b|\bif you had no rules\b"
    # markup that speaks as the system
    r"|<\|?/?\s*(?:system|im_start|im_end|sources?|question|instructions?)\b|\[/?INST\]"
    r"|#{2,}\s*(?:system|instruction)"
    # a note or an order addressed to the AI
    r"|\b(?:note|message|instructions?) (?:to|for) the (?:ai|assistant|chatbot|bot|model)\b"
    r"|\b(?:nuevas )?instrucciones para el (?:asistente|chatbot|bot)\b"
    r"|^\W*(?:system|assistant)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_REVEAL = re.compile(
    r"\b(?:system|initial|hidden|original|exact|full)\s+(?:prompt|message|instructions?)\b"
    r"|\b(?:prompt|mensaje|instrucciones?) (?:del sistema|ocultas|iniciales|completas)\b"
    r"|\b(?:your|tus|sus)\s+(?:prompt|instructions|rules|guidelines|configuration|"
    r"instrucciones|reglas|configuraci[oó]n)\b"
    r"|\b(?:repeat|print|show|reveal|output|display|dump|leak|write out|tell me|give me|"
    r"list|summari[sz]e|translate|repite|muestra|mu[eé]strame|revela|imprime|escribe|dime)"
    r"\b[^.?!]{0,30}\b(?:everything above|(?:the )?text above|words above|above this|"
    r"instructions you|what you were told|texto anterior|instrucciones|prompt)\b"
    r"|\b(?:rules|instructions|reglas|instrucciones) (?:you were given|you received|you have "
    r"been given|que te dieron)\b|\bhidden messages\b|\bconversation so far\b"
    r"|\bwhat were you told\b|\bwhat (?:are|were) your (?:instructions|rules)\b"
    r"|\bqu[eé] instrucciones te dieron\b|\binstructions you received\b",
    re.IGNORECASE,
)
_HARMFUL = re.compile(
    r"\b(?:make|build|create|assemble|cook|mix|fabric\w*|hacer|hago|construir)\b[^.?!]{0,30}"
    r"\b(?:bombs?|explosives?|explosive device|pipe bomb|molotov|napalm|meth|"
    r"methamphetamine|metanfetamina|nerve agent|ricin|bomba\w*|explosivos?)\b"
    r"|\bmolotov\b|\bpipe bomb\b"
    r"|\b(?:poison|veneno)\b[^.?!]{0,40}\b(?:neighbou?r|vecin[oa]|someone|food|comida|"
    r"boss|wife|husband)\b"
    r"|\b(?:forge|forging|counterfeit|falsify|falsificar|falsifico|falsifica)\b"
    r"|\b(?:get|buy|make|create|print|consigo|conseguir|comprar|hacer)\s+(?:an?\s+|una?\s+)?"
    r"(?:\w+\s+)?(?:fake|false|falsa|falso|falsas|falsos)\b"
    r"|\b(?:commit|cometer|cometo|hacer)\b[^.?!]{0,25}\b(?:fraud|fraude)\b"
    r"|\b(?:cheat|defraud|enga[nñ]ar)\b[^.?!]{0,30}\b(?:system|benefits?|snap|"
    r"medicaid|welfare|irs|city|sistema|beneficios)\b"
    r"|\bwithout getting caught\b|\bsin que me descubran\b"
    r"|\b(?:hack|hackear|ddos)\b(?! (?:me|my))"
    r"|\b(?:write|send|create|make|escribe|env[ií]a)\b[^.?!]{0,20}\bphishing\b"
    r"|\b(?:launder|lavar)\b[^.?!]{0,15}\b(?:money|dinero)\b|\bmoney laundering\b"
    r"|\b(?:how (?:do|can|could) i|how to|c[oó]mo)\b[^.?!]{0,10}\b(?:stalk|kidnap|acosar|"
    r"secuestrar|poison|envenenar)\b"
    r"|\b(?:hurt|harm)\s+(?:someone|somebody|a person|people)\b"
    r"|\b(?:how (?:do|can) i|how to)\s+break into\b",
    re.IGNORECASE,
)
_EXFILTRATION = re.compile(
    r"\b(?:(?:other|every)\s+(?:users?|citizens?|people)|all\s+(?:users|citizens))'?s?\b"
    r"[^.?!]{0,40}"
    r"\b(?:data|conversations?|messages|records|details|phone numbers|addresses|"
    r"applications|information)\b"
    r"|\beveryone'?s\b[^.?!]{0,30}\b(?:phone|address|data|numbers|records)"
    r"|\b(?:previous|last|other) user\b|\busuario anterior\b"
    r"|\b(?:of all users|de todos los (?:ciudadanos|usuarios))\b"
    r"|\b(?:otros (?:usuarios|ciudadanos))\b"
    r"|\b(?:admin(?:istrator)?|system|staff|root)\s+password\b"
    r"|\bcontrase[nñ]a del (?:administrador|sistema)\b"
    r"|\b(?:your|the)\s+(?:api key|credentials|secret key)\b|\benvironment variables\b"
    r"|\b(?:select\s+\*\s+from|drop\s+table|union\s+select|insert\s+into)\b"
    r"|\bin your database\b",
    re.IGNORECASE,
)
_KINDS = (
    ("injection", _INJECTION),
    ("reveal_instructions", _REVEAL),
    ("harmful", _HARMFUL),
    ("exfiltration", _EXFILTRATION),
)

# Look-alikes attackers use to slip past a pattern: leetspeak digits, spaced letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
_SPACED = re.compile(r"\b(?:\w[ .]){3,}\w\b")


def normalise(text: str) -> str:
    """The text as a pattern should read it: compatibility forms folded, zero-width and
    control characters removed, line breaks as spaces."""
    if text.isascii():
        # The same, without a Python step per character: NFKC leaves ASCII as it is, and
        # its only Cf/Cc characters are the controls (a page's passage is ~600 of them).
        return _SPACES.sub(" ", text.translate(_ASCII_CONTROLS))
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Cc") or c == "\n")
    return _SPACES.sub(" ", kept)


_SPACES = re.compile(r"\s+")
_ASCII_CONTROLS = {c: None for c in [*range(0x20), 0x7F] if c != ord("\n")}


def _readings(text: str) -> Iterable[str]:
    plain = normalise(text)
    yield plain
    # "1gn0re", "I g n o r e", "I.G.N.O.R.E": read once more with those undone.
    unspaced = _SPACED.sub(lambda m: re.sub(r"[ .]", "", m.group()), plain)
    if unspaced == plain and not _LEET_CHARS.search(plain):
        return  # nothing to undo: the word-by-word reading below would be ``plain`` again
    leet = " ".join(
        word.translate(_LEET) if _LETTER.search(word) else word for word in unspaced.split(" ")
    )
    if leet != plain:
        yield leet


_LEET_CHARS = re.compile("[" + re.escape("".join(map(chr, _LEET))) + "]")  # what _LEET changes
_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


def attack_kind(text: str) -> str | None:
    """``injection``, ``reveal_instructions``, ``harmful``, ``exfiltration`` or None."""
    for reading in _readings(text):
        for kind, pattern in _KINDS:
            if pattern.search(reading):
                return kind
    return None


# Memoised: the output check reads the same passages' sentences turn after turn (a
# quarter of an answered turn's time went to these patterns); the caches are bounded,
# so text a model or an attacker writes cannot grow them.
@functools.lru_cache(maxsize=16384)
def instruction_like(sentence: str) -> bool:
    """A sentence of a page that addresses an AI rather than a citizen."""
    return any(_INJECTION.search(r) or _DOC_REVEAL.search(r) for r in _readings(sentence))


# A page asking for the prompt (the citizen-facing reveal patterns would also take "your
# instructions from the inspector" on a page for an attack).
_DOC_REVEAL = re.compile(
    r"\b(?:system|initial|hidden) (?:prompt|message|instructions)\b|\bprompt del sistema\b"
    r"|\b(?:reveal|repeat|print) (?:your|the) (?:prompt|instructions)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def without_instructions(text: str) -> str:
    """``text`` without its sentences that speak to an AI (unchanged when it has none)."""
    lines = []
    removed = False
    for line in text.splitlines():
        sentences = split_sentences(line)
        kept = [s for s in sentences if not instruction_like(s)]
        removed = removed or len(kept) < len(sentences)
        if len(kept) == len(sentences):
            lines.append(line)  # as it was, its list marks and all
        elif kept:
            lines.append(" ".join(kept))
    return "\n".join(lines) if removed else text


def leaks_prompt(text: str, prompt: str, *, words: int = 6) -> bool:
    """Whether ``text`` repeats ``words`` consecutive words of ``prompt``."""
    said = re.findall(r"\w+", text.lower())
    windows = _windows(prompt, words)
    return any(tuple(said[i : i + words]) in windows for i in range(len(said) - words + 1))


@functools.lru_cache(maxsize=8)
def _windows(prompt: str, words: int) -> frozenset[tuple[str, ...]]:
    """Every run of ``words`` consecutive words of ``prompt`` (a handful of prompts)."""
    secret = re.findall(r"\w+", prompt.lower())
    return frozenset(tuple(secret[i : i + words]) for i in range(len(secret) - words + 1))


def forbidden_in(text: str, *, prompt: str, terms: Iterable[str] = ()) -> str | None:
    """Why ``text`` may not be sent, or None: ``instructions`` (it speaks to an AI),
    ``prompt_leak`` (the prompt's words or markup), or ``term`` (a forbidden term)."""
    if any(instruction_like(line) for line in text.splitlines()):
        return "instructions"
    if leaks_prompt(text, prompt) or re.search(r"</?(?:sources?|question|conversation)\b", text):
        return "prompt_leak"
    low = normalise(text).lower()
    if any(term.strip() and term.strip().lower() in low for term in terms):
        return "term"
    return None
