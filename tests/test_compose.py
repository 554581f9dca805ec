"""Composition (extends, fuac.compose), fuac diff, rulesets_for with overlays, fuac.testing,
and the tutorial's example rule package installed for real."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import fuac
from fuac.errors import RulesetCheckError, RulesetError, RulesetNotFound
from fuac.explain.diff import diff, replay

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "mini.toml"
EXAMPLE = ROOT / "examples" / "fuac-liunan-local"

FULL = dict(
    has_doc=True,
    meetings=2,
    institutions=8,
    complaints=0,
    awareness=95,
    satisfaction=91.5,
    mmr=16.5,
    places=3.1,
    places_avg=3,
    falsified=False,
    accidents=0,
)
JUNE_2023 = __import__("datetime").date(2023, 6, 1)


def overlay(tmp_path: Path, body: str, name: str = "local.toml") -> Path:
    """An overlay of mini.toml, a copy beside it: 'extends' reaches only the overlay's own directory."""
    (tmp_path / "mini.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    p = tmp_path / name
    p.write_text('extends = "mini.toml"\n' + textwrap.dedent(body), encoding="utf-8")
    return p


def test_overlay_changes_a_threshold_and_keeps_the_rest(tmp_path: Path) -> None:
    p = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-local"
        version = "2"
        [[sections]]
        id = "B"
        [[sections.items]]
        id = "6"
        threshold = 15
    """,
    )
    rs = fuac.load(p)
    assert [link["id"] for link in rs.chain] == ["mini", "mini-local"]
    assert rs.meta.title.zh == "迷你评分表"  # inherited
    # mmr 16.5: ≤ 16.5 met in the base (2 points), not ≤ 15 in the overlay (0): 20 → 18
    assert fuac.evaluate(MINI, FULL, on=JUNE_2023).total == 20
    ev = fuac.evaluate(rs, FULL, on=JUNE_2023)
    assert ev.total == 18 and ev.item("6").points == 0
    chain = ev.to_dict()["ruleset"]["chain"]
    assert [c["id"] for c in chain] == ["mini", "mini-local"] and all(
        c["content_hash"].startswith("sha256:") for c in chain
    )


def test_remove_replaces_and_reweight_are_rechecked(tmp_path: Path) -> None:
    # removing item 7 (4 points) leaves section B at 8 of 12: the totals check must catch it
    p = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-x"
        version = "2"
        [[sections]]
        id = "B"
        [[sections.items]]
        id = "7"
        remove = true
    """,
    )
    with pytest.raises(RulesetCheckError) as exc:
        fuac.load(p)
    assert "items of section 'B' add up to 8" in str(exc.value)
    # the same removal with the section and total re-weighted composes
    p = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-x"
        version = "2"
        total = 16
        [[sections]]
        id = "B"
        max = 8
        [[sections.items]]
        id = "7"
        remove = true
    """,
        "ok.toml",
    )
    rs = fuac.load(p)
    assert rs.plan().total == 16 and "7" not in rs.plan().items
    assert fuac.evaluate(rs, FULL, on=JUNE_2023).total == 16


def test_errors_point_at_the_overlay_or_the_base(tmp_path: Path) -> None:
    p = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-y"
        version = "2"

        [[sections]]
        id = "A"
        [[sections.items]]
        id = "2"
        floor = "sideways"
    """,
    )
    with pytest.raises(RulesetError) as exc:
        fuac.load(p)
    msg = str(exc.value)
    line = _line_of(p, 'floor = "sideways"')
    assert f"{p}:{line}:" in msg  # the line of 'floor' in the overlay
    q = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-z"
        version = "2"
        [[sections]]
        id = "Q"
        remove = true
    """,
        "q.toml",
    )
    section_line = _line_of(q, "[[sections]]")
    with pytest.raises(RulesetCheckError, match=rf"q\.toml:{section_line}:.*cannot remove 'Q'"):
        fuac.load(q)


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_overlay_needs_its_own_id_and_cycles_are_caught(tmp_path: Path) -> None:
    p = overlay(tmp_path, '[scheme]\nid = "mini"\nversion = "9"\n')
    with pytest.raises(RulesetCheckError, match="needs its own"):
        fuac.load(p)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n[scheme]\nid = "a"\nversion = "1"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\n[scheme]\nid = "b"\nversion = "1"\n', encoding="utf-8")
    with pytest.raises(RulesetCheckError, match="circle"):
        fuac.load(a)
    c = tmp_path / "c.toml"
    c.write_text('extends = "no-such-scheme"\n[scheme]\nid = "c"\nversion = "1"\n', encoding="utf-8")
    with pytest.raises(RulesetNotFound):
        fuac.load(c)


def test_compose_with_mappings_and_kind_change_replaces_the_item() -> None:
    rs = fuac.compose(
        MINI,
        {"scheme": {"id": "m1", "version": "1"}},
        {
            "scheme": {"id": "m2", "version": "1"},
            "sections": [
                {
                    "id": "B",
                    "items": [{"id": "6", "max": 2, "kind": "all_or_nothing", "points": 2, "condition": "has_doc"}],
                }
            ],
        },
    )
    assert [c["id"] for c in rs.chain] == ["mini", "m1", "m2"]
    item = rs.plan().items["6"]
    assert item.rule is not None and item.rule.kind == "all_or_nothing"
    assert fuac.evaluate(rs, dict(FULL, mmr=99), on=JUNE_2023).item("6").points == 2


def test_diff_lists_changes_with_both_clauses(tmp_path: Path) -> None:
    p = overlay(
        tmp_path,
        """
        [scheme]
        id = "mini-d"
        version = "2"
        [[sections]]
        id = "A"
        [[sections.items]]
        id = "2"
        costs = [{ indicator = "complaints", cost = 0.5 }]
        clause = "每发现有1人投诉扣0.5分，扣完为止。"
    """,
    )
    changes = diff(fuac.load(MINI), fuac.load(p))
    assert len(changes) == 1
    c = changes[0]
    assert (c.action, c.what, c.id) == ("changed", "item", "2")
    assert c.clause_a == "每发现有1人投诉扣0.4分，扣完为止。" and c.clause_b == "每发现有1人投诉扣0.5分，扣完为止。"
    assert set(c.fields) == {"costs", "clause"}
    # replay: 3 complaints cost 1.2 in A (0.8 left) and 1.5 in B (0.5 left)
    unit = {"name": "u", "data": dict(FULL, complaints=3), "on": JUNE_2023}
    other = {"name": "v", "data": FULL, "on": JUNE_2023}
    rows = replay(fuac.load(MINI), fuac.load(p), [unit, other])
    assert (rows[0].total_a, rows[0].total_b, rows[0].delta) == (Decimal("18.8"), Decimal("18.5"), Decimal("-0.3"))
    assert (rows[0].rank_a, rows[1].rank_a) == (2, 1)


def _example_engine() -> fuac.Engine:
    sys.path.insert(0, str(EXAMPLE / "src"))
    try:
        mod = importlib.import_module("fuac_liunan_local")
    finally:
        sys.path.remove(str(EXAMPLE / "src"))
    return fuac.Engine(plugins=[mod], load_entry_points=False)


@pytest.fixture
def example_engine():
    eng = _example_engine()
    fuac.reset_engine(eng)
    yield eng
    fuac.reset_engine()


def test_example_overlay_diff_is_exactly_two_changes(example_engine: fuac.Engine) -> None:
    changes = diff(fuac.load("liunan-2023"), fuac.load("liunan-local-2024"))
    assert [(c.action, c.id, c.new_id) for c in changes] == [("replaced", "34", "34L"), ("changed", "25", None)]
    assert changes[1].fields["threshold"] == (Decimal(97), Decimal(98))
    assert "97%以上" in (changes[1].clause_a or "") and "98%以上" in (changes[1].clause_b or "")
    assert changes[0].new_inputs == ["households_total", "households_with_visits", "policy_events", "population"]


def test_rulesets_for_prefers_the_overlay(example_engine: fuac.Engine) -> None:
    import datetime as dt

    before = [a.id for a in fuac.rulesets_for("450204", "county", dt.date(2023, 10, 1))]
    after = [a.id for a in fuac.rulesets_for("450204", "county", dt.date(2024, 6, 1))]
    assert before == ["liunan-2023"]  # the overlay is valid only from 2024-01-01
    assert after == ["liunan-local-2024"]  # it supersedes its base


def test_fuac_testing_collects_cases(pytester: pytest.Pytester) -> None:
    (pytester.path / "mini.toml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    base = "\n".join(f"{k} = {json.dumps(v)}" for k, v in FULL.items())
    pytester.makefile(
        ".test.toml",
        mini=textwrap.dedent(f"""
        ruleset = "mini.toml"
        on = 2023-06-01
        [base.data]
        {base}
        [[cases]]
        name = "full"
        expect = {{ total = 20 }}
        [[cases]]
        name = "five complaints cost exactly 2"
        data = {{ complaints = 5 }}
        expect = {{ total = 18, items = {{ "2" = {{ points = 0 }} }} }}
        [[cases]]
        name = "deliberately wrong"
        expect = {{ total = 19 }}
    """),
    )
    result = pytester.runpytest("-p", "fuac.testing")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*deliberately wrong*", "*total: expected 19, got 20*"])


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(EXAMPLE)],
        check=True,
    )
    return target


def _run(target: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT / "src")])}
    env.pop("FUAC_PLUGINS", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_example_package_installs_lists_and_tests(installed_example: Path, tmp_path: Path) -> None:
    listed = _run(installed_example, "-m", "fuac", "list")
    assert listed.returncode == 0, listed.stderr
    assert "liunan-local-2024" in listed.stdout and "(liunan_local)" in listed.stdout
    tested = _run(installed_example, "-m", "fuac", "test", "-v")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert ", 0 failed" in tested.stdout
    assert tested.stdout.count("liunan-local-2024.test.toml") == 6  # all six of the package's cases ran
    shown = _run(installed_example, "-m", "fuac", "diff", "liunan-2023", "liunan-local-2024")
    assert shown.returncode == 0 and "2 change(s)" in shown.stdout
    # the package's own test suite, through fuac.testing, from a copy of its folder
    import shutil

    work = tmp_path / "pkg"
    shutil.copytree(EXAMPLE, work)
    suite = _run(installed_example, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=work)
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "6 passed" in suite.stdout


def test_an_overlay_that_changes_an_items_kind_keeps_what_the_item_is(tmp_path: Path) -> None:
    # the base item: a threshold with its label, clause and method; the overlay makes it a bands rule and
    # gives a new method: the label and the clause stay, the threshold's parameters go
    base = tmp_path / "base.toml"
    base.write_text(MINI.read_text(encoding="utf-8").replace(
        'id = "6"\nmax = 2\nkind = "threshold"',
        'id = "6"\nmax = 2\nlabel = { zh = "孕产妇死亡率", en = "Maternal mortality" }\n'
        'clause = "控制在16.5/10万以下得2分"\nmethod = "查阅资料"\nkind = "threshold"'), encoding="utf-8")
    over = tmp_path / "over.toml"
    over.write_text(f'''extends = "{base.name}"
[scheme]
id = "mini-bands"
version = "1"
[[sections]]
id = "B"
[[sections.items]]
id = "6"
kind = "bands"
indicator = "mmr"
unit = "per_100k"
bands = [{{ comparator = "<=", threshold = 10, points = 2 }}, {{ comparator = "<=", threshold = 16.5, points = 1 }}]
otherwise = 0
method = "现场核查"
''', encoding="utf-8")
    rs = fuac.load(over)
    item = rs.plan().items["6"]
    assert item.rule is not None and item.rule.kind == "bands"
    assert (item.label, item.clause, item.method, item.max) == (
        fuac.Text(zh="孕产妇死亡率", en="Maternal mortality"), "控制在16.5/10万以下得2分", "现场核查", 2)
    assert fuac.evaluate(rs, dict(FULL, mmr=12), on=JUNE_2023).item("6").points == 1
