"""Recognising what a message is before looking anything up.

Short, high-precision patterns decide greetings, thanks, requests for a person, crisis
and abuse; anything else is a question. Out-of-scope questions are decided after
retrieval by comparing the question with the examples in ``OFF_TOPIC_EXAMPLES``.
"""

from __future__ import annotations

import re

from assistant.turns import Route

_WORDS = r"[\s,.!?¡¿'’]*"

_GREETING = re.compile(
    rf"^{_WORDS}(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|greetings|"
    rf"hola|buenos d[ií]as|buenas( tardes| noches)?)( there| team| all)?{_WORDS}$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    rf"^{_WORDS}(ok(ay)?,?\s+)?(thanks?( you)?( so much| very much| a lot)?|thank u|thx|ty|"
    rf"cheers|great,? thanks|perfect,? thanks|that('s| is) (helpful|great|all)|gracias|"
    rf"muchas gracias)[\s,.!]*(that('s| is) (helpful|great|all))?{_WORDS}$",
    re.IGNORECASE,
)
_HUMAN = re.compile(
    r"\b(talk|speak|chat|connect|transfer|put|get)\b.{0,30}\b(person|human|someone|somebody|"
    r"agent|representative|rep|operator|caseworker|case worker|staff|people|a real)\b"
    r"|\b(real|live|actual) (person|human|agent)\b"
    r"|^\W*(please\W+)?(an?\s+|the\s+)?(agent|representative|operator|human|person|"
    r"caseworker)(\W+please)?\W*$"
    r"|\b(hablar|habla|comunicar(me)?)\b.{0,20}\b(persona|agente|humano|representante)\b",
    re.IGNORECASE,
)
_CRISIS = re.compile(
    r"\b(kill(ing)? my ?self|suicid(e|al)|end (it all|my life)|want to die|self[- ]harm|"
    r"hurt(ing)? my ?self|overdos(e|ing)|"
    r"(he|she|they|partner|husband|wife|boyfriend|girlfriend) (hits|beats|is hurting|"
    r"hurts|threatens|is threatening) me|domestic (violence|abuse)|being abused|"
    r"not safe at home|in danger|someone is (trying to|going to) (hurt|kill)|"
    r"quiero morir|me quiero matar|violencia dom[eé]stica)\b",
    re.IGNORECASE,
)
_ABUSE = re.compile(
    r"\b(fuck(ing)?|shit(ty)?|bitch|bastard|asshole|idiot|stupid bot|moron|cunt|dickhead)\b",
    re.IGNORECASE,
)

#: Questions a city services assistant should recognise as not its business.
OFF_TOPIC_EXAMPLES: tuple[str, ...] = (
    "What is the capital of France?",
    "Who won the football game last night?",
    "What will the weather be like tomorrow?",
    "Tell me a joke.",
    "Give me a recipe for chocolate cake.",
    "Write a Python program to sort a list.",
    "What is the meaning of life?",
    "Which movie should I watch tonight?",
    "How tall is Mount Everest?",
    "What is 12 times 17?",
    "Who is the president of the United States?",
    "Recommend a good restaurant near me.",
    "What's the best stock to buy?",
    "Translate this sentence into French.",
    "Who wrote Romeo and Juliet?",
    "How do I lose weight fast?",
)


def route(text: str) -> Route:
    """Greeting, thanks, a request for a person, or a question."""
    if _HUMAN.search(text):
        return Route.HUMAN
    if _GREETING.match(text):
        return Route.GREETING
    if _THANKS.match(text):
        return Route.THANKS
    return Route.QUESTION


def is_crisis(text: str) -> bool:
    return bool(_CRISIS.search(text))


def is_abusive(text: str) -> bool:
    return bool(_ABUSE.search(text))
