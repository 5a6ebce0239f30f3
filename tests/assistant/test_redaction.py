"""Personal data is redacted before a message is stored or logged, and nothing else is."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from assistant.container import SAMPLE_KB, Container
from assistant.redaction import redact
from assistant.settings import Settings
from assistant.staff import Role
from assistant.turns import InboundMessage

# ---- each kind, in the ways citizens write it ---------------------------------------
POSITIVES = [
    # Social security numbers (and ITINs), formatted, or bare after the words for them.
    ("ssn", "my SSN is 123-45-6789, how do I apply for food assistance?", "123-45-6789"),
    ("ssn", "Social security number 123 45 6789", "123 45 6789"),
    ("ssn", "social security: 123456789", "123456789"),
    ("ssn", "mi número de seguro social es 123-45-6789", "123-45-6789"),
    ("ssn", "ITIN 912-70-1234 for my tax form", "912-70-1234"),
    ("ssn", "my ssn: 078051125 please update it", "078051125"),
    # Card numbers that pass the Luhn check, however they are grouped.
    ("card_number", "card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
    ("card_number", "my visa is 4111-1111-1111-1111", "4111-1111-1111-1111"),
    ("card_number", "Amex 378282246310005 exp 12/27", "378282246310005"),
    ("card_number", "mi tarjeta 5555555555554444 fue rechazada", "5555555555554444"),
    ("card_number", "EBT card 6011 0009 9013 9424 doesn't work", "6011 0009 9013 9424"),
    # Bank account numbers, next to the words that say so.
    ("account_number", "account number 000123456789 for direct deposit", "000123456789"),
    ("account_number", "my checking acct # 12-3456-78 is closed", "12-3456-78"),
    ("account_number", "Account: 987654321012", "987654321012"),
    ("account_number", "mi número de cuenta es 44556677", "44556677"),
    ("account_number", "water account 4455667", "4455667"),
    # Routing numbers: after the words, or alone when the ABA check digit holds.
    ("routing_number", "routing number 021000021 and the bank is Chase", "021000021"),
    ("routing_number", "ABA: 011000015", "011000015"),
    ("routing_number", "deposit it to 026009593 please", "026009593"),
    ("routing_number", "número de ruta 121000358", "121000358"),
    # Phone numbers, US in every common layout and international with +.
    ("phone", "call me at (617) 555-0123", "(617) 555-0123"),
    ("phone", "my cell is 617.555.0123", "617.555.0123"),
    ("phone", "text me on 6175550123", "6175550123"),
    ("phone", "+1 617-555-0123 is my number", "+1 617-555-0123"),
    ("phone", "from the UK: +44 20 7946 0958", "+44 20 7946 0958"),
    ("phone", "mi teléfono es +52 55 1234 5678", "+52 55 1234 5678"),
    ("phone", "reach me at 1-617-555-0123 ext 12", "1-617-555-0123 ext 12"),
    # Email addresses.
    ("email", "email me at jane.doe+city@example.co.uk", "jane.doe+city@example.co.uk"),
    ("email", "mi correo es maria_lopez@correo.mx", "maria_lopez@correo.mx"),
    ("email", "Contact: J.O'Neil@mail.example.org.", "J.O'Neil@mail.example.org"),
    # Dates of birth, next to the words that say so.
    ("date_of_birth", "I was born on March 14, 1985", "March 14, 1985"),
    ("date_of_birth", "DOB: 03/14/1985", "03/14/1985"),
    ("date_of_birth", "my date of birth is 1985-03-14", "1985-03-14"),
    ("date_of_birth", "birthday 14 March 1985", "14 March 1985"),
    ("date_of_birth", "nací el 14 de marzo de 1985", "14 de marzo de 1985"),
    ("date_of_birth", "fecha de nacimiento: 14/03/85", "14/03/85"),
    # Street addresses (and post office boxes).
    ("street_address", "I live at 42 Elm Street, Apt 4B", "42 Elm Street, Apt 4B"),
    ("street_address", "i live at 42 elm st apt 4", "42 elm st apt 4"),
    ("street_address", "send it to 1600 Pennsylvania Ave NW", "1600 Pennsylvania Ave NW"),
    ("street_address", "my address is 7 W 3rd St.", "7 W 3rd St"),
    ("street_address", "vivo en 123 Calle Principal", "123 Calle Principal"),
    ("street_address", "mail to P.O. Box 1234", "P.O. Box 1234"),
    # Addresses without a street suffix, where the citizen says it is where they live.
    ("street_address", "I live at 88 Quarry Hill, when is pickup?", "88 Quarry Hill"),
    ("street_address", "my address is 12 Oak Rise", "12 Oak Rise"),
    ("street_address", "the house at 33 Elm is empty", "33 Elm"),
    # A card's expiry and code: after their words, or straight after the card number.
    ("card_expiry", "Amex 378282246310005 exp 12/27", "12/27"),
    ("card_expiry", "card 4111 1111 1111 1111 04/27 123", "04/27"),
    ("card_expiry", "expires 11/2028, is that a problem?", "11/2028"),
    ("card_code", "card 4111 1111 1111 1111 04/27 123", " 123"),
    ("card_code", "the CVV is 4455", "4455"),
    ("card_code", "código de seguridad 777", "777"),
    # People's names, where the message says it is a name.
    ("person_name", "My name is Maria Lopez and I need SNAP", "Maria Lopez"),
    ("person_name", "me llamo José Hernández", "José Hernández"),
    ("person_name", "my son Jake needs a permit", "Jake"),
    ("person_name", "Mrs. Okafor told me to ask", "Okafor"),
    ("person_name", "Hi, this is Grace O'Neil", "Grace O'Neil"),
]

PLACEHOLDERS = {
    "ssn": "[SSN]",
    "card_number": "[CARD NUMBER]",
    "account_number": "[ACCOUNT NUMBER]",
    "routing_number": "[ROUTING NUMBER]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "date_of_birth": "[DATE OF BIRTH]",
    "street_address": "[ADDRESS]",
    "card_expiry": "[CARD EXPIRY]",
    "card_code": "[CARD CODE]",
    "person_name": "[NAME]",
}


@pytest.mark.parametrize(("kind", "text", "original"), POSITIVES)
def test_each_kind_is_replaced_by_its_placeholder(kind: str, text: str, original: str) -> None:
    result = redact(text)
    assert original not in result.text
    assert PLACEHOLDERS[kind] in result.text
    assert kind in result.kinds


# ---- what must survive ------------------------------------------------------------
NEGATIVES = [
    "It costs $42 and you need Form FIN-SE",
    "Route 9 is closed near exit 14, who do I call? 311?",
    "the fee total was 1234567890123",  # 13 digits, fails the Luhn check
    "card 4111 1111 1111 1112 from the letter",  # fails the Luhn check
    "my case number is 123456789",  # nine digits that fail the ABA check
    "case 2024-000123 is pending",  # a case reference, not a phone number
    "reference FH-2025-004417",
    "the deadline is 2026-10-01",  # a date, but not of birth
    "my birthday is next week, can I renew early?",
    "I was born in 1985",
    "it takes 2 business days if your court date is set",
    "you must be 21 or older to drive",
    "I have 3 kids in the court",
    "14 feet over the street",
    "a ride costs $2 each way",
    "account ending in 4321",
    "Form 1040 for 2023, line 12",
    "zip code 02139",
    "Call 911 or text 988",
    "I paid $1,250.00 on 3/14",
    "I'm not sure which form I need for Medicaid",
    "This is urgent, my benefits stopped",
    "This is Fairhaven's recycling schedule, right?",
    "I am Disabled and need a parking placard",
    "I live in Fairhaven and work in Westmark",
    "The bus 12 Green Line was late",
    "My name is on the lease but not on the bill",
    "the form is due 04/27",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_facts_and_numbers_are_left_alone(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.kinds == ()


def test_several_kinds_in_one_message() -> None:
    result = redact(
        "I'm Ana, SSN 123-45-6789, born 03/14/1985, at 42 Elm Street; call (617) 555-0123 "
        "or ana@example.com. Card 4111 1111 1111 1111 exp 04/27 cvv 321, routing 021000021, "
        "account 12345678."
    )
    assert set(result.kinds) == set(PLACEHOLDERS)
    for placeholder in PLACEHOLDERS.values():
        assert placeholder in result.text


def test_the_knowledge_base_loses_only_contact_details_when_redacted() -> None:
    """Quoting the official pages back keeps their fees, dates, forms and references."""
    for page in sorted(SAMPLE_KB.glob("*.md")):
        result = redact(page.read_text(encoding="utf-8"))
        assert set(result.kinds) <= {"phone", "email", "street_address"}, page.name


# ---- end to end: the database and the logs ------------------------------------------
ORIGINALS = {
    "ssn": "123-45-6789",
    "card": "4111 1111 1111 1111",
    "account": "000123456789",
    "routing": "021000021",
    "phone": "(617) 555-0123",
    "email": "maria.lopez@example.org",
    "dob": "03/14/1985",
    "address": "42 Elm Street",
    "no_suffix": "88 Quarry Hill",
    "expiry": "07/29",
    "code": "cvv 918",
    "name": "Bernadette Okonkwo",
}
#: The same numbers without their separators must not appear either.
DIGITS = ["123456789", "4111111111111111", "6175550123"]
EVERYTHING = [*ORIGINALS.values(), *DIGITS]


def _message(prefix: str, *, name: str = ORIGINALS["name"]) -> str:
    o = ORIGINALS
    return (
        f"{prefix} My SSN is {o['ssn']}, my card {o['card']}, bank account number "
        f"{o['account']}, routing number {o['routing']}. Call me at {o['phone']} or "
        f"{o['email']}. Date of birth {o['dob']}, I live at {o['address']}. Card expiry "
        f"{o['expiry']}, {o['code']}. My name is {name}; my mother lives at "
        f"{o['no_suffix']}."
    )


def _database_text(data_dir: Path) -> str:
    """Every value of every row of every table, as text."""
    connection = sqlite3.connect(data_dir / "assistant.db")
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        assert {"messages", "conversations", "handoffs"} <= set(tables)
        values = [
            str(value)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')
            for value in row
        ]
    finally:
        connection.close()
    return "\n".join(values)


def _people_ready(data_dir: Path, shared_container: Container) -> Container:
    """A container whose caseworkers are on duty, so a request opens a handoff."""
    container = Container(Settings(data_dir=data_dir, environment="test", staff_hours="always"))
    container.__dict__["embedder"] = shared_container.embedder
    return container


def _log_text(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(record.exc_text or "")
    return "\n".join(parts)


def test_originals_reach_neither_the_database_nor_the_logs(
    data_dir: Path, shared_container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger, every level
    container = _people_ready(data_dir, shared_container)
    caseworker = container.staff.create(
        username="sam", password="a long enough password", role=Role.CASEWORKER
    )
    assert container.staff.sign_in("sam", "a long enough password") is not None

    # An ordinary question, then a request for a person (which opens a handoff with a
    # summary quoting the citizen), then a message while waiting for the caseworker.
    first = container.assistant.handle(InboundMessage("web", _message("How do I get SNAP?")))
    session = first.session_id
    second = container.assistant.handle(
        InboundMessage("web", _message("I want to talk to a person.")), session_id=session
    )
    assert second.handoff is not None
    handoff_id = second.handoff.id
    container.assistant.handle(InboundMessage("web", _message("Still there?")), session_id=session)

    # The caseworker's side: notes are redacted (they may quote the citizen), and so is the
    # rating comment. A reply is the caseworker's own words: it reaches the citizen as
    # written (the office's number, its address), so it carries none of the citizen's.
    container.handoffs.claim(handoff_id, caseworker)
    office = "Call our office on 555-010-2000, 12 Main Street."
    container.handoffs.reply(handoff_id, caseworker, office)
    container.handoffs.add_note(handoff_id, caseworker, _message("Citizen gave:"))
    container.handoffs.resolve(handoff_id, caseworker)
    container.handoffs.rate(first.conversation_id, rating=5, comment=_message("Thanks!"))

    stored = _database_text(data_dir)
    assert "[SSN]" in stored and "[CARD NUMBER]" in stored and "[ADDRESS]" in stored
    assert office in stored
    for original in EVERYTHING:
        assert original not in stored, original

    logged = _log_text(caplog.records)
    assert "turn channel=web" in logged  # the turns were logged, without the originals
    for original in EVERYTHING:
        assert original not in logged, original


def test_a_crisis_message_with_personal_data_is_stored_redacted(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = container.assistant.handle(
        InboundMessage("web", _message("My husband hits me and I am scared."))
    )
    assert reply.status == "guardrail_crisis"
    stored = _database_text(container.settings.data_dir)
    logged = _log_text(caplog.records)
    for original in EVERYTHING:
        assert original not in stored, original
        assert original not in logged, original
