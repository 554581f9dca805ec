"""The words a unit is scored with, pinned: every reason of every item, part, veto, condition and
problem, in Chinese and English, as a county official reads and signs it.

The points are checked by cases worked out by hand (``*.test.toml``, ``test_modes.py``); the words
around them are checked here, against a reviewed copy in ``tests/golden/``: each built-in rule set's
hand-computed cases, and each rule set's sweep (``test_sweep.py``) at every literal exactly, with
each value missing and each of the wrong type, so that every branch of every kind's reasons is
read. The same sweep's rectification lists (``gaps``: what each kind proposes to recover its
points, each proposal already checked by re-evaluating the unit) are pinned the same way. A change
of wording or of advice shows as a diff of the copy, to be read and accepted on purpose:

    FUAC_UPDATE_GOLDEN=1 pytest tests/test_words.py

Each test loads its rule set afresh from its file (a rule writes each reason once and keeps it).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest

import fuac
from batchgen import assessment_keys
from fuac.cases.runner import read_case_file
from fuac.run.inputs import as_date
from test_sweep import ON, TARGETS, sweep_values

GOLDEN = Path(__file__).parent / "golden"
RULESETS = Path(fuac.__file__).parent / "rulesets"


def _fresh(ref: str) -> fuac.RuleSet:
    path = Path(ref) if ref.endswith(".toml") else RULESETS / f"{ref}.toml"
    return fuac.load(path)


def lines_of(ev: fuac.Evaluation) -> list[str]:
    """Each reason of an evaluation on a line: what it is about, its outcome, and its words."""
    d = ev.to_dict()
    out = []

    def say(what: str, outcome: Any, reason: dict[str, str] | None) -> None:
        if reason:
            out.append(f"{what} [{outcome}] {reason['zh']} | {reason['en']}")

    for it in d["items"]:
        say(f"item {it['id']}", f"{it['status']} {it['points']}", it["reason"])
        for p in it["parts"]:
            say(f"part {it['id']}.{p['id']}", f"{p.get('status')} {p.get('points')}", p.get("reason"))
        for pr in it["problems"]:
            out.append(f"problem {it['id']}: {pr}")
    for v in d["vetoes"]:
        say(f"veto {v['id']}", f"{v['holds']} {v.get('consequence')}", v["reason"])
    for c in d["eligibility"]:
        say(f"eligibility {c.get('id')}", c.get("holds"), c.get("reason"))
    for pr in d["problems"]:
        out.append(f"problem: {pr}")
    out.append(f"unit [{d['total']} {d['passed']} {d['grade']} {d['eligible']} {d['vetoed']} {d['complete']}]")
    return out


def units(rs: fuac.RuleSet, tier: str | None) -> list[dict[str, Any]]:
    """The sweep's units at each literal exactly, and with each value missing or of the wrong type."""
    base: dict[str, Any] = {}
    for name, ind in rs.doc.indicators.items():
        vals = [v for v in sweep_values(rs, name)
                if ind.type in ("boolean", "choice")
                or ((ind.min is None or v >= ind.min) and (ind.max is None or v <= ind.max))]
        base[name] = vals[len(vals) // 2] if vals else 0
    for key, rule in assessment_keys(rs, tier).items():
        e = rule.entry
        base[f"assessments.{key}"] = e.bounds[1] if e is not None and e.form == "points" else True
    rows = [base]
    literals = set(sweep_values(rs, next(iter(rs.doc.indicators))))
    for name, ind in rs.doc.indicators.items():
        exact = [v for v in sweep_values(rs, name) if ind.type in ("boolean", "choice") or v in literals]
        for v in [*exact, None, "x"]:
            row = dict(base)
            if v is None:
                del row[name]
            else:
                row[name] = v
            rows.append(row)
    return rows


def _split(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = {k: v for k, v in row.items() if not k.startswith("assessments.")}
    return data, {k.removeprefix("assessments."): v for k, v in row.items() if k.startswith("assessments.")}


def _check(name: str, lines: list[str]) -> None:
    text = "\n".join(sorted(set(lines))) + "\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("FUAC_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    want = path.read_text(encoding="utf-8")
    if text != want:
        diff = difflib.unified_diff(want.splitlines(), text.splitlines(), "golden", "now", lineterm="", n=0)
        pytest.fail(f"the words of {name} changed (FUAC_UPDATE_GOLDEN=1 accepts them):\n" + "\n".join(list(diff)[:40]))


@pytest.mark.parametrize("ref", sorted(p.name.removesuffix(".test.toml") for p in RULESETS.glob("*.test.toml")))
def test_the_words_of_each_hand_computed_case(ref: str) -> None:
    _, doc, _ = read_case_file(RULESETS / f"{ref}.test.toml")
    rs = _fresh(ref)
    lines = []
    for case in doc.cases:
        data = {**doc.base.data, **case.data}
        for k in case.remove:
            data.pop(k, None)
        ev = fuac.evaluate(rs, data, tier=case.tier or doc.tier, on=case.on or doc.on,
                           context={**doc.base.context, **case.context},
                           assessments={**doc.base.assessments, **case.assessments}, assessor=case.assessor)
        lines += lines_of(ev)
    _check(f"cases-{ref}", lines)


@pytest.mark.parametrize(("ref", "tier"), TARGETS, ids=[f"{Path(r).stem}-{t}" for r, t in TARGETS])
def test_the_words_at_every_literal(ref: str, tier: str | None) -> None:
    rs = _fresh(ref)
    lines = []
    for row in units(rs, tier):
        data, assessments = _split(row)
        lines += lines_of(fuac.evaluate(rs, data, tier=tier, on=as_date(ON), assessments=assessments))
    _check(f"sweep-{Path(ref).stem}-{tier}", lines)


def advice_of(gs: fuac.Gaps) -> list[str]:
    """Each line of a rectification list: what it is about, what is at stake, and the action proposed."""
    out = []
    for key, value in gs.to_dict().items():
        for g in value if isinstance(value, list) and key != "context" else []:
            if not isinstance(g, dict) or "category" not in g:
                continue
            act = g.get("action") or {}
            out.append(f"{g['category']} {g['key']} {g['kind']} lost {g['lost']} recoverable {g['recoverable']} "
                       f"verified {g['verified']} minimal {g['minimal']}: {act.get('zh')} | {act.get('en')}")
    return out


@pytest.mark.parametrize(("ref", "tier"), TARGETS, ids=[f"{Path(r).stem}-{t}" for r, t in TARGETS])
def test_the_advice_at_every_literal(ref: str, tier: str | None) -> None:
    rs = _fresh(ref)
    rows = units(rs, tier)
    if Path(ref).stem == "liunan-2023":
        rows = rows[::5]  # its list re-evaluates 56 indicators' changes: every fifth unit keeps the file quick
    lines = []
    for row in rows:
        data, assessments = _split(row)
        ev = fuac.evaluate(rs, data, tier=tier, on=as_date(ON), assessments=assessments)
        lines += advice_of(ev.gaps(rs, data=data, assessments=assessments))
    _check(f"gaps-{Path(ref).stem}-{tier}", lines)
