"""Opening the files people send: the text encoding of a CSV, and a workbook checked before it is
opened (its size once unpacked, its compression ratio, XML entities refused).

Every failure is an :class:`~fuac.errors.InputError` of one line naming the file and what to do.
"""

from __future__ import annotations

import codecs
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError

#: the encodings a CSV may be in without being named (what Excel saves on Chinese Windows is GB18030's subset GBK)
DETECTED = ("utf-8", "utf-16", "gb18030")
#: how much of a file is read to tell its encoding (a later undecodable byte is still a one-line error)
SNIFF_BYTES = 4 << 20

#: a workbook's parts unpacked may not be larger than this in all
MAX_UNPACKED = 1 << 30
#: nor may one part unpack to more than this many times its packed size (once it is over 1 MiB)
MAX_RATIO = 200
#: the most rows a sheet may have (Excel's own limit)
MAX_SHEET_ROWS = 1_048_576


def detect_encoding(path: Path) -> str:
    """The text encoding of ``path``: from its byte-order mark (UTF-8 or UTF-16), else UTF-8 when its
    start decodes as UTF-8, else GB18030 (which reads GBK and GB2312) when it decodes as that."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)("strict")
        try:
            dec.decode(head, final=len(head) < SNIFF_BYTES)  # a character cut at the sniff's end is not an error
        except UnicodeDecodeError:
            continue
        return enc
    raise InputError(f"{path}: cannot tell the text encoding (not UTF-8, UTF-16 or GB18030/GBK); "
                     "save it as CSV UTF-8, or name it with --encoding")


def check_encoding(encoding: str) -> str:
    """``encoding`` as Python names it, or a one-line error."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"--encoding: unknown text encoding {encoding!r} (e.g. utf-8, gb18030, utf-16)") from None


def check_workbook(path: Path) -> None:
    """Refuse a workbook that is not a zip, or would unpack to too much (a zip bomb), before opening it."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                total += info.file_size
                if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise InputError(f"{path}: refused: its part {info.filename!r} unpacks to {info.file_size:,} "
                                     f"bytes from {info.compress_size:,} (more than {MAX_RATIO} times)")
                if total > MAX_UNPACKED:
                    raise InputError(f"{path}: refused: it unpacks to more than {MAX_UNPACKED:,} bytes")
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not an .xlsx workbook ({exc}); save it from Excel as .xlsx") from None


def open_workbook(path: Path, *, data_only: bool = True) -> Any:
    """An openpyxl workbook (read-only) of ``path``, once checked; XML entities are refused (defusedxml)."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("reading .xlsx needs openpyxl: pip install 'fuac[xlsx]'") from exc
    try:
        import defusedxml  # type: ignore[import-untyped]  # noqa: F401  (openpyxl parses with it)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("reading .xlsx safely needs defusedxml: pip install 'fuac[xlsx]'") from exc
    check_workbook(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except InputError:
        raise
    except Exception as exc:  # openpyxl's and defusedxml's errors have no common base
        raise unreadable_workbook(path, exc) from None


def unreadable_workbook(path: Path, exc: BaseException) -> InputError:
    """The one-line error for a workbook that cannot be read (its parts parsed lazily, when iterated)."""
    return InputError(f"{path}: not a readable .xlsx workbook: {_why(exc)}")


def _why(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps what the XML parser refused
        if type(cause).__name__ in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
            return "it declares XML entities, which fuac does not read"
        cause = cause.__cause__ or cause.__context__
    name = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{name}: {text}"[:200] if text else name


def read_json(text: str | bytes, where: str) -> Any:
    """JSON with its numbers exact (Decimal), or a one-line error naming ``where`` (a file, a line)
    for text that is not JSON, not UTF-8, or nested too deeply to read."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise InputError(f"{where}: not read: the JSON is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError is one
        raise InputError(f"{where}: not valid JSON: {str(exc).splitlines()[0][:200]}") from None


def read_json_file(path: Path) -> Any:
    """A JSON file (UTF-8, with or without its mark), as :func:`read_json` reads it."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    return read_json(data, str(path))
