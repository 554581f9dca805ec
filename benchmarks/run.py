"""Benchmarks of fuac (run on demand; not part of the test suite).

    python benchmarks/run.py                 # everything, at real sizes
    python benchmarks/run.py --quick         # smaller sizes, fewer repeats
    python benchmarks/run.py --only liunan   # one group: liunan, schemes, single, import

Reports median wall time, throughput and peak memory above the input of
``fuac.evaluate_many`` for every built-in scheme at real sizes, next to a plain
hand-written numpy implementation of liunan-2023 (``baseline_liunan.py``) timed in
the same run, plus a single ``fuac.evaluate`` of liunan-2023 (with its
explanation) and ``import fuac`` with every built-in rule set loaded.
Each memory figure comes from a fresh process (peak RSS after the input is built,
minus RSS before scoring), so that runs do not inherit each other's heap.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

ON = "2023-10-01"
TARGETS = {
    "liunan columns / numpy": 1.5,
    "liunan frame / numpy": 2.0,
    "villages 490k (s)": 0.3,
    "memory above input (B/row)": 1024,
    "single evaluate (µs)": 200,
    "import + load all (ms)": 150,
}


def median_time(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """The process's peak resident memory since the last :func:`_reset_peak` (Linux: VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource  # pragma: no cover - not Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    """Forget the peak so far (Linux ≥ 4.0), so that building the input does not count."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:  # pragma: no cover - not Linux: the peak includes building the input
        pass


def memory_child(ruleset: str, tier: str | None, n: int, form: str) -> dict[str, Any]:
    """In a fresh process: build the input, then score it once; peak RSS above the input."""
    import generate

    import fuac

    cols = generate.units(ruleset, n, tier=tier)
    data: Any = cols
    if form == "frame":
        import pandas as pd

        data = pd.DataFrame(cols)
        del cols
    fuac.evaluate_many(ruleset, {k: v[:50] for k, v in generate.units(ruleset, 50, tier=tier).items()},
                       tier=tier, on=ON)  # imports and compiled program, before the baseline is taken
    import gc

    gc.collect()
    before = _rss()
    _reset_peak()
    res = fuac.evaluate_many(ruleset, data, tier=tier, on=ON)
    peak = _peak_rss()
    return {"rows": len(res), "above_input": peak - before, "per_row": (peak - before) / n}


def memory(ruleset: str, tier: str | None, n: int, form: str = "columns") -> dict[str, Any]:
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import run; "
            f"print(json.dumps(run.memory_child({ruleset!r}, {tier!r}, {n}, {form!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_liunan(n: int, repeat: int) -> dict[str, Any]:
    import baseline_liunan
    import generate
    import pandas as pd

    import fuac

    cols = generate.units("liunan-2023", n)
    frame = pd.DataFrame(cols)
    fuac.evaluate_many("liunan-2023", {k: v[:100] for k, v in cols.items()}, on=ON)  # warm up
    base = median_time(lambda: baseline_liunan.score(cols), repeat)
    col_t = median_time(lambda: fuac.evaluate_many("liunan-2023", cols, on=ON), repeat)
    frame_t = median_time(lambda: fuac.evaluate_many("liunan-2023", frame, on=ON), repeat)
    res = fuac.evaluate_many("liunan-2023", cols, on=ON)
    ref = baseline_liunan.score(cols)
    import numpy as np

    agree = float(np.mean(np.abs(res.column("total") - ref["total"]) < 1e-9))
    return {"rows": n, "numpy baseline (s)": base, "columns (s)": col_t, "frame (s)": frame_t,
            "columns / numpy": col_t / base, "frame / numpy": frame_t / base,
            "rows/s (columns)": n / col_t, "totals agreeing with the baseline": agree,
            "rows through the single-unit path": res.backend_report["rows_single_unit"]}


SCHEMES = [
    ("liunan-2023", None, ["counties-gd", "counties-cn", "townships-cn", "villages-cn", "stress"]),
    ("guangdong-2020", "county", ["counties-gd", "counties-cn"]),
    ("wuhan-2017", "district", ["counties-gd", "counties-cn"]),
    ("wuhan-2017", "street", ["townships-cn"]),
    ("wuhan-2017", "village", ["villages-cn"]),
    ("longnan-2021", None, ["counties-gd", "counties-cn"]),
]


def bench_schemes(repeat: int, quick: bool) -> list[dict[str, Any]]:
    import generate

    import fuac

    rows = []
    for rid, tier, sizes in SCHEMES:
        for label in sizes:
            n = generate.SIZES[label]
            if quick:
                n = min(n, 50_000)
            cols = generate.units(rid, n, tier=tier)
            fuac.evaluate_many(rid, {k: v[:50] for k, v in cols.items()}, tier=tier, on=ON)
            t = median_time(lambda r=rid, c=cols, t_=tier: fuac.evaluate_many(r, c, tier=t_, on=ON), repeat)
            rows.append({"scheme": rid + (f"/{tier}" if tier else ""), "size": label, "rows": n,
                         "median (s)": t, "rows/s": n / t})
    return rows


