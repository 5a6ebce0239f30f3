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
#: Who a citizen asks for when they want a person.
_PEOPLE = (
    r"(?:(?:a|an|the|some|my|your|one of your)\s+)?(?:(?:real|live|actual|human|other)\s+)?"
    r"(?:person|human(?: being)?|someone|somebody|anyone|anybody|agent|representative|rep|"
    r"operator|caseworker|case worker|case manager|staff(?: member)?|employee|supervisor|"
    r"manager|worker|people|member of staff|advisor|adviser|clerk)"
)
#: The same, without job titles that also name an office ("contact the clerk").
_ANY_PERSON = (
    r"(?:(?:a|an|the|some|my|your|one of your)\s+)?(?:(?:real|live|actual|human)\s+)?"
    r"(?:person|human(?: being)?|someone|somebody|anyone|anybody|agent|representative|rep|"
    r"operator|caseworker|case worker|staff(?: member)?|supervisor)"
)
_HUMAN = re.compile(
    # talk to / speak with / chat with a person
    rf"\b(?:talk|speak|chat|converse)\s+(?:directly\s+|again\s+)?(?:to|with)\s+{_PEOPLE}\b"
    # connect / transfer / put me (through) to a person; get me a person
    r"|\b(?:connect|transfer|put|pass)\s+(?:me|us)\s+(?:through\s+|over\s+|back\s+)?"
    r"(?:to|with)\b"
    rf"|\bget\s+me\s+{_PEOPLE}\b"
    # reach / contact / call / phone a person
    rf"|\b(?:reach|contact|call|phone|ring)\s+{_ANY_PERSON}\b"
    # a person calls me (back); a callback
    rf"|\b{_ANY_PERSON}\s+(?:to\s+|can\s+|could\s+|will\s+|please\s+)?(?:call|phone|ring|"
    rf"contact)\s+me\b"
    r"|\b(?:call\s+me\s+back|callback|call-back)\b"
    # I want / need / would rather have a person (and not a bot)
    rf"|\b(?:want|need|prefer|like|rather(?:\s+have)?)\s+{_ANY_PERSON}"
    r"(?=\s*(?:$|[.!?,;]|please|now|not|instead|who|that|to\s+(?:talk|speak|help|chat|call)))"
    # is there a person / anyone (there | I can talk to)? who can I talk to?
    rf"|\bis\s+(?:there\s+)?{_PEOPLE}\s+(?:there|here|available|on\s+the\s+line|"
    r"(?:i|we)\s+(?:can|could)\s+(?:talk|speak|chat|call|phone))\b"
    r"|\bwho\s+(?:can|could|do)\s+i\s+(?:talk|speak)\s+(?:to|with)\b"
    r"|\b(?:real|live|actual) (?:person|human|agent)\b"
    r"|^\W*(?:please\W+)?(?:an?\s+|the\s+)?(?:agent|representative|operator|human|person|"
    r"caseworker|supervisor)(?:\W+please)?\W*$"
    # Spanish
    r"|\b(?:hablar|habla|comunicar(?:me)?|comunica|comun[ií]queme|pasar(?:me)?|p[aá]seme)\b"
    r".{0,20}\b(?:persona|agente|humano|representante|alguien|operador(?:a)?|empleado)\b"
    r"|\b(?:quiero|necesito)\s+(?:una\s+|un\s+)?(?:persona|humano|agente|representante)\b",
    re.IGNORECASE,
)
_CRISIS = re.compile(
    # self-harm and suicide
    r"\b(?:kill(?:ing)? my ?self|suicid(?:e|al)|end(?:ing)? (?:it all|my (?:own )?life)|"
    r"take my (?:own )?life|want to die|wanna die|don'?t want to (?:live|be alive|be here) "
    r"(?:any ?more|anymore)?|self[- ]harm|(?:hurt|hurting|cut|cutting|harm|harming) my ?self|"
    r"overdos(?:e|ed|ing)|(?:take|took|swallow(?:ed)?) (?:all (?:of )?)?(?:my |the |these |those |"
    r"too many )?(?:pills|tablets)|no (?:point|reason) (?:in )?(?:going on|living)|"
    r"better off without me|can'?t go on|"
    r"(?:pills|tablets|meds|medications?)\b[^.?!]{0,60}\b(?:take|swallow)(?:ing)? "
    r"(?:them |it )?all\b|"
    r"\b(?:take|swallow)(?:ing)? (?:them |it )?all\b[^.?!]{0,30}\b(?:pills|tablets|meds)|"
    # violence, abuse and threats, now
    r"(?:kill(?:s|ed)?|hurt(?:s)?|harm(?:s|ed)?|beat(?:s|en)?|hit(?:s)?|rape(?:s|d)?|"
    r"choke(?:s|d)?|strangle(?:s|d)?|stab(?:s|bed)?|shoot(?:s)?|shot|punch(?:es|ed)?|"
    r"kick(?:s|ed)?|slap(?:s|ped)?) "
    r"(?:me|us|my (?:kids?|children|son|daughter|baby|mom|mother|dad|father|sister|brother|"
    r"family))\b(?! off| up| back)|"
    r"threat(?:en|ens|ened|ening) (?:me|us|my|to (?:kill|hurt|harm|beat|shoot|stab))|"
    r"domestic (?:violence|abuse)|(?:being|been|was|were|is|are|am|get|got) "
    r"(?:abused|molested|assaulted|raped|beaten|trafficked)|molest(?:ed|ing)|"
    r"(?:is|are|'s|'re) (?:being )?abusive|abusive (?:partner|husband|wife|boyfriend|girlfriend|"
    r"ex|spouse|father|mother|dad|mom|parents?|relationship|home)|"
    r"(?:not|never) safe (?:at home|here|with (?:him|her|them))|(?:don'?t|do not) feel safe|"
    r"(?:afraid|scared|fear(?:ful)?) for my (?:life|safety)|in (?:immediate )?danger\b(?! of)|"
    r"someone is (?:trying to|going to) (?:hurt|kill|break in)|"
    r"break(?:ing)? in(?:to)? (?:my|our) (?:house|home|apartment|room)|"
    r"(?:with|has|had|pulled|holding) an? (?:gun|knife|weapon)|locked (?:me|us) in|"
    # medical emergencies
    r"heart attack|having a stroke|(?:not|isn'?t|stopped) breathing|won'?t wake up|"
    r"unconscious|"
    # Spanish
    r"quiero morir|me quiero matar|matarme|suicidarme|no quiero vivir|"
    r"violencia dom[eé]stica|me (?:pega|golpea|maltrata|amenaza)|"
    r"no estoy a salvo|no me siento segur[ao])",
    re.IGNORECASE,
)
_ABUSE = re.compile(
    r"\b(fuck(ing)?|shit(ty)?|bitch|bastard|asshole|idiot|stupid bot|moron|cunt|dickhead|"
    # Spanish
    r"idiota|est[uú]pido|imb[eé]cil|pendejo|cabr[oó]n|mierda|pinche bot)\b",
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

# A whole message that says yes or no to a question the assistant asked ("Did you mean
# ...?"); a yes with more words after it ("yes, but what about fees?") is a new question.
_YES = re.compile(
    rf"^{_WORDS}(yes|yeah|yea|yep|yup|y|sure|ok(ay)?|correct|right|exactly|please|"
    rf"s[ií]|claro|correcto|eso es|s[ií],? por favor|"
    rf"(yes|yeah|ok|sure),? (please|that('s| is)( it| (the )?one| right)?|"
    rf"show me|go ahead)|that('s| is) (it|the one|right|what i (meant|mean|want(ed)?))|"
    rf"show me( that| it)?)( please)?{_WORDS}$",
    re.IGNORECASE,
)
_NO = re.compile(
    rf"^{_WORDS}(no|nope|nah|n|not really|no,? (thanks|thank you|that('s| is) not it|"
    rf"not that|wrong( one)?)|not that( one)?|wrong( one)?|that('s| is) not (it|what i "
    rf"(meant|mean|want(ed)?))|no,? gracias|no es eso)( please)?{_WORDS}$",
    re.IGNORECASE,
)


def says_yes(text: str) -> bool:
    """A message that only agrees ("yes", "yes please", "that's it", "sí")."""
    return bool(_YES.match(text))


def says_no(text: str) -> bool:
    """A message that only disagrees ("no", "nope", "not that one")."""
    return bool(_NO.match(text))


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
