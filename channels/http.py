"""What the channels that serve pages over HTTP share (web chat, consoles, the SMS
channel's full-answer page), so none of them imports another."""

from __future__ import annotations

# HEAD too, with GET's status and headers: uptime and link checkers send HEAD.
PAGE_METHODS = ["GET", "HEAD"]
