"""The statuses of an item or a part, written once: their words, their code (the order of
:data:`STATUSES`, as the batch stores them), which one wins when the parts of an item are
summed up, and which ones leave an evaluation incomplete."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Status:
    name: str
    zh: str
    en: str
    #: when an item's parts are summed up, the part status of the highest rank is the item's
    rank: int
    #: True when the item still needs something (an input, a valid input, an assessor)
    pending: bool
    #: True when an input is missing or invalid (the item cannot be scored from what was given)
    blocked: bool


#: every status, in the order of its code
TABLE: tuple[Status, ...] = (
    Status("scored", "已评分", "scored", 0, False, False),
    Status("voided", "作废", "voided", 0, False, False),
    Status("vetoed", "否决", "vetoed", 0, False, False),
    Status("missing_input", "缺少输入", "missing input", 2, True, True),
    Status("invalid_input", "输入无效", "invalid input", 3, True, True),
    Status("not_applicable", "不适用", "not applicable", 0, False, False),
    Status("awaiting_assessor", "待评估", "awaiting assessor", 1, True, False),
)
BY_NAME: dict[str, Status] = {s.name: s for s in TABLE}
#: every status an item or part can have (its code is its index)
STATUSES: tuple[str, ...] = tuple(s.name for s in TABLE)
#: every status, in Chinese and English words
STATUS_WORDS: dict[str, tuple[str, str]] = {s.name: (s.zh, s.en) for s in TABLE}
#: statuses that leave an evaluation incomplete
PENDING: frozenset[str] = frozenset(s.name for s in TABLE if s.pending)
#: statuses that settle an item (an unknown status, say a plugin's, settles nothing)
SETTLED: frozenset[str] = frozenset(s.name for s in TABLE if not s.pending)
#: statuses of an item whose input is missing or invalid
BLOCKED: frozenset[str] = frozenset(s.name for s in TABLE if s.blocked)
