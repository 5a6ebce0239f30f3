"""HTML, and the raw HTML inside Markdown, cleaned with nh3's rules.

No scripts, styles, frames, event handlers or ``javascript:`` links survive. An HTML page
is cleaned whole by nh3 before the loader reads it; inside Markdown, every tag is rebuilt
by the same nh3 cleaner while the Markdown around it is kept as written. Finding those
tags takes the small tokenizer below rather than markdown-it's tokens, measured (issue 13,
markdown-it-py 4.3.0, 1 MB of each input, one busy core; tokenizer = the whole of
``sanitise_markdown``, markdown-it = ``parse`` alone, before any tag is found or cleaned):

====================================  =========  ===========
1 MB of                               tokenizer  markdown-it
====================================  =========  ===========
``<div>`` nested, never closed        0.75 s     0.004 s
``<em><strong>x`` nested, inline      0.56 s     1.71 s
one open tag, 170k attributes, no >   0.07 s     0.50 s
``<a`` repeated, never closed         1.46 s     2.12 s
an attribute's quote never closed     0.04 s     0.10 s
a comment never closed                0.06 s     0.11 s
prose with one ``<span>`` a line      0.47 s     2.60 s
====================================  =========  ===========

Parsing alone is slower on six of seven (5.5x on ordinary prose), and the tokens do not
say where the HTML is: an ``html_inline`` token has no offsets (only its block's line
range), so each would have to be found in the source again by a scan like this one; an
``html_block`` runs to a blank line (the nested ``<div>`` is one 1 MB block, quick to
find but still all to clean), and cleaning a block whole with nh3 would rewrite the
Markdown inside it, which this module keeps as written. Measure again with
``python -m eval.sanitise_timing``.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from bs4 import BeautifulSoup

# What survives sanitising: nh3's safe defaults plus the landmarks and attributes the
# loader uses to find a page's main content and skip hidden parts.
_HTML_TAGS = frozenset(nh3.ALLOWED_TAGS | {"main", "section"})
_HTML_ATTRIBUTES = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"lang", "title", "hidden", "aria-hidden", "role"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Removed together with everything inside them.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noframes", "noscript", "noembed",
        "object", "embed", "applet", "template", "svg", "math", "textarea", "select", "title",
        "xmp", "plaintext",
    }
)  # fmt: skip

_VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "keygen", "frame",
    }
)  # fmt: skip
# Closed implicitly by the parser, so an author may never close them.
_OPTIONAL_CLOSE_TAGS = frozenset(
    {
        "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
        "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
    }
)  # fmt: skip
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")


@functools.cache
def _html_cleaner() -> nh3.Cleaner:
    """nh3 configured once with our rules (configuring it per call costs 15x more)."""
    return nh3.Cleaner(
        tags=set(_HTML_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_HTML_ATTRIBUTES,
        url_schemes=set(_URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def _sanitise_html(source: str) -> str:
    """``source`` with nh3's rules applied: no scripts, styles, frames or handlers."""
    return _html_cleaner().clean(source)


