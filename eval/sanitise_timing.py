"""Hostile Markdown timed two ways: the kept tag tokenizer, and markdown-it's parse alone.

``python -m eval.sanitise_timing [MB]`` prints one line per input; the figures in
``knowledge_base/uploads/sanitise.py`` came from it (why the tokenizer stays).
"""

from __future__ import annotations

import sys
import time

from markdown_it import MarkdownIt
from markdown_it.token import Token

from knowledge_base.uploads.sanitise import sanitise_markdown

MB = 1 << 20


def hostile_inputs(size: int) -> dict[str, str]:
    return {
        "<div> nested, never closed": "<div>" * (size // 5),
        "<em><strong>x nested, inline": "<em><strong>x " * (size // 14),
        "one open tag, many attributes, no >": "x <a " + 'b="c" ' * (size // 6),
        "<a repeated, never closed": "x " + "<a" * (size // 2),
        "an attribute's quote never closed": 'x <a b="' + "c " * (size // 2),
        "a comment never closed": "x <!--" + " a" * (size // 2),
        "prose with one <span> a line": 'Some text <span class="x">here</span> and more.\n'
        * (size // 48),
    }


def _html_tokens(tokens: list[Token]) -> int:
    blocks = sum(1 for t in tokens if t.type == "html_block")
    inline = sum(1 for t in tokens for c in t.children or () if c.type == "html_inline")
    return blocks + inline


def main(size: int = MB) -> None:
    parser = MarkdownIt("commonmark")
    for name, text in hostile_inputs(size).items():
        started = time.perf_counter()
        sanitise_markdown(text)
        tokenizer = time.perf_counter() - started
        started = time.perf_counter()
        found = _html_tokens(parser.parse(text))
        parsed = time.perf_counter() - started
        print(
            f"{name:38s} {len(text) / MB:5.2f} MB  tokenizer {tokenizer:6.3f} s  "
            f"markdown-it parse {parsed:6.3f} s ({found} HTML tokens)",
            flush=True,
        )


if __name__ == "__main__":
    main(int(float(sys.argv[1]) * MB) if len(sys.argv) > 1 else MB)
