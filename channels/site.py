"""The site's frame for pages written by the server (the answer behind a texted link):
the chat page's header, landmarks and footer around a page's own content, so every page a
citizen is sent to looks like one site.

The chat page (``channels/web/static/index.html``) writes the same markup by hand; its
words are the same catalog entries (``assistant/locale``), so one translation serves
both. Shared here, as ``channels/text.py`` is, so no channel imports another.
"""

from __future__ import annotations

import html
from typing import Final

from assistant.canned import DEFAULT_LANGUAGE, N_, translate

__all__ = ["framed_page"]

_ORG: Final = N_("City of Fairhaven")
_STATE: Final = N_("State of Westmark")
_SERVICE: Final = N_("Services assistant")
_SKIP: Final = N_("Skip to main content")
_FOOTER_GENERAL: Final = N_(
    "Answers are general information from official pages. The assistant cannot see your "
    "records or make decisions about your case. Always check the linked page before you act."
)
_FOOTER_EMERGENCY: Final = N_("In an emergency, call 911.")
_FOOTER_ORG: Final = N_("City of Fairhaven and State of Westmark")
# As the chat page's, less what a page without script needs: nothing is run, nothing fetched
# but the stylesheet and the icon.
_CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'"
)


def framed_page(
    *, title: str, content: str, language: str = DEFAULT_LANGUAGE, root: str = "../"
) -> str:
    """A whole page: ``content`` (markup the caller built and escaped) in the site's frame.

    ``title`` is plain text (escaped here). ``root`` leads from the page's address to the
    site's root, relative so the page also works behind a path prefix (``../`` from
    ``/a/{token}``): the stylesheet, the icon and the chat page are reached through it.
    """

    def t(text: str) -> str:
        return html.escape(translate(text, language))

    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="{e(language)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<meta name="theme-color" content="#0b0c0c">
<title>{e(title)}</title>
<link rel="icon" href="{e(root)}static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{e(root)}static/app.css">
</head>
<body>
<a class="skip-link" href="#main">{t(_SKIP)}</a>
<header class="site-header">
<div class="width-container site-header__inner">
<p class="site-header__org">{t(_ORG)}
<span class="site-header__sep" aria-hidden="true">·</span> {t(_STATE)}</p>
<p class="site-header__service">{t(_SERVICE)}</p>
</div>
</header>
<div class="width-container">
<main id="main" class="main">
<div class="column">
{content}
</div>
</main>
</div>
<footer class="site-footer">
<div class="width-container">
<p>{t(_FOOTER_GENERAL)}</p>
<p><strong>{t(_FOOTER_EMERGENCY)}</strong></p>
<p>{t(_FOOTER_ORG)}</p>
</div>
</footer>
</body>
</html>
"""
