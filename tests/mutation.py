"""A uniform sample of the scoring core's mutants, and its tally (``nox -s mutants -- --sample N``).

The whole core is about 9,000 mutants at about half a minute each on 2 cores (a surviving
mutant runs every test that reaches its function): days, not a session. A seeded uniform
sample of them gives the kill rate with a stated margin, and its survivors, in an hour or two.

    python tests/mutation.py sample 300 --seed 1 > names.txt   # after mutmut generated its mutants
    python tests/mutation.py tally names.txt                    # after `mutmut run $(cat names.txt)`

Reads mutmut's own records (``mutants/**/*.py.meta``), run from the project's folder.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): what each says about a mutant
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "type check",
          None: "not checked"}


def records(root: Path = Path("mutants")) -> dict[str, int | None]:
    """Every generated mutant's name and exit code (None: not run yet)."""
    out: dict[str, int | None] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        out.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return out


def sample(n: int, seed: int, root: Path = Path("mutants")) -> list[str]:
    names = sorted(records(root))
    if not names:
        raise SystemExit("no mutants: run `mutmut run` once first (it generates them)")
    return sorted(random.Random(seed).sample(names, min(n, len(names))))


def tally(names: list[str], root: Path = Path("mutants")) -> str:
    codes = records(root)
    counts = Counter(STATUS.get(codes.get(n), "suspicious") for n in names)
    killed = counts["killed"] + counts["timeout"] + counts["type check"]
    # a mutant no test reaches is not killed: it counts against the rate like a survivor
    decided = killed + counts["survived"] + counts["no tests"]
    lines = [f"{len(names)} mutants sampled of {len(codes)}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common())]
    if decided:
        p = killed / decided
        margin = 1.96 * math.sqrt(p * (1 - p) / decided)  # normal approximation, 95 %
        lines.append(f"killed {killed} of {decided} run: {p:.1%} ± {margin:.1%} (95 % interval)")
    lines += [f"  {STATUS[codes[n]]}: {n}" for n in names if STATUS.get(codes.get(n)) in ("survived", "no tests")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample", help="print N mutant names drawn uniformly (seeded)")
    s.add_argument("n", type=int)
    s.add_argument("--seed", type=int, default=1)
    t = sub.add_parser("tally", help="kill rate of the names in FILE")
    t.add_argument("file", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "sample":
        print("\n".join(sample(a.n, a.seed)))
    else:
        print(tally([ln.strip() for ln in a.file.read_text(encoding="utf-8").splitlines() if ln.strip()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
