"""Caseworkers' answers offered to editors as drafts (issue #18, part 4).

When a caseworker resolves a conversation they can mark their answer as worth adding to
the knowledge base. :func:`proposal_of` takes, from the stored conversation, the
question the assistant could not answer (its content gap) and what the caseworker
replied, both with personal data removed; :class:`Proposals` groups the open ones by
similar question (the retriever's embedder, the content gaps' cut) and turns a group into
an ordinary draft, which an editor edits and publishes like any other. Nothing reaches
citizens without an editor.

Personal data: the citizen's words are stored redacted already; a caseworker's reply is
stored as written (it is sent as written), so it is redacted here, and more strictly
than :func:`~assistant.redaction.redact` alone: the greeting line ("Hi Maria,") and
sign-off are dropped, and the caseworker's own name and the citizen's callback contact
are replaced wherever they appear.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.editorial.drafts import Drafts
from assistant.editorial.errors import Conflict, EditorialError, NotFound
from assistant.editorial.reports import GAP_STATUSES, asks_about_content, group_by_meaning
from assistant.editorial.views import DraftOut, ProposalGroupOut, ProposalOut, ProposalsOut
from assistant.models import AnswerProposal, Handoff, Message, aware, utcnow
from assistant.redaction import question_part, redact
from assistant.staff import Staff
from knowledge_base.embeddings import Embedder
from knowledge_base.loaders import slugify

#: Most open proposals grouped at once (newest first): grouping embeds every question.
MAX_GROUPED = 2000

# "Hi Maria," / "Good morning Mr Smith!": the greeting and up to three words (a name).
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|hola|good\s+(?:morning|afternoon|evening)|buenos\s+d[ií]as|"
    r"buenas\s+tardes)\b(?:[ \t]+[^\s,.!?:]+){0,3}[ \t]*[,.!:\n]\s*",
    re.IGNORECASE,
)
# "This is [NAME] from the city." once the caseworker's name is replaced; "This is done at
# the DMV." is an answer and stays.
_INTRODUCTION = re.compile(
    r"^\s*(?:this\s+is|my\s+name\s+is|i\s+am|i'm|me\s+llamo|soy)\s+\[NAME\][^\n.!?]*[.!?\n]\s*",
    re.IGNORECASE,
)
# A closing line: the word, then nothing, or a comma or line break and up to three short
# lines (a name, a title, an office). "Thanks for waiting. You can ..." is not one.
_SIGN_OFF = re.compile(
    r"(?:^|\n|(?<=[.!?])\s+)(?:thanks|thank\s+you|kind\s+regards|regards|best(?:\s+wishes)?|"
    r"sincerely|cheers|take\s+care|gracias|saludos|atentamente)(?:\s+again)?"
    r"(?:[.!]|[ \t]*[,\n](?:[^\n]{0,60}\n?){0,3})?\s*$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\[[A-Z ]+\]")


class NothingToPropose(EditorialError):
    """The conversation has no question or no caseworker answer to offer."""


def clean_answer(text: str, *, known: Sequence[str] = ()) -> str:
    """A caseworker's reply fit for an editor: no greeting, sign-off or personal data.

    ``known`` are strings that identify someone in this conversation (the caseworker's
    name and its parts, the citizen's callback contact): each is replaced by a placeholder.
    """
    text = _GREETING.sub("", text.strip(), count=1)
    text = _SIGN_OFF.sub("", text).strip()
    for value in sorted({k.strip() for k in known if len(k.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "[NAME]", text, flags=re.IGNORECASE)
    text = _INTRODUCTION.sub("", text, count=1)
    return redact(text).text.strip()


def proposal_of(session: Session, handoff: Handoff, *, caseworker: str) -> AnswerProposal:
    """The question and the caseworkers' answer in ``handoff``, redacted, not yet stored.

    The question is the citizen's last question before the first caseworker reply whose
    answer from the assistant ended as a content gap, else their last question at all
    (greetings, thanks and asking for a person are not questions). The answer is every
    caseworker reply in this handoff, in order.
    """
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == handoff.conversation_id)
            .order_by(Message.id)
        )
    )
    replies = [
        m
        for m in messages
        if m.role == "caseworker" and aware(m.created_at) >= aware(handoff.created_at)
    ]
    if not replies:
        raise NothingToPropose("Reply to the citizen first: there is no answer to offer editors.")
    first_reply = replies[0].id
    asked: list[tuple[Message, str | None]] = []  # (citizen question, how its reply ended)
    for index, message in enumerate(messages):
        if message.id >= first_reply:
            break
        if message.role != "citizen" or not asks_about_content(message.text):
            continue
        after = next((m for m in messages[index + 1 :] if m.role == "assistant"), None)
        asked.append((message, after.status if after is not None else None))
    if not asked:
        raise NothingToPropose(
            "The citizen asked no question before your reply, so there is nothing to pair "
            "your answer with. Resolve without offering it."
        )
    gaps = {s.value for s in GAP_STATUSES}
    question, status = next(
        ((m, s) for m, s in reversed(asked) if s in gaps),
        asked[-1],
    )
    known = [caseworker, *caseworker.split()]
    if handoff.callback_contact:
        known.append(handoff.callback_contact)
    answer = "\n\n".join(
        part for part in (clean_answer(r.text, known=known) for r in replies) if part
    )
    if not answer:
        raise NothingToPropose("Your replies hold no answer once greetings are left out.")
    return AnswerProposal(
        id=secrets.token_hex(8),
        handoff_id=handoff.id,
        question=redact(question.text).text.strip(),  # stored redacted; a second net
        answer=answer,
        gap_status=status,
        language=handoff.language,
        state="open",
    )


class Proposals:
    """The open proposals, grouped for editors, and the drafts made of them."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        embedder: Embedder,
        drafts: Drafts,
        staff: Staff,
    ) -> None:
        self._sessions = sessions
        self.embedder = embedder
        self.drafts = drafts
        self.staff = staff

    def listing(self) -> ProposalsOut:
        """Open proposals grouped by similar question, largest group first."""
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(AnswerProposal)
                    .where(AnswerProposal.state == "open")
                    .order_by(AnswerProposal.created_at.desc(), AnswerProposal.id)
                    .limit(MAX_GROUPED)
                )
            )
        groups = []
        for members in group_by_meaning(self.embedder, [r.question for r in rows]):
            items = [rows[i] for i in members]
            statuses = Counter(r.gap_status for r in items if r.gap_status)
            groups.append(
                ProposalGroupOut(
                    label=items[0].question,
                    count=len(items),
                    statuses=dict(statuses.most_common()),
                    proposals=[_out(r) for r in items],
                )
            )
        groups.sort(key=lambda g: (-g.count, g.label))
        return ProposalsOut(total=len(rows), groups=groups)

    def draft(
        self, proposal_ids: Sequence[str], *, actor: str, title: str | None = None
    ) -> DraftOut:
        """A new draft page from these open proposals (one group, usually)."""
        ids = list(dict.fromkeys(proposal_ids))
        if not ids:
            raise EditorialError("Choose at least one answer to make a draft of.")
        with self._sessions() as session:
            rows = list(session.scalars(select(AnswerProposal).where(AnswerProposal.id.in_(ids))))
        if len(rows) != len(ids):
            raise NotFound("Some of those answers are gone; reload the list.")
        if any(r.state != "open" for r in rows):
            raise Conflict("Some of those answers were already made into a draft or dismissed.")
        order = {proposal_id: n for n, proposal_id in enumerate(ids)}
        rows.sort(key=lambda r: order[r.id])
        heading = (title or _title_of(rows[0].question)).strip()[:255]
        answers = list(dict.fromkeys(r.answer for r in rows))
        warnings = []
        if len(answers) > 1:
            warnings.append(
                f"This draft joins {len(answers)} caseworkers' answers: keep what is right "
                "and remove the rest before you publish."
            )
        if any(_PLACEHOLDER.search(a) for a in answers):
            warnings.append(
                "Personal details were removed (shown like [NAME]): reword those sentences."
            )
        questions = list(dict.fromkeys(r.question for r in rows))
        markdown = "\n\n".join(answers)
        if len(questions) > 1:
            others = "\n".join(f"- {q}" for q in questions if q != heading)
            markdown += f"\n\n## Questions this answers\n\n{others}"
        languages = Counter(r.language for r in rows if r.language)
        fields = {"language": languages.most_common(1)[0][0]} if languages else {}
        draft, _ = self.drafts.from_caseworkers(
            actor=actor,
            doc_id=self._free_doc_id(f"faq-{slugify(heading, max_length=60)}"),
            title=heading,
            markdown=markdown,
            fields=fields,
            source_name=f"{len(rows)} caseworker answer{'s' if len(rows) != 1 else ''}",
            warnings=warnings,
        )
        with self._sessions.begin() as session:
            for row in session.scalars(select(AnswerProposal).where(AnswerProposal.id.in_(ids))):
                row.state = "drafted"
                row.draft_id = draft.id
                row.updated_at = utcnow()
        self.staff.audit(
            actor=actor, action="kb.proposal.draft", target=draft.doc_id, detail={"ids": ids}
        )
        return draft

    def dismiss(self, proposal_id: str, *, actor: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(AnswerProposal, proposal_id)
            if row is None:
                raise NotFound(f"There is no answer with the id {proposal_id!r}.")
            if row.state != "open":
                raise Conflict(f"This answer was already {row.state}.")
            row.state = "dismissed"
            row.updated_at = utcnow()
        self.staff.audit(actor=actor, action="kb.proposal.dismiss", target=proposal_id)

    def _free_doc_id(self, wanted: str) -> str:
        """``wanted``, or ``wanted-2`` … when a live document or an open draft has it."""
        taken = {d.doc_id for d in self.drafts.open()}
        candidate, n = wanted, 1
        while candidate in taken or self.drafts.live_record(candidate) is not None:
            n += 1
            candidate = f"{wanted}-{n}"
        return candidate


def _title_of(question: str) -> str:
    """The page's title: the question without clauses that only handed over personal data
    ("my email is [EMAIL], how do I ..." -> "How do I ...")."""
    asked = question_part(question).strip()
    return asked[:1].upper() + asked[1:]


def _out(row: AnswerProposal) -> ProposalOut:
    return ProposalOut(
        id=row.id,
        question=row.question,
        answer=row.answer,
        gap_status=row.gap_status,
        language=row.language,
        proposed_by=row.proposed_by,
        proposed_at=aware(row.created_at).isoformat(),
    )
