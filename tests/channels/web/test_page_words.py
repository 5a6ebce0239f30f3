"""Every word the chat page's script says is in the catalog's table (page_text.SCRIPT):
one missing there is shown in English on the Spanish page (as "The caseworker is typing…"
was)."""

from __future__ import annotations

import re

from assistant.canned import translate
from channels.web.page_text import SCRIPT
from channels.web.pages import STATIC_DIR


def _keys(source: str, table: str) -> list[str]:
    start = source.index(f"const {table} = {{")
    block = source[start : source.index("};", start)]
    return re.findall(r"^\s+(\w+):", block, re.MULTILINE)


def test_every_word_of_the_page_script_is_translated() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    words = _keys(script, "TEXT")
    assert len(words) > 50
    assert [key for key in words if key not in SCRIPT] == []
    shared = {"queued", "active", "resolved"}  # said with waiting's, connected's, closed's
    states = [s for s in _keys(script, "HANDOFF_STATES") if s not in shared]
    assert [s for s in states if f"state_{s}" not in SCRIPT] == []
    # (make messages extracts SCRIPT; tests/assistant/test_spanish.py: all translated)
    assert translate(SCRIPT["caseworkerTyping"], "es") == "El trabajador social está escribiendo…"
