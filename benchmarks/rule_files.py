"""Rule files at scale (run on demand; not part of the test suite): refusing a rule file with a
problem on every one of its items, and merging an overlay onto a base of as many items, must take
time in proportion to the items — ten times the items about ten times as long, not a hundred.

    python benchmarks/rule_files.py            # 2,000 and 20,000 items; exit 1 if a ratio passes 30

Before these were made linear, a 20,000-item file with a problem per item took about a minute
(each problem compared with all before it) and the overlay's merge scanned the base per item.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

import fuac  # noqa: E402
from fuac.errors import RulesetError  # noqa: E402
from fuac.language.toml import LineIndex  # noqa: E402
from fuac.plan.compose import FileOrigins, compose_docs  # noqa: E402
from test_hostile_rules import many_problems  # noqa: E402

LIMIT = 30


def seconds(fn: Callable[[], object], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def refuse(path: Path) -> None:
    try:
        fuac.load(path)
    except RulesetError as exc:
        assert len(exc.problems) == 51
    else:
        raise AssertionError("the rule file was not refused")


def merge(n: int) -> None:
    base = {"scheme": {"kind": "points"},
            "sections": [{"id": "A", "items": [{"id": f"i{i}", "max": 1} for i in range(n)]}]}
    over = {"sections": [{"id": "A", "items": [{"id": f"i{i}", "max": 2} for i in reversed(range(n))]}]}
    origins = FileOrigins("base.toml", LineIndex(""))
    _, _, problems = compose_docs(base, origins, over, origins, name="over.toml")
    assert problems == []


def main() -> int:
    fuac.rulesets()  # the engine is built before the clock starts
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        small = many_problems(Path(tmp) / "small.toml", 2000)
        big = many_problems(Path(tmp) / "big.toml", 20000)
        for name, fs, fb in (("refuse a file of n problems", lambda: refuse(small), lambda: refuse(big)),
                             ("merge an overlay of n items", lambda: merge(2000), lambda: merge(20000))):
            ts, tb = seconds(fs), seconds(fb, 1)
            ratio = tb / ts
            failed |= ratio > LIMIT
            print(f"{name}: 2,000 in {ts:.3f} s, 20,000 in {tb:.3f} s: {ratio:.1f} × (linear: about 10 ×; "
                  f"limit {LIMIT} ×)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
