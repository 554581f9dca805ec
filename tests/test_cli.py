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
        f"ok  {MINI}  (mini 1.0, 1 tier, 8 items)",
        f"ok  {DATA / 'tiers.toml'}  (tiers 1.0, 2 tiers, 6 items)",  # 3 items in each tier
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


# ---------------------------------------------------------------------------
# fuac titles (the values are computed by hand in tests/test_lifecycle.py)

TITLES = str(Path(__file__).resolve().parents[1] / "examples" / "data" / "wuhan-2017-titles.csv")


def test_titles_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "titles", "wuhan-2017", TITLES, "--year", "2023", "--lang", "en")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "wuhan-2017 1.0  2023  cycle 2023–2025"
    assert lines[2].split() == ["unit", "level", "state", "held", "until", "may", "apply", "reason"]
    rows = [line.split()[:5] for line in lines[3:]]
    assert rows == [
        ["420103001", "municipal", "lapsed", "—", "yes"],
        ["420102002", "municipal", "extended", "2025", "yes"],
        ["420106003", "municipal", "revoked", "—", "no"],
        ["420111004", "municipal", "held", "2028", "yes"],
        ["420111004", "provincial", "held", "2025", "yes"],
        ["420115", "provincial", "revoked", "—", "yes"],
        ["420116005001", "municipal", "held", "2025", "yes"],
    ]
    assert "A title was revoked in the previous cycle (2020–2022): may not apply in this cycle." in lines[5]


def test_titles_in_chinese_and_both(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "titles", "wuhan-2017", TITLES, "--year", "2020", "--level", "municipal")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "wuhan-2017 1.0  2020  周期 2020–2022"
    assert [line.split()[:5] for line in lines[3:]] == [
        ["420103001", "市级", "期满终止", "—", "是"],
        ["420102002", "市级", "持有", "2025", "是"],
        ["420106003", "市级", "持有", "2022", "是"],
        ["420111004", "市级", "持有", "2022", "是"],
        ["420115", "市级", "无称号", "—", "否"],  # its provincial title was revoked in 2017
        ["420116005001", "市级", "无称号", "—", "是"],
    ]
    code, out, _ = cli(capsys, "titles", "wuhan-2017", TITLES, "--year", "2020", "--lang", "both")
    assert "上一周期（2017—2019）被撤销称号，不得参加本周期申报和评选。" in out
    assert "A title was revoked in the previous cycle (2017–2019)" in out


def test_titles_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "titles", "wuhan-2017", TITLES, "--year", "2023", "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["ruleset"], doc["year"], doc["cycle"]) == ("wuhan-2017", 2023, [2023, 2025])
    barred = doc["units"][2]
    assert (barred["unit"], barred["state"], barred["may_apply"], barred["revoked_previous_cycle"]) == (
        "420106003", "revoked", False, True)
    assert barred["rows"] == [4] and barred["error"] is None  # line 4 of the file, under its header


BAD_HISTORY = """unit,year,level,revoked,revoked_year
420103001,2018,municipal,,
420102002,twenty,municipal,,
420102002,2021,city,,
420106003,2021,municipal,true,2019
420111004,2020,municipal,,
"""


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_titles_bad_rows_exit_1_and_the_others_are_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(BAD_HISTORY, encoding="utf-8")
    out_path = tmp_path / f"titles{suffix}"
    code, out, err = cli(capsys, "titles", "wuhan-2017", str(history), "--year", "2023", "-o", str(out_path))
    assert code == 1
    assert out == f"4 rows → {out_path}\n"
    assert err == f"fuac: 2 unit(s) with errors in {history}\n"
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    else:
        pd = pytest.importorskip("pandas")
        frame = pd.read_csv(out_path, dtype={"unit": str}) if suffix == ".csv" else pd.read_excel(
            out_path, dtype={"unit": str})
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert [(r["unit"], r["state"]) for r in rows] == [
        ("420103001", "lapsed"), ("420102002", "error"), ("420106003", "error"), ("420111004", "lapsed")]
    assert rows[1]["error"] == (
        "row 3, column 'year': not a whole year: 'twenty'; "
        "row 4, column 'level': unknown level 'city' (the rule set's levels: national, provincial, municipal)")
    # rows as a spreadsheet shows the file: the header is row 1
    assert rows[2]["error"] == "row 5, column 'revoked_year': 2019 is before the year the title was awarded, 2021"


def test_titles_errors_in_the_printed_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text(BAD_HISTORY, encoding="utf-8")
    code, out, _ = cli(capsys, "titles", "wuhan-2017", str(history), "--year", "2023", "--lang", "en")
    assert code == 1
    lines = out.splitlines()
    assert lines[4].split()[:5] == ["420102002", "—", "error", "—", "—"]
    assert "row 3, column 'year': not a whole year: 'twenty'" in lines[4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2023"], "no input file at"),
        (["--year", "2016"], "2016 is before the first cycle"),
        (["--year", "2023", "--level", "city"], "unknown level 'city'"),
        (["--year", "2023", "-o", "titles.parquet"], "write the title table to .csv, .xlsx or .jsonl"),
    ],
)
def test_titles_unusable_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    history = TITLES if "no input" not in message else str(tmp_path / "none.csv")
    args = [a if a != "titles.parquet" else str(tmp_path / a) for a in args]
    code, out, err = cli(capsys, "titles", "wuhan-2017", history, *args)
    assert code == 2 and out == ""
    assert err.startswith("fuac: ") and message in err


def test_titles_output_type_is_checked_before_the_history_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "titles", "wuhan-2017", str(tmp_path / "none.csv"), "--year", "2023",
                       "-o", str(tmp_path / "titles.parquet"))
    assert code == 2 and "write the title table to .csv, .xlsx or .jsonl" in err and "no input file" not in err


def test_titles_without_a_level_column_or_a_cycle_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text("unit,year,grade\n420103001,2018,municipal\n", encoding="utf-8")
    code, _, err = cli(capsys, "titles", "wuhan-2017", str(history), "--year", "2023")
    assert code == 2 and "the history has no column 'level'" in err
    code, _, err = cli(capsys, "titles", "longnan-2021", TITLES, "--year", "2023")
    assert code == 2 and "declares no [cycle]" in err
