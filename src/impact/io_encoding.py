"""The text encoding of a CSV file as users save it (UTF-8 with or without BOM, GB18030/GBK from
Chinese Excel): ``decode_csv_bytes`` decodes or fails naming the line and the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from impact.errors import InputError, Problem

#: Encodings tried, in order, by strict decoding of a CSV file.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_ASCII_RUNS = re.compile("[\x00-\x7f]+")


def _gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _encoding_error(data: bytes, off: int, file: str, expected: str) -> InputError:
    bad = data[off : off + 4]
    return InputError(Problem(file, None, None,
                              f"undecodable bytes {bad.hex(' ')} at byte offset {off} (line {_line_of(data, off)})",
                              expected))


_RESAVE = "re-save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8; WPS/LibreOffice: choose UTF-8)"


def _decode_as(data: bytes, encoding: str, file: str) -> str:
    import codecs

    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(Problem(file, None, None, f"encoding {encoding!r}",
                                 "a Python codec name such as utf-8, gbk, gb18030, big5")) from None
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec, errors="strict")
    except UnicodeDecodeError as err:
        raise _encoding_error(data, err.start, file, f"text encoded as {encoding} (as given with --encoding)") from None
    return text.lstrip("\ufeff")


def decode_csv_bytes(data: bytes, *, file: str = "<bytes>", encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes strictly; return ``(text, encoding)``.

    Parameters
    ----------
    data : the file's bytes.
    file : name used in error messages.
    encoding : a codec name (``"big5"``, ``"gbk"``, ...) to use instead of detecting.

    Notes
    -----
    Detection tries UTF-8 (a BOM is dropped) and then GB18030 (which reads GBK and
    GB2312). GB18030 accepts almost any byte pairs, so a Big5, Shift-JIS or Latin-1
    file "decodes" into wrong characters; the decoded text is therefore accepted as
    GBK only when it is clearly Simplified Chinese: among its distinct non-ASCII
    characters, those outside GB2312 (the 7,445 common characters and symbols) are
    none when the bytes are also valid Big5, and fewer than 3 or under 25 %
    otherwise. Otherwise :class:`InputError` says what the file looks like and how
    to re-save it (or to pass ``encoding``). A file whose bytes before the first
    invalid UTF-8 byte hold Chinese text in valid UTF-8 is a damaged UTF-8 file
    (error at that byte), never re-read as GB18030.
    :func:`check_gbk_chars` is that test on its own, for a reader that has the distinct
    characters at hand (:mod:`impact.userdata_read` parses GBK bytes without decoding the text).
    """
    if encoding:
        return _decode_as(data, encoding, file), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(file, None, None, "UTF-16 byte-order mark",
                    "a CSV file encoded as UTF-8 or GBK (in Excel: Save As > 'CSV UTF-8')")
        )
    if b"\x00" in data[:4096]:
        raise InputError(Problem(file, None, None, "NUL bytes (a binary file or UTF-16 text without a byte-order mark)",
                                 f"a text CSV file: {_RESAVE}"))
    try:
        return data.decode("utf-8-sig", errors="strict"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    # Valid multi-byte UTF-8 before the bad byte means a UTF-8 file with a corrupt or
    # mixed-in byte, not a GBK file: decoding it as GB18030 would garble it silently.
    prefix = data[: utf8_error.start].decode("utf-8-sig")
    looks_utf8 = sum("\u4e00" <= ch <= "\u9fff" for ch in prefix) >= 2
    if looks_utf8:
        raise _encoding_error(data, utf8_error.start, file, "text encoded as UTF-8 (the file is damaged here)")
    try:
        text = data.decode("gb18030", errors="strict")
    except UnicodeDecodeError as err:
        raise _encoding_error(data, err.start, file, f"text encoded as UTF-8 or GBK/GB18030; {_RESAVE}") from None
    check_gbk_chars(set(_ASCII_RUNS.sub("", text)), data, file=file)
    return text, "gb18030"


def check_gbk_chars(distinct: set[str], data: bytes | Callable[[], bytes], *, file: str = "<bytes>") -> None:
    """Raise :class:`InputError` unless text decoded from ``data`` as GB18030, whose distinct
    characters are ``distinct`` (ASCII ones may be left out), is clearly Simplified Chinese
    (the rule of :func:`decode_csv_bytes`). ``data`` (or a function returning it, called only
    when some character is outside GB2312) is tried as Big5."""
    distinct = {ch for ch in distinct if ch > "\x7f"}
    outside = sorted(ch for ch in distinct if not _gb2312(ch))
    if outside:
        if callable(data):
            data = data()
        try:
            data.decode("big5", errors="strict")
            big5 = True
        except UnicodeDecodeError:
            big5 = False
        if big5 or (len(outside) >= 3 and len(outside) > 0.25 * len(distinct)):
            looks = "Big5 (Traditional Chinese)" if big5 else "not GBK (Big5, Shift-JIS, Latin-1 or damaged text)"
            shown = "".join(outside[:8])
            raise InputError(Problem(
                file, None, None,
                f"text that is neither UTF-8 nor clearly GBK: read as GBK it gives rare characters such as "
                f"{shown!r}; it looks {looks}",
                f"UTF-8 or GBK text; {_RESAVE}, or name the encoding (--encoding big5 / --encoding gbk)",
            ))
