"""JSON whose numbers keep every digit.

The library reads JSON numbers as exact decimals (``fuac.run.files.read_json``); :func:`dumps`
writes a ``Decimal`` back as a JSON number with every digit it has (``fmt_number``: no exponent,
no trailing zeros), never through a float, so an input echoed or stored is the input given. A
result's points are already exact text (strings) in ``Evaluation.to_dict()``: they pass as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..language.words import fmt_number
from ..run.files import read_json

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def dumps(value: Any) -> str:
    """``value`` as compact JSON text: a ``Decimal`` as an exact number, a date as ``YYYY-MM-DD``,
    a non-finite number as its text (JSON has no NaN), anything else unknown as its ``str``."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def loads(text: str | bytes) -> Any:
    """JSON with its numbers as exact decimals (an ``InputError`` for text that is not JSON)."""
    return read_json(text, "<json>")


def _write(v: Any, out: list[str]) -> None:
    if v is None:
        out.append("null")
    elif v is True or v is False:
        out.append("true" if v else "false")
    elif isinstance(v, str):
        out.append(_encode_str(v))
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, Decimal):
        out.append(fmt_number(v) if v.is_finite() else _encode_str(str(v)))
    elif isinstance(v, float):
        out.append(repr(v) if math.isfinite(v) else _encode_str(str(v)))
    elif isinstance(v, Mapping):
        out.append("{")
        for k, (key, x) in enumerate(v.items()):
            if k:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _write(x, out)
        out.append("}")
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for k, x in enumerate(v):
            if k:
                out.append(",")
            _write(x, out)
        out.append("]")
    elif isinstance(v, (dt.date, dt.datetime)):
        out.append(_encode_str(v.isoformat()))
    elif hasattr(v, "to_dict"):
        _write(v.to_dict(), out)
    else:
        out.append(_encode_str(str(v)))