def _html_depth(source: str) -> int:
    """How deeply elements nest (roughly, counting only tags that must be closed)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG_TOKEN.findall(source):
        name = name.lower()
        if name in _VOID_TAGS or name in _OPTIONAL_CLOSE_TAGS or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "xlink:href"})


def _has_active_content(soup: BeautifulSoup) -> bool:
    """Whether the page has anything that runs or embeds: scripts, frames, handlers."""
    if soup.find(list(_DROPPED_WITH_CONTENT - {"title"})) is not None:
        return True
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                return True
            if (
                name.lower() in _URL_ATTRIBUTES
                and isinstance(value, str)
                and _url_scheme(value) in ("javascript", "vbscript", "livescript")
            ):
                return True
    return False


_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script:", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _url_scheme(url: str) -> str | None:
    """The scheme a browser would see in ``url`` (entities decoded, blanks removed)."""
    cleaned = _URL_INVISIBLE.sub("", html.unescape(url.replace("\\", "")))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def _is_unsafe_url(url: str) -> bool:
    """Whether a link to ``url`` could run code: any scheme but http(s), mailto and tel."""
    scheme = _url_scheme(url)
    return scheme is not None and scheme not in _URL_SCHEMES


_ATTRIBUTE = (
    r"""[ \t\r\n]+[A-Za-z_:][A-Za-z0-9_.:-]{0,127}"""
    r"""(?:[ \t\r\n]*=[ \t\r\n]*(?:[^ \t\r\n"'=<>`]{1,4096}|'[^']{0,4096}'|"[^"]{0,4096}"))?"""
)
_ATTRIBUTE_NAME = re.compile(r"""[ \t\r\n]+([A-Za-z_:][A-Za-z0-9_.:-]*)""")
_OPEN_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9-]{{0,63}})((?:{_ATTRIBUTE}){{0,64}})[ \t\r\n]*/?>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]{0,63})[ \t\r\n]*>")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\x00-\x20]{0,4096})>")
_EMAIL_AUTOLINK = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,256}@[A-Za-z0-9.-]{1,256}>")
_UNFINISHED_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]{0,63})|<[!?/]")
_KNOWN_TAGS = _HTML_TAGS | _DROPPED_WITH_CONTENT | _VOID_TAGS | {"form", "button", "input"}
_NON_ELEMENTS = (
    (re.compile(r"<!--"), "-->", False),
    (re.compile(r"<!\[CDATA\["), "]]>", True),
    (re.compile(r"<\?"), "?>", True),
    (re.compile(r"<![A-Za-z]"), ">", True),
)
_CLEAN_START_TAG = r"""<{name}(?:\s+[^\s=>]+(?:="[^"]*")?)*\s*/?>"""
# Where a lone start tag must sit for an HTML parser to keep it.
_TAG_CONTEXT = {
    "td": "<table><tbody><tr>", "th": "<table><tbody><tr>", "tr": "<table><tbody>",
    "tbody": "<table>", "thead": "<table>", "tfoot": "<table>", "caption": "<table>",
    "colgroup": "<table>", "col": "<table><colgroup>", "li": "<ul>", "dt": "<dl>",
    "dd": "<dl>", "rt": "<ruby>", "rp": "<ruby>", "rtc": "<ruby>",
}  # fmt: skip
# A Markdown link or image destination, and a link reference definition.
_LINK_DESTINATION = re.compile(
    r"(\]\([ \t]*\n?[ \t]*)"
    r"(<[^<>\n]{0,4096}>|[^\s()<>]{1,4096}(?:\([^\s()<>]{0,4096}\)[^\s()<>]{0,4096})*)"
)
_REFERENCE_DEFINITION = re.compile(
    r"^([ ]{0,3}\[[^\]\n]{1,999}\]:[ \t]*\n?[ \t]*)(<[^<>\n]{0,4096}>|\S{1,4096})", re.MULTILINE
)


def sanitise_markdown(markdown: str) -> str:
    """``markdown`` with its raw HTML cleaned by nh3's rules; Markdown itself is kept.

    Use it on every Markdown an editor saves (pasted, uploaded or edited).
    """
    return _sanitise_markdown(markdown)[0]


def _sanitise_markdown(markdown: str) -> tuple[str, bool]:
    """``markdown`` with its raw HTML cleaned, and whether anything unsafe was removed.

    Every HTML tag is rebuilt by nh3 (attributes it does not allow, such as ``on*=`` and
    ``javascript:`` links, are dropped); scripts, styles, frames and the like go with their
    content; comments go; links and images whose address runs code point nowhere (``#``).
    Markdown itself is left as written.
    """
    out: list[str] = []
    removed = False
    position = 0
    while (start := markdown.find("<", position)) != -1:
        out.append(markdown[position:start])
        replacement, position, unsafe = _sanitise_markup_at(markdown, start)
        out.append(replacement)
        removed = removed or unsafe
    out.append(markdown[position:])
    text = "".join(out)
    text, links_removed = _neutralise_link_destinations(text)
    # Anything still naming a script scheme is in prose or code: break the scheme so no
    # renderer can ever turn it into a link.
    text, leftovers = _SCRIPT_SCHEME.subn(lambda m: m.group()[:-1] + " :", text)
    return text, removed or links_removed or leftovers > 0


def _sanitise_markup_at(text: str, start: int) -> tuple[str, int, bool]:
    """What replaces the markup starting at ``text[start] == "<"``, where it ends, and
    whether something unsafe was dropped."""
    # Comments, CDATA, processing instructions and declarations go whole; unfinished,
    # their "<" is escaped so that no parser sees them start.
    for opener, closer, unsafe in _NON_ELEMENTS:
        if opener.match(text, start):
            end = text.find(closer, start + 2)
            if end == -1:
                return "&lt;", start + 1, unsafe
            return "", end + len(closer), unsafe
    if match := _AUTOLINK.match(text, start):
        if _is_unsafe_url(match.group(1)):
            return "", match.end(), True
        return match.group(), match.end(), False
    if match := _EMAIL_AUTOLINK.match(text, start):
        return match.group(), match.end(), False
    if match := _CLOSE_TAG.match(text, start):
        name = match.group(1).lower()
        keep = name in _HTML_TAGS
        return (f"</{name}>" if keep else ""), match.end(), not keep
    if match := _OPEN_TAG.match(text, start):
        name = match.group(1).lower()
        if name in _DROPPED_WITH_CONTENT and name not in _VOID_TAGS:
            # Gone up to its end tag; without one, only the tag goes (what follows is
            # then plain text, and the rest of the document is not lost).
            end_tag = re.compile(rf"</{name}[ \t\r\n]*>", re.IGNORECASE).search(text, match.end())
            return "", match.end() if end_tag is None else end_tag.end(), True
        if name not in _HTML_TAGS:
            return "", match.end(), True
        clean = _sanitise_start_tag(name, match.group())
        before = {a.lower() for a in _ATTRIBUTE_NAME.findall(match.group(2))}
        after = {a.lower() for a in _ATTRIBUTE_NAME.findall(clean[len(name) + 1 :])}
        return clean, match.end(), not before <= after
    if unfinished := _UNFINISHED_TAG.match(text, start):  # make sure it stays text
        return "&lt;", start + 1, (unfinished.group(1) or "").lower() in _KNOWN_TAGS
    return "<", start + 1, False


@functools.lru_cache(maxsize=4096)
def _sanitise_start_tag(name: str, tag: str) -> str:
    """One start tag, cleaned by nh3 in a context where a parser keeps it."""
    context = _TAG_CONTEXT.get(name, "")
    cleaned = _sanitise_html(context + tag)
    found = re.search(_CLEAN_START_TAG.format(name=re.escape(name)), cleaned)
    return found.group() if found else ""


def _neutralise_link_destinations(text: str) -> tuple[str, bool]:
    """Markdown links and reference definitions whose address would run code point to ``#``."""
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        if not _is_unsafe_url(match.group(2).strip("<>")):
            return match.group()
        changed = True
        return match.group(1) + "#"

    text = _LINK_DESTINATION.sub(replace, text)
    text = _REFERENCE_DEFINITION.sub(replace, text)
    return text, changed
