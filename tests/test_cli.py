"""The ``fuac`` command, through ``fuac.cli.main`` and once as a real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fuac
from fuac.cli import main

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "mini.toml")
UNIT = str(DATA / "mini-unit.toml")  # the GOOD unit of test_evaluate.py, on 2023-06-01: 18.6 of 20


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "list")
    assert code == 0 and err == ""
    ids = fuac.rulesets()
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ids
    eng = fuac.get_engine()
    for line, rid in zip(lines, ids, strict=True):
        rs = fuac.load(rid)
        assert line.split()[1] == rs.version
        assert line.endswith(f"({eng.sources[rid].owner})")


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "show", MINI)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "mini 1.0  (points)"
    assert "  content hash: " + fuac.load(MINI).content_hash in lines
    assert "[all units] total 20" in lines
    assert "  （一） 甲 (8)" in lines
    items = [line.split()[:3] for line in lines if line.startswith("    ")]
    assert items == [
        ["1", "4", "parts"], ["2", "2", "deduction"], ["3", "2", "shortfall"], ["4", "4", "shortfall"],
        ["5", "2", "versus_reference"], ["6", "2", "threshold"], ["7", "4", "discretionary"], ["8", "0", "veto"],
    ]


def test_show_tiers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "show", str(DATA / "tiers.toml"))
    assert code == 0
    assert "[district] total 10" in out and "[street] total 8" in out


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "check", MINI, str(DATA / "tiers.toml"))
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"ok  {MINI}  (mini 1.0, 1 tier(s), 8 item(s))",
        f"ok  {DATA / 'tiers.toml'}  (tiers 1.0, 2 tier(s), 6 item(s))",  # 3 items in each tier
    ]


def test_check_broken_among_good(capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(Path(__file__).parent / "broken" / "items_sum.toml")
    code, out, err = cli(capsys, "check", MINI, broken)
    assert code == 1
    assert out.startswith(f"ok  {MINI}")
    assert err == f"{broken}:55: [A] items of section 'A' add up to 99, but the section is worth 100\n"


def test_check_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "check", str(tmp_path / "nothing.toml"))
    assert code == 1
    assert "nothing.toml" in err


def test_evaluate_table_zh(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "evaluate", MINI, UNIT)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "示例区: mini 1.0 — 迷你评分表"
    assert "合计: 18.6/20" in lines
    # every item shows points/max and, on the next line, its reason
    rows = {line.split()[0]: (line.split()[1], lines[i + 1].strip()) for i, line in enumerate(lines)
            if line.startswith("  ") and not line.startswith("   ")}
    assert rows["2"] == ("1.6/2", "投诉人数1，每个扣0.4分，共扣0.4分，得1.6分。")
    assert rows["3"][0] == "1/2" and "扣1分" in rows["3"][1]
    assert rows["6"] == ("2/2", "孕产妇死亡率 16.5/10万 ≤ 16.5/10万，得2分。")
    assert all(reason for _, reason in rows.values())


def test_evaluate_table_en(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "evaluate", MINI, UNIT, "--lang", "en")
    assert code == 0
    assert "Total: 18.6/20" in out.splitlines()
    assert "Complaints: 1, 0.4 each: 0.4 taken, 1.6 points." in out
    assert "合计" not in out and "得1.6分" not in out


def test_evaluate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "evaluate", MINI, UNIT, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["ruleset"]["id"] == "mini"
    assert (d["total"], d["on"], d["context"]) == ("18.6", "2023-06-01", {"name": "示例区"})
    assert [i["points"] for i in d["items"]] == ["4", "1.6", "1", "4", "2", "2", "4", "0"]
    assert d["items"][4]["details"]["reference"]["source"] == "自治区2022年统计公报"


def test_evaluate_on_overrides_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "evaluate", MINI, UNIT, "--json", "--on", "2024-01-01")
    assert code == 0
    d = json.loads(out)
    assert (d["on"], d["total"]) == ("2024-01-01", "14.6")  # item 4: target 10, 2 steps × 2 taken


def test_evaluate_with_input_problems_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"data": {"meetings": "two", "has_doc": True}, "on": "2023-06-01"}), encoding="utf-8")
    code, out, _ = cli(capsys, "evaluate", MINI, str(f), "--lang", "en")
    assert code == 1
    assert "Input problems:" in out
    assert "[error] meetings: Meetings a year: expected a number, got 'two' ← 1.b, 7" in out


def test_evaluate_tier(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "street.toml"
    f.write_text('on = 2023-06-01\ntier = "street"\n[data]\nrate = 75\ncomplaints = 1\nhome_visits = true\n',
                 encoding="utf-8")
    code, out, _ = cli(capsys, "evaluate", str(DATA / "tiers.toml"), str(f), "--json")
    assert code == 0
    assert (json.loads(out)["tier"], json.loads(out)["total"]) == ("street", "7.5")
    code, out, _ = cli(capsys, "evaluate", str(DATA / "tiers.toml"), str(f), "--tier", "district", "--json")
    # district: 75 < 80 → 0; 2 − 0.5; centres missing → cannot score item 3
    assert (json.loads(out)["tier"], json.loads(out)["total"]) == ("district", "1.5")
    assert code == 1


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "schema", MINI)
    assert code == 0
    schema = json.loads(out)
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(fuac.load(MINI).indicators)
    assert schema["properties"]["awareness"]["maximum"] == 100


def test_schema_tier(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "schema", str(DATA / "tiers.toml"), "--tier", "street")
    assert code == 0
    assert set(json.loads(out)["properties"]) == {"rate", "complaints", "home_visits"}


def test_test_passing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "test", str(DATA / "mini.test.toml"))
    assert code == 0
    assert out.splitlines() == ["5 passed, 0 failed"]


def test_test_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "test", "-v", str(DATA / "mini.test.toml"))
    assert code == 0
    assert out.splitlines()[0] == (
        f"PASS {DATA / 'mini.test.toml'}:18 meets everything but items 2 (one complaint) and 3 (awareness 88.5)"
    )


def test_test_failing(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "failing" / "mini-wrong.test.toml"
    code, out, _ = cli(capsys, "test", str(DATA / "failing"))
    assert code == 1
    assert out.splitlines() == [
        f"FAIL {path}:22 wrong: expects 0.4 × 5 complaints to leave 0.1",
        "    total: expected 17.1, got 17.0",  # 18.6 − 1.6: 2 − 5 × 0.4 is exactly 0
        "    item 2 points: expected 0.1, got 0.0",
        "1 passed, 1 failed",
    ]


def test_test_nothing_found(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "test", str(tmp_path))
    assert code == 1
    assert "no *.test.toml files found" in err


@pytest.mark.parametrize(
    "args",
    [["show", "no-such-ruleset"], ["schema", "no-such-ruleset"], ["evaluate", "no-such-ruleset", UNIT],
     ["show", "no/such/file.toml"]],
)
def test_unknown_ruleset_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("fuac: no rule")
    assert args[1] in err


def test_missing_input_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "evaluate", MINI, str(tmp_path / "none.toml"))
    assert code == 2
    assert err.startswith("fuac: no input file at")


def test_broken_ruleset_in_evaluate_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(Path(__file__).parent / "broken" / "duplicate_section.toml")
    code, _, err = cli(capsys, "evaluate", broken, UNIT)
    assert code == 2
    assert err.startswith(f"{broken}:90: [A] duplicate section id 'A'")


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([], ["frobnicate"], ["evaluate", MINI, UNIT, "--lang", "fr"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2
    capsys.readouterr()


def test_console_script() -> None:
    script = Path(sys.executable).parent / "fuac"
    proc = subprocess.run([str(script), "evaluate", MINI, UNIT, "--lang", "en"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Total: 18.6/20" in proc.stdout.splitlines()
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == f"fuac {fuac.__version__}"