def bench_single(n: int) -> dict[str, Any]:
    """``fuac.evaluate`` of ``n`` distinct liunan-2023 units, each once (no unit is scored twice).

    Timed twice over the same units: the evaluation as returned (every reason there, written
    on first read), and the evaluation with every reason of its items, parts, vetoes and
    eligibility conditions read, so written out, in both languages.
    """
    import datetime as dt

    import generate

    import fuac

    cols = generate.units("liunan-2023", n + 50, missing=0, seed=11)
    rs = fuac.load("liunan-2023")
    res = fuac.evaluate_many(rs, cols, on=ON)
    records = [res.record(i) for i in range(n + 50)]
    on = dt.date(2023, 10, 1)
    for r in records[:50]:  # warm up
        fuac.evaluate(rs, r["data"], assessments=r["assessments"], on=on)

    def written(ev: Any) -> int:
        whys = [i.why for i in ev.items] + [p.why for i in ev.items for p in i.parts]
        whys += [c.why for c in ev.vetoes + ev.eligibility]
        return sum(len(zh) + len(en) for zh, en in (w.text() for w in whys))

    times, full = [], []
    for r in records[50:]:
        t = time.perf_counter()
        ev = fuac.evaluate(rs, r["data"], assessments=r["assessments"], on=on)
        times.append(time.perf_counter() - t)
        assert ev.item("15").reason_zh  # the explanation is there
    for r in records[50:]:
        t = time.perf_counter()
        ev = fuac.evaluate(rs, r["data"], assessments=r["assessments"], on=on)
        chars = written(ev)
        full.append(time.perf_counter() - t)
        assert chars > 2000
    return {"median (µs)": statistics.median(times) * 1e6, "p90 (µs)": statistics.quantiles(times, n=10)[-1] * 1e6,
            "all reasons written, median (µs)": statistics.median(full) * 1e6,
            "all reasons written, p90 (µs)": statistics.quantiles(full, n=10)[-1] * 1e6}


def bench_import(repeat: int) -> dict[str, Any]:
    """A fresh interpreter: ``import fuac`` then load every built-in rule set (bytecode cached, as installed)."""
    code = ("import time; t = time.perf_counter(); import fuac; t1 = time.perf_counter(); "
            "[fuac.load(r) for r in fuac.rulesets()]; t2 = time.perf_counter(); print(t1 - t, t2 - t1)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)  # write .pyc
    imports, loads = [], []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        a, b = (float(x) for x in out.stdout.split())
        imports.append(a)
        loads.append(b)
    total = [a + b for a, b in zip(imports, loads, strict=True)]
    return {"median (ms)": statistics.median(total) * 1000, "min (ms)": min(total) * 1000,
            "import (ms)": statistics.median(imports) * 1000, "load (ms)": statistics.median(loads) * 1000}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    ap.add_argument("--only", choices=("liunan", "schemes", "single", "import", "memory"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    repeat = 3 if a.quick else 7
    out: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    import numpy

    out["numpy"] = numpy.__version__
    if a.only in (None, "liunan"):
        out["liunan"] = bench_liunan(100_000 if a.quick else 1_000_000, repeat)
    if a.only in (None, "schemes"):
        out["schemes"] = bench_schemes(repeat, a.quick)
    if a.only in (None, "memory"):
        n = 100_000 if a.quick else 1_000_000
        out["memory"] = {"liunan columns": memory("liunan-2023", None, n, "columns"),
                         "liunan frame": memory("liunan-2023", None, n, "frame"),
                         "wuhan villages": memory("wuhan-2017", "village", min(n, 490_000), "columns")}
    if a.only in (None, "single"):
        out["single"] = bench_single(500 if a.quick else 3000)
    if a.only in (None, "import"):
        out["import"] = bench_import(5 if a.quick else 15)
    if a.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(f"python {out['python']}, numpy {out['numpy']}, {out['cpus']} CPU(s)")
    if "liunan" in out:
        print("\nliunan-2023, 1 unit per row, already in columns (numpy arrays) and from a pandas DataFrame:")
        for k, v in out["liunan"].items():
            print(f"  {k:40} {v:,.3f}" if isinstance(v, float) else f"  {k:40} {v:,}")
    if "schemes" in out:
        print("\nevaluate_many, every built-in scheme (columns):")
        for r in out["schemes"]:
            print(f"  {r['scheme']:22} {r['size']:14} {r['rows']:>9,} rows  {r['median (s)']:8.3f} s  "
                  f"{r['rows/s']:>12,.0f} rows/s")
    if "memory" in out:
        print("\npeak memory above the input:")
        for k, v in out["memory"].items():
            print(f"  {k:20} {v['rows']:>9,} rows  {v['above_input'] / 2**20:8.1f} MiB  {v['per_row']:7.0f} B/row")
    if "single" in out:
        one = out["single"]
        print(f"\nfuac.evaluate of distinct liunan-2023 units, with their explanation (written on first read): "
              f"median {one['median (µs)']:.0f} µs, p90 {one['p90 (µs)']:.0f} µs")
        print(f"  ... and every reason read (written out in zh and en): "
              f"median {one['all reasons written, median (µs)']:.0f} µs, "
              f"p90 {one['all reasons written, p90 (µs)']:.0f} µs")
    if "import" in out:
        imp = out["import"]
        print(f"\nimport fuac + load every built-in rule set: median {imp['median (ms)']:.0f} ms "
              f"(import {imp['import (ms)']:.0f} + load {imp['load (ms)']:.0f}; min {imp['min (ms)']:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
