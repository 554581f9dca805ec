"""Reading TOML rule files with exact decimals and line numbers for every key.

``tomllib`` gives no positions, so :class:`LineIndex` scans the text once and maps
each table header and ``key =`` line to its line number. Paths use the same shape
as pydantic's error locations: ``("sections", 0, "items", 3, "points")``.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..errors import RulesetSyntaxError

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024

_KEY_PART = r'(?:[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_KEYLINE = re.compile(rf"^\s*({_DOTTED})\s*=")
_SPLIT = re.compile(rf"{_KEY_PART}")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in _SPLIT.finditer(dotted):
        p = m.group(0)
        if p[0] in "\"'":
            p = p[1:-1]
        parts.append(p)
    return tuple(parts)


class LineIndex:
    """Maps key paths of a TOML document to the line they are written on."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._lines: dict[tuple[Any, ...], int] | None = None

    @property
    def lines(self) -> dict[tuple[Any, ...], int]:
        """Key path → line number, built on first use (only errors and docs need it)."""
        if self._lines is None:
            self._lines = self._scan(self._text or "")
            self._text = None
        return self._lines

    def _scan(self, text: str) -> dict[tuple[Any, ...], int]:
        lines: dict[tuple[Any, ...], int] = {}
        counters: dict[tuple[Any, ...], int] = {}
        # resolved prefix of the current table, with array indices filled in
        table: tuple[Any, ...] = ()
        depth = 0  # open [ / { outside strings (multi-line arrays, inline tables)
        in_ml: str | None = None  # inside a multi-line string: its delimiter
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw
            if in_ml:
                if in_ml in line:
                    in_ml = None
                continue
            if depth == 0:
                m = _HEADER.match(line)
                if m:
                    key = _split_key(m.group(2))
                    resolved = self._resolve(key, counters)
                    if m.group(1) == "[[":
                        n = counters.get(resolved, -1) + 1
                        counters[resolved] = n
                        resolved = (*resolved, n)
                    table = resolved
                    lines.setdefault(table, lineno)
                    continue
                m = _KEYLINE.match(line)
                if m:
                    key = _split_key(m.group(1))
                    lines.setdefault((*table, *key), lineno)
            depth, in_ml = _scan_brackets(line, depth)
        return lines

    @staticmethod
    def _resolve(key: tuple[str, ...], counters: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
        # a header like [[sections.items]] belongs to the last element of array "sections"
        out: tuple[Any, ...] = ()
        for i, part in enumerate(key):
            out = (*out, part)
            if i < len(key) - 1 and out in counters:
                out = (*out, counters[out])
        return out

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """Line of the longest prefix of ``path`` that is written in the file."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


#: what changes the bracket depth of a line, or ends its scan: a comment, a multi-line string's
#: opening, a basic string with its escapes, a literal string (one left open runs to the end), a bracket
_BRACKET_TOKEN = re.compile(r"""#|\"\"\"|'''|"(?:[^"\\]|\\.)*"?|'[^']*'?|[\[\]{}]""")


def _scan_brackets(line: str, depth: int) -> tuple[int, str | None]:
    """The bracket depth after ``line``, and the delimiter of a multi-line string it leaves open.

    The regular expression skips plain text and whole strings at once: a line takes a few steps,
    not one per character (a rule file of 20,000 items is indexed in a fraction of a second)."""
    pos = 0
    while True:
        m = _BRACKET_TOKEN.search(line, pos)
        if m is None or m.group(0) == "#":
            return depth, None
        tok = m.group(0)
        pos = m.end()
        if tok in ('"""', "'''"):
            close = line.find(tok, pos)
            if close < 0:
                return depth, tok
            pos = close + 3
        elif tok in ("[", "{"):
            depth += 1
        elif tok in ("]", "}"):
            depth = max(0, depth - 1)


def format_path(path: tuple[Any, ...]) -> str:
    """``("sections", 0, "items", 2, "points")`` → ``sections[0].items[2].points``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(path: str | Path | None = None, *, text: str | None = None) -> tuple[dict[str, Any], LineIndex, str]:
    """Parse a TOML document with exact decimals. Returns (data, line index, text)."""
    name = str(path) if path is not None else "<string>"
    if text is None:
        assert path is not None
        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise RulesetSyntaxError(f"cannot read file: {exc.strerror}", path=name) from exc
        if size > MAX_RULE_FILE_BYTES:
            raise RulesetSyntaxError(
                f"file is {size} bytes; rule files are limited to {MAX_RULE_FILE_BYTES}", path=name
            )
        raw = p.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise RulesetSyntaxError("file is not valid UTF-8", path=name, line=line) from exc
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        pos = int(m.group(1)) if m else None
        raise RulesetSyntaxError(f"invalid TOML: {_TOML_POS.sub('', msg).strip()}", path=name, line=pos) from exc
    except RecursionError:  # arrays or tables nested thousands deep: refused, not a traceback
        raise RulesetSyntaxError("invalid TOML: arrays or inline tables nested too deeply", path=name) from None
    return data, LineIndex(text), text
