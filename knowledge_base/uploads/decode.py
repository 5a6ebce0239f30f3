"""The text in an upload: UTF-8 and declared UTF-16 as they are, other encodings guessed.

Nearly every file is UTF-8, which is tried first and needs no guessing. A byte-order mark
is a declaration: text that breaks it is refused rather than guessed at. Everything else
goes to ``charset-normalizer``; Windows-1252 is asked about first, because it is what
legacy Western European files (English and Spanish, here) are written in, and on short
text the unrestricted guess often picks a neighbouring code page that garbles accents.
Another encoding is taken only when the library recognises a language in the result.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from knowledge_base.uploads.common import UploadRejected

_BINARY_BYTES = bytes(b for b in range(32) if chr(b) not in "\t\n\r\f\v\x1a\x1b")
_BINARY_CHARS = frozenset(_BINARY_BYTES.decode("ascii"))
_UNICODE = frozenset(
    {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}
)
# How sure charset-normalizer must be of a language before its guess of a code page
# other than Windows-1252 is used (0-1; real prose in the guessed encoding scores 0.7+).
_MIN_COHERENCE = 0.5


def _decode_text(data: bytes, warnings: list[str], *, binary: bool = False) -> str | None:
    """The text in ``data``, with a warning when it was guessed; None if it is binary.

    ``binary`` says a binary signature matched, so that text which is not UTF-8 is
    taken for that binary file rather than guessed at. Raises UploadRejected for text
    whose encoding we cannot tell or that breaks its byte-order mark.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_or_reject(data[3:], "utf-8", "UTF-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_or_reject(data, "utf-16", "UTF-16")
    else:
        # A NUL is valid UTF-8 but no text file has one: it is UTF-16 or binary.
        has_nul = b"\x00" in data[:4096]
        try:
            if has_nul:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL")
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if binary or (not has_nul and _looks_binary(data)):
                return None
            guessed = _guess(data, warnings, has_nul=has_nul)
            if guessed is None:
                return None
            text = guessed
    return None if _looks_binary_text(text) else text


def _guess(data: bytes, warnings: list[str], *, has_nul: bool) -> str | None:
    """``data`` decoded by charset-normalizer's guess; None for binary, a refusal when
    it is text in an encoding we cannot tell."""
    western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    if western is not None and not has_nul:
        warnings.append(
            "The file was not saved as UTF-8, so we read it as Windows-1252 (Western "
            "European). Check accented letters, quotes and symbols such as € in the draft."
        )
        return str(western)
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    if best.encoding in _UNICODE:
        return str(best)
    if has_nul:
        return None
    if best.coherence < _MIN_COHERENCE:
        raise UploadRejected(
            "This text file is not saved as UTF-8, and we cannot tell which encoding it uses. "
            "Open it in a text editor, save it as UTF-8 and upload it again.",
            problem="malformed",
        )
    warnings.append(
        f"The file was not saved as UTF-8, so we read it as {best.encoding} "
        f"({best.language}). Check its letters and symbols in the draft."
    )
    return str(best)


def _decode_or_reject(data: bytes, encoding: str, label: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UploadRejected(
            f"This file says it is {label} text, but part of it is not (it may be damaged or "
            "cut short). Open it in a text editor, save it as UTF-8 and upload it again.",
            problem="malformed",
        ) from None


def _looks_binary(data: bytes) -> bool:
    """More than 1% control bytes: not text in any 8-bit encoding."""
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return controls > len(sample) / 100


def _looks_binary_text(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch in _BINARY_CHARS)
    return "\x00" in sample or controls > len(sample) / 100


def _strip_controls(text: str) -> str:
    """``text`` without NULs and other control characters (tabs and line breaks stay)."""
    return text.translate({ord(ch): None for ch in _BINARY_CHARS})
