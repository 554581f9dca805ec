"""What went wrong, in words a county official reads (issue #12): a batch's ``errors_zh`` and
``errors_en`` columns say, for each row, what ``fuac.evaluate`` says of that row's record (the
column, the value, in Chinese and English); ``fuac batch`` and ``fuac rank`` print the most common
problems, and ``rank`` exits 1 when nobody could be ranked for invalid input; ``fuac batch -o``
refuses a file it cannot write before it scores anything; every workbook fuac writes opens, whatever
control characters a rule file or a unit's name holds.

The rule sets are tests/data/batch-kinds.toml (a choice, a yes/no, counts, rates, an assessor's
entry between 0.5 and 4 for item 15) and tests/data/mini.toml with test_files.py's typed unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

import fuac
from fuac.cli import main
from fuac.render.cells import REPLACEMENT, XML_ILLEGAL, new_workbook, xml_text
from fuac.run.batch.results import ProblemTally, why_invalid
from test_files import TYPED

DATA = Path(__file__).parent / "data"
KINDS = DATA / "batch-kinds.toml"
MINI = DATA / "mini.toml"
ON = dt.date(2023, 6, 1)

#: a valid unit of batch-kinds (item 15's entry awaited)
G: dict[str, Any] = {"level": "A", "ok": True, "count": 5, "rate": 95, "rate2": 90, "rate_avg": 80, "amount": 2000,
                     "population": 5000, "fake": False}
ENTRY = "assessments.15"

#: one row for each kind of bad value, and a row with three; the messages worked out from inputs.py's
#: and the discretionary kind's words
ROWS: list[tuple[dict[str, Any], str | None, str | None, str | None]] = [
    (G, None, None, None),
    (dict(G, level="D"), "level: invalid_choice",
     "level: 等级：应为 A、B、C 之一，实际为 'D'", "level: Level: expected one of A, B, C, got 'D'"),
    (dict(G, count=2.5), "count: not_integer",
     "count: 件数：应为整数，实际为 2.5", "count: Cases: expected a whole number, got 2.5"),
    (dict(G, rate=101), "rate: out_of_range",
     "rate: 比率：101 高于上限 100", "rate: Rate: 101 is above the maximum 100"),
    (dict(G, rate2=float("inf")), "rate2: not_finite",
     "rate2: 比率二：inf 不是有限数值", "rate2: Rate 2: inf is not a finite number"),
    (dict(G, ok="yes please"), "ok: invalid_type",
     "ok: 达标：应为是/否（true/false），实际为 'yes please'",
     "ok: Up to standard: expected true or false, got 'yes please'"),
    ({**G, ENTRY: 9}, "assessments.15: invalid_assessment",
     "assessments.15: 9 超出允许范围 0.5至4", "assessments.15: 9 is outside the allowed 0.5..4"),
    ({**G, ENTRY: {"value": 3, "by": "x"}}, "assessments.15: invalid_type",
     "assessments.15: 评估记录应为数值，或含 value/points/met 之一及 rationale、assessor 的表",
     "assessments.15: an assessment is a value or a table with one of value/points/met, and rationale, assessor"),
    ({**G, "count": -1, "level": "D", ENTRY: 0.1}, "level: invalid_choice; count: out_of_range; assessments.15: "
     "invalid_assessment",
     "level: 等级：应为 A、B、C 之一，实际为 'D'；count: 件数：-1 低于下限 0；assessments.15: 0.1 超出允许范围 0.5至4",
     "level: Level: expected one of A, B, C, got 'D'; count: Cases: -1 is below the minimum 0; "
     "assessments.15: 0.1 is outside the allowed 0.5..4"),
]


@pytest.fixture(scope="module")
def kinds() -> fuac.RuleSet:
    return fuac.load(KINDS)


def said_by_evaluate(rs: fuac.RuleSet, res: fuac.BatchResults, i: int, zh: bool) -> str | None:
    """What ``fuac.evaluate`` says of row ``i``'s record: its errors other than a missing value, as
    ``field: message``, in the rule set's order of fields (indicators, then assessors' entries)."""
    rec = res.record(i)
    ev = fuac.evaluate(rs, rec["data"], context=rec["context"], assessments=rec["assessments"], on=ON)
    order = [*rs.doc.indicators, ENTRY]
    found = sorted((p for p in ev.problems if p.severity == "error" and p.code != "missing"),
                   key=lambda p: order.index(p.field))
    return ("；" if zh else "; ").join(f"{p.field}: {p.message_zh if zh else p.message}" for p in found) or None


# ---------------------------------------------------------------------------
# the columns


@pytest.mark.parametrize("backend", ["vector", "python"])
@pytest.mark.parametrize("chunk_size", [1, 4, 1000])
def test_errors_in_words_are_what_evaluate_says(kinds: fuac.RuleSet, backend: str, chunk_size: int) -> None:
    res = fuac.evaluate_many(kinds, [r for r, *_ in ROWS], on=ON, backend=backend, chunk_size=chunk_size)
    assert res.column("errors").tolist() == [codes for _, codes, _, _ in ROWS]
    assert res.column("errors_zh").tolist() == [zh for _, _, zh, _ in ROWS]
    assert res.column("errors_en").tolist() == [en for _, _, _, en in ROWS]
    for i in range(len(ROWS)):
        assert res.column("errors_zh")[i] == said_by_evaluate(kinds, res, i, zh=True)
        assert res.column("errors_en")[i] == said_by_evaluate(kinds, res, i, zh=False)
    # problems(i): field, code, words and value of each, as evaluation(i) gives them
    got = [(p.field, p.code, p.message_zh, p.message, p.value) for p in res.problems(-1)]
    ev = res.evaluation(len(ROWS) - 1)
    want = {(p.field, p.code, p.message_zh, p.message, p.value) for p in ev.problems if p.severity == "error"}
    assert set(got) == want and len(got) == 3
    assert [p.field for p in res.problems(-1)] == ["level", "count", ENTRY]
    assert res.problems(0) == []
    assert "errors_zh" in res.columns and "errors_en" in res.columns


def test_a_files_rows_in_words_unreadable_and_yes_no_words(tmp_path: Path) -> None:
    # a CSV as a county sends it: a row one value too long (line 3), 有的 in a yes/no column, 2.5
    # meetings, 120% satisfaction; the values are shown as written (2.5, not Decimal('2.5'))
    values = list(TYPED.values())
    bad = dict(TYPED, has_doc="有的", meetings="2.5", satisfaction="120%")
    lines = [",".join(TYPED), ",".join(values), ",".join(values) + ",x", ",".join(bad.values())]
    path = tmp_path / "u.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rs = fuac.load(MINI)
    res = fuac.evaluate_many(rs, path, on=ON)
    assert res.column("status").tolist() == ["scored", "invalid_input", "invalid_input"]
    zh = res.column("errors_zh").tolist()
    en = res.column("errors_en").tolist()
    assert zh[0] is None and en[0] is None
    assert zh[1].startswith("has_doc: 有相关文件：第3行有13个值，表头有12列，无法对应，整行未读；"
                            "meetings: 每年会议次数：第3行")
    assert en[1].count("line 3 has 13 values for the 12 columns of the header: the row is not read") == 11
    assert zh[2] == ("has_doc: 有相关文件：应为是/否（true/false），实际为 '有的'；"
                     "meetings: 每年会议次数：应为整数，实际为 2.5；satisfaction: 满意度：120 高于上限 100")
    assert en[2] == ("has_doc: Document issued: expected true or false, got '有的'; meetings: Meetings a year: "
                     "expected a whole number, got 2.5; satisfaction: Satisfaction rate: 120 is above the maximum 100")
    for i in range(3):
        rec = res.record(i)
        ev = fuac.evaluate(rs, rec["data"], context=rec["context"], on=ON)
        errs = [p for p in ev.problems if p.severity == "error" and p.code != "missing"]
        assert en[i] == ("; ".join(f"{p.field}: {p.message}" for p in errs) or None)
        assert zh[i] == ("；".join(f"{p.field}: {p.message_zh}" for p in errs) or None)


def test_a_value_is_shown_as_written_never_as_a_python_repr() -> None:
    ev = fuac.evaluate(str(MINI), {"meetings": dt.datetime(2023, 1, 1), "institutions": dt.date(2023, 1, 2),
                                   "complaints": Decimal("2.50")}, on=ON)
    said = {p.field: (p.message_zh, p.message) for p in ev.problems if p.severity == "error"}
    assert said["meetings"] == ("每年会议次数：应为数值，实际为 2023-01-01",
                                "Meetings a year: expected a number, got 2023-01-01")
    assert said["institutions"][1] == "Registered childcare institutions: expected a number, got 2023-01-02"
    assert said["complaints"][1] == "Complaints: expected a whole number, got 2.5"


def test_messages_follow_evaluate_when_validation_alone_would_differ(kinds: fuac.RuleSet,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # were validating a record to find other problems than the batch did (a new kind of problem in
    # fuac.evaluate), the row is evaluated: the words are still evaluate's
    monkeypatch.setattr(fuac.BatchResults, "_validated", lambda self, i, fields: [])
    res = fuac.evaluate_many(kinds, [r for r, *_ in ROWS], on=ON)
    assert res.column("errors_en").tolist() == [en for _, _, _, en in ROWS]
    assert res.problems(1)[0].rules == []  # which rules needed the field: evaluation(i) says
    # and were evaluate to name none, the codes are written rather than nothing
    monkeypatch.setattr(fuac.BatchResults, "problems", lambda self, i: [])
    assert res.column("errors_zh").tolist() == [codes for _, codes, _, _ in ROWS]


def test_messages_are_worked_out_only_for_rows_with_errors(kinds: fuac.RuleSet,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [G] * 50 + [dict(G, level="D")] + [G] * 49
    res = fuac.evaluate_many(kinds, rows, on=ON)
    asked: list[int] = []
    real = fuac.BatchResults.record

    def record(self: fuac.BatchResults, i: int) -> dict[str, Any]:
        asked.append(i)
        return real(self, i)

    monkeypatch.setattr(fuac.BatchResults, "record", record)
    assert res.column("errors_zh")[50] == "level: 等级：应为 A、B、C 之一，实际为 'D'"
    assert res.column("errors_en")[50] == "level: Level: expected one of A, B, C, got 'D'"
    assert asked == [50]  # once, for the one row with an error
    assert sum(v is not None for v in res.column("errors_en")) == 1


# ---------------------------------------------------------------------------
# the most common problems


def test_problem_tally_counts_by_field_and_code_with_an_example(kinds: fuac.RuleSet) -> None:
    rows = [dict(G, level="D"), dict(G, level="E", count=2.5), G, dict(G, level="F"), dict(G, count=2.5),
            dict(G, count="x")]
    tally = ProblemTally()
    for part in fuac.evaluate_chunks(kinds, rows, on=ON, chunk_size=2):
        tally.add(part)
    assert tally.rows == 5
    got = [(c.field, c.code, c.rows, c.example.message_zh) for c in tally.most_common()]
    assert got == [("level", "invalid_choice", 3, "等级：应为 A、B、C 之一，实际为 'D'"),
                   ("count", "not_integer", 2, "件数：应为整数，实际为 2.5"),
                   ("count", "invalid_type", 1, "件数：应为数值，实际为 'x'")]
    # each kind's first record in the whole batch, counted from 1 (the last in the third chunk)
    assert [c.first for c in tally.most_common()] == [1, 2, 6]
    assert tally.most_common(1)[0].to_dict() == {
        "field": "level", "code": "invalid_choice", "rows": 3, "first_record": 1,
        "example": {"zh": "等级：应为 A、B、C 之一，实际为 'D'", "en": "Level: expected one of A, B, C, got 'D'"}}


@pytest.fixture()
def divides(tmp_path: Path) -> Path:
    """batch-kinds with item 4 scored as 10 / count: a unit with no cases cannot be scored."""
    path = tmp_path / "divides.toml"
    text = KINDS.read_text(encoding="utf-8")
    assert text.count('expression = "count / 10"') == 1
    path.write_text(text.replace('expression = "count / 10"', 'expression = "10 / count"'), encoding="utf-8")
    return path


def test_a_rule_that_cannot_be_computed_is_counted_with_its_reason(divides: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    res = fuac.evaluate_many(str(divides), [dict(G, count=0), G, dict(G, count=0), dict(G, count=0)], on=ON)
    assert res.column("status").tolist() == ["invalid_input", "awaiting_assessor", "invalid_input", "invalid_input"]
    assert res.column("errors_en").tolist() == [None] * 4  # no value is rejected
    # the item's status tells which rule failed: only the first row of the kind is evaluated, for its words
    evaluated: list[int] = []
    real = fuac.BatchResults.evaluation

    def evaluation(self: fuac.BatchResults, i: int) -> fuac.Evaluation:
        evaluated.append(i)
        return real(self, i)

    monkeypatch.setattr(fuac.BatchResults, "evaluation", evaluation)
    tally = ProblemTally()
    tally.add(res)
    assert [(c.field, c.rows, c.example.message_zh) for c in tally.most_common()] == [
        ("item.4", 3, "由输入计算失败：除数为零。")]
    assert evaluated == [0]
    assert [(p.field, p.code, p.message) for p in why_invalid(res, 2)] == [
        ("item.4", "invalid_input", "cannot score from these inputs: division by zero.")]
    assert why_invalid(res, 1) == []


def test_a_condition_that_cannot_be_computed_is_counted_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "veto.toml"
    text = KINDS.read_text(encoding="utf-8")
    assert text.count('condition = "amount < 0"') == 1
    path.write_text(text.replace('condition = "amount < 0"', 'condition = "amount / count < 0"'), encoding="utf-8")
    res = fuac.evaluate_many(str(path), [dict(G, count=0), dict(G, count=0)], on=ON)
    assert res.column("status").tolist() == ["invalid_input", "invalid_input"]
    tally = ProblemTally()
    tally.add(res)
    assert [(c.field, c.code, c.rows, c.example.message_zh, c.example.message) for c in tally.most_common()] == [
        ("veto.V2", "invalid_input", 2, "金额为负：计算失败（除数为零）。",
         "Negative amount: could not be checked (division by zero).")]


# ---------------------------------------------------------------------------
# fuac batch


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def units_csv(path: Path, units: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(list(units[0]))
        w.writerows([list(u.values()) for u in units])
    return path


@pytest.fixture()
def county_csv(tmp_path: Path) -> Path:
    """Five units: two with 有的 for a yes/no, one also with 2.5 meetings, one with abc for a rate, two good."""
    return units_csv(tmp_path / "units.csv", [
        dict(TYPED, id="甲", has_doc="有的"), dict(TYPED, id="乙"),
        dict(TYPED, id="丙", has_doc="有的", meetings="2.5"), dict(TYPED, id="丁", awareness="abc"),
        dict(TYPED, id="戊", satisfaction="96")])


def test_batch_prints_the_most_common_problems(capsys: pytest.CaptureFixture[str], county_csv: Path) -> None:
    code, out, err = cli(capsys, "batch", str(MINI), str(county_csv), "--on", "2023-06-01", "--no-progress")
    assert code == 1 and err == ""
    assert out.splitlines() == [
        "5 rows",
        "  输入无效       3",
        "  已评分         2",
        "最常见的输入问题（每种举一例，× 行数）：",
        "  has_doc: 有相关文件：应为是/否（true/false），实际为 '有的' × 2（首见第 1 条记录）",
        "  meetings: 每年会议次数：应为整数，实际为 2.5 × 1（首见第 3 条记录）",
        "  awareness: 知晓率：应为数值，实际为 'abc' × 1（首见第 4 条记录）",
    ]
    code, out, _ = cli(capsys, "batch", str(MINI), str(county_csv), "--on", "2023-06-01", "--no-progress",
                       "--lang", "en")
    assert "Most common input problems (one example of each, × rows):" in out
    assert "  awareness: Awareness rate: expected a number, got 'abc' × 1 (first in record 4)" in out.splitlines()
    code, out, _ = cli(capsys, "batch", str(MINI), str(county_csv), "--on", "2023-06-01", "--no-progress",
                       "--lang", "both")
    assert out.splitlines()[1:4] == [
        "  输入无效 invalid input" + " " * 9 + "3",  # padded to 30 columns, a Chinese character 2
        "  已评分 scored" + " " * 18 + "2",
        "最常见的输入问题（每种举一例，× 行数）：",
    ]
    assert out.splitlines()[4:6] == [
        "  has_doc: 有相关文件：应为是/否（true/false），实际为 '有的' × 2（首见第 1 条记录）",
        "    Document issued: expected true or false, got '有的' (first in record 1)"]
    code, out, _ = cli(capsys, "batch", str(MINI), str(county_csv), "--on", "2023-06-01", "--json")
    summary = json.loads(out)
    assert code == 1
    assert summary["problems"][0] == {"field": "has_doc", "code": "invalid_type", "rows": 2, "first_record": 1,
                                      "example": {
        "zh": "有相关文件：应为是/否（true/false），实际为 '有的'",
        "en": "Document issued: expected true or false, got '有的'"}}
    assert [(p["field"], p["rows"]) for p in summary["problems"]] == [("has_doc", 2), ("meetings", 1), ("awareness", 1)]


def test_batch_lists_five_kinds_and_says_how_many_more(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fields = ["meetings", "institutions", "complaints", "awareness", "satisfaction", "mmr", "places"]
    units = [dict(TYPED, id=f"u{k}", **{f: "x"}) for k, f in enumerate(fields)]
    code, out, _ = cli(capsys, "batch", str(MINI), str(units_csv(tmp_path / "u.csv", units)), "--on", "2023-06-01",
                       "--no-progress")
    assert code == 1
    lines = out.splitlines()
    head = lines.index("最常见的输入问题（每种举一例，× 行数）：")
    assert [line.split(":")[0].strip() for line in lines[head + 1:head + 6]] == fields[:5]
    assert lines[head + 6:] == ["  …另有 2 种问题"]


def test_batch_output_carries_the_words_in_csv_and_jsonl(capsys: pytest.CaptureFixture[str], county_csv: Path,
                                                          tmp_path: Path) -> None:
    out_csv, out_jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    for out in (out_csv, out_jsonl):
        assert cli(capsys, "batch", str(MINI), str(county_csv), "--on", "2023-06-01", "-o", str(out),
                   "--no-progress", "--chunk-size", "2")[0] == 1
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    want_zh = ["has_doc: 有相关文件：应为是/否（true/false），实际为 '有的'", "",
               "has_doc: 有相关文件：应为是/否（true/false），实际为 '有的'；"
               "meetings: 每年会议次数：应为整数，实际为 2.5",
               "awareness: 知晓率：应为数值，实际为 'abc'", ""]
    assert [r["errors_zh"] for r in rows] == want_zh
    assert [r["errors_zh"] or "" for r in lines] == want_zh
    assert [r["errors"] for r in rows] == ["has_doc: invalid_type", "", "has_doc: invalid_type; meetings: not_integer",
                                           "awareness: invalid_type", ""]
    assert rows[3]["errors_en"] == lines[3]["errors_en"] == "awareness: Awareness rate: expected a number, got 'abc'"
    assert list(rows[0])[-3:] == ["errors", "errors_zh", "errors_en"]


@pytest.mark.parametrize(("output", "said"), [
    ("out.txt", "out.txt: write results to .csv, .jsonl or .parquet"),
    ("no-such-folder/out.csv", "no-such-folder/out.csv: no folder"),
    ("folder.csv", "folder.csv: is a folder"),
])
def test_batch_refuses_an_output_it_cannot_write_before_scoring(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch, output: str,
                                                                said: str) -> None:
    (tmp_path / "folder.csv").mkdir()
    monkeypatch.chdir(tmp_path)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("scored")

    monkeypatch.setattr("fuac.run.batch.runner.evaluate_chunks", never)
    code, out, err = cli(capsys, "batch", str(MINI), "no-such-input.csv", "-o", output)
    assert code == 2 and out == ""
    assert err.startswith(f"fuac: {said}") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv"]


# ---------------------------------------------------------------------------
# fuac rank


def test_rank_exits_1_and_names_the_columns_when_nobody_can_be_ranked(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    # 是/否 written as words fuac does not read (有的, 没有): every unit is invalid
    units = [dict(TYPED, id=f"u{k}", has_doc=a, falsified="没有") for k, a in enumerate(["有的", "有的", "没有"])]
    path = units_csv(tmp_path / "u.csv", units)
    code, out, err = cli(capsys, "rank", str(MINI), str(path), "--on", "2023-06-01", "--no-progress")
    assert code == 1 and err == ""
    assert out.splitlines()[-6:] == [
        "",
        "输入无效、未参加排名的单位：3 个",
        "最常见的输入问题（每种举一例，× 单位数）：",
        "  has_doc: 有相关文件：应为是/否（true/false），实际为 '有的' × 3（首见第 1 条记录）",
        "  falsified: 发现数据弄虚作假：应为是/否（true/false），实际为 '没有' × 3（首见第 1 条记录）",
        "没有单位可以排名：请改正以上输入后重新运行。",
    ]
    assert "推荐名单 (0):" in out
    code, out, _ = cli(capsys, "rank", str(MINI), str(path), "--on", "2023-06-01", "--no-progress", "--lang", "en",
                       "--all")
    assert code == 1
    lines = out.splitlines()
    assert lines[-5:] == [
        "Units set aside for invalid input: 3",
        "Most common input problems (one example of each, × units):",
        "  has_doc: Document issued: expected true or false, got '有的' × 3 (first in record 1)",
        "  falsified: Falsified data found: expected true or false, got '没有' × 3 (first in record 1)",
        "No unit could be ranked: correct the inputs above and run again.",
    ]
    u2 = lines.index(next(line for line in lines if line.startswith("  ✗ u2")))
    assert [line.strip() for line in lines[u2 + 1:u2 + 3]] == [
        "has_doc: Document issued: expected true or false, got '没有'",
        "falsified: Falsified data found: expected true or false, got '没有'"]
    code, out, _ = cli(capsys, "rank", str(MINI), str(path), "--on", "2023-06-01", "--json")
    assert code == 1
    found = json.loads(out)
    assert found["recommended"] == []
    assert found["invalid_input"]["units"] == 3
    assert [(p["field"], p["code"], p["rows"]) for p in found["invalid_input"]["problems"]] == [
        ("has_doc", "invalid_type", 3), ("falsified", "invalid_type", 3)]


def test_rank_with_some_units_set_aside_says_why_and_exits_0(capsys: pytest.CaptureFixture[str],
                                                             county_csv: Path) -> None:
    code, out, _ = cli(capsys, "rank", str(MINI), str(county_csv), "--on", "2023-06-01", "--no-progress")
    assert code == 0
    assert "推荐名单 (2):" in out
    assert out.splitlines()[-6:] == [
        "",
        "输入无效、未参加排名的单位：3 个",
        "最常见的输入问题（每种举一例，× 单位数）：",
        "  has_doc: 有相关文件：应为是/否（true/false），实际为 '有的' × 2（首见第 1 条记录）",
        "  meetings: 每年会议次数：应为整数，实际为 2.5 × 1（首见第 3 条记录）",
        "  awareness: 知晓率：应为数值，实际为 'abc' × 1（首见第 4 条记录）",
    ]


def test_rank_when_a_rule_cannot_be_computed_names_the_item(capsys: pytest.CaptureFixture[str], divides: Path,
                                                            tmp_path: Path) -> None:
    units = [{k: str(v) for k, v in dict(G, id=f"u{k}", count=0, ok="true", fake="false").items()} for k in range(2)]
    code, out, _ = cli(capsys, "rank", str(divides), str(units_csv(tmp_path / "u.csv", units)), "--on",
                       "2023-06-01", "--no-progress", "--lang", "en")
    assert code == 1
    assert "  item.4: cannot score from these inputs: division by zero. × 2 (first in record 1)" in out.splitlines()


def test_rank_with_every_unit_valid_prints_no_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = units_csv(tmp_path / "u.csv", [dict(TYPED, id="a"), dict(TYPED, id="b", satisfaction="96")])
    code, out, _ = cli(capsys, "rank", str(MINI), str(path), "--on", "2023-06-01", "--no-progress")
    assert code == 0
    assert "输入无效" not in out and "推荐名单 (2):" in out


# ---------------------------------------------------------------------------
# control characters in workbooks


def test_xml_illegal_is_openpyxls_and_more() -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for cp in [*range(0x10000), 0x10000, 0x10FFFF]:
        ch = chr(cp)
        if ILLEGAL_CHARACTERS_RE.search(ch):
            assert XML_ILLEGAL.search(ch), hex(cp)
    assert xml_text("a\x01b\x1b[31m\t\n\r\ufffe\ud800c") == "a\ufffdb\ufffd[31m\t\n\r\ufffd\ufffdc"
    assert REPLACEMENT == "\ufffd"


def strict_xml(path: Path) -> None:
    """Every XML part of a workbook is well-formed XML 1.0 (what Excel needs to open it)."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(z.read(name))


def texts(path: Path) -> dict[str, str]:
    openpyxl = pytest.importorskip("openpyxl")
    out = {}
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    out[f"{ws.title}!{cell.coordinate}"] = cell.value
    return out


def test_every_way_of_writing_a_cell_of_a_new_workbook(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    wb = new_workbook()
    ws = wb.active
    ws.cell(1, 1, "a\x01")
    ws.cell(1, 2).value = "b\x02"
    ws["C1"] = "c\x03"
    ws.append(["d\x04", 5])
    ws.append({"B": "e\x1b"})
    other = wb.create_sheet("f\x05")
    other.cell(1, 1, "=x\x06")
    path = tmp_path / "w.xlsx"
    from fuac.render.cells import guard_workbook

    guard_workbook(wb)
    wb.save(path)
    strict_xml(path)
    assert texts(path) == {"Sheet!A1": "a�", "Sheet!B1": "b�", "Sheet!C1": "c�", "Sheet!A2": "d�",
                           "Sheet!B3": "e�", "f�!A1": "=x�"}


def test_the_guard_cleans_any_workbook_before_it_is_saved(tmp_path: Path) -> None:
    # what openpyxl lets into a cell but XML cannot hold (U+FFFE, a lone surrogate), a sheet's title
    # and a data validation's list and messages (a rule file's choices)
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.worksheet.datavalidation import DataValidation

    from fuac.render.cells import guard_workbook

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "s\x01"
    ws.cell(1, 1, "a\ufffe")
    ws.cell(1, 2, "b\ud800")
    dv = DataValidation(type="list", formula1='"A\x02,B"', allow_blank=True)
    dv.error = "choose\x03"
    dv.prompt = "p\x04"
    ws.add_data_validation(dv)
    dv.add("C1")
    guard_workbook(wb)
    path = tmp_path / "w.xlsx"
    wb.save(path)
    strict_xml(path)
    assert texts(path) == {"s�!A1": "a�", "s�!B1": "b�"}
    back = openpyxl.load_workbook(path).active.data_validations.dataValidation[0]
    assert (back.formula1, back.error, back.prompt) == ('"A�,B"', "choose�", "p�")


CONTROL = "\x01\x1b[31m"


def test_template_with_control_characters_opens(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from fuac.render.workbook import read_workbook

    text = MINI.read_text(encoding="utf-8")
    old = 'label = { zh = "知晓率", en = "Awareness rate" }'
    assert text.count(old) == 1
    rules = tmp_path / "ctl.toml"
    rules.write_text(text.replace(old, 'label = { zh = "知晓\\u0001率", en = "Awareness\\u001b[31m rate" }'),
                     encoding="utf-8")
    out = tmp_path / "t.xlsx"
    code, _, err = cli(capsys, "template", str(rules), "-o", str(out), "--unit", "柳南" + CONTROL, "--unit", "鱼峰")
    assert code == 0 and err == ""
    strict_xml(out)
    found = texts(out)
    assert found["指标!B6"] == "知晓�率" and found["指标!C6"] == "Awareness�[31m rate"
    assert found["指标!H1"] == "柳南��[31m" and found["指标!I1"] == "鱼峰"
    assert not any(XML_ILLEGAL.search(t) for t in found.values())
    assert [u.name for u in read_workbook(out).units] == ["柳南��[31m", "鱼峰"]


def test_score_sheet_xlsx_with_control_characters_in_the_units_name_opens(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    unit = tmp_path / "unit.toml"
    text = (DATA / "mini-unit.toml").read_text(encoding="utf-8")
    unit.write_text(text.replace('name = "示例区"', 'name = "示例\\u0001区\\u001b[0m"'), encoding="utf-8")
    out = tmp_path / "sheet.xlsx"
    code, _, err = cli(capsys, "evaluate", str(MINI), str(unit), "--report", str(out))
    assert code == 0 and err == ""
    strict_xml(out)
    found = texts(out)
    assert {k.split("!")[0] for k in found} == {"示例�区�_0m"}  # the sheet is named after the unit ([ ] not allowed)
    assert any(t.startswith("评估单位：示例�区�[0m") for t in found.values())
    assert not any(XML_ILLEGAL.search(t) for t in found.values())


def test_title_table_xlsx_with_control_characters_opens(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    from fuac.decide.lifecycle import TABLE_COLUMNS
    from fuac.render.tables import write_title_table

    row = dict.fromkeys(TABLE_COLUMNS, "")
    row[TABLE_COLUMNS[0]] = "柳南\x01区"
    out = tmp_path / "titles.xlsx"
    write_title_table([row], str(out))
    strict_xml(out)
    assert texts(out)["titles!A2"] == "柳南�区"


def test_nothing_else_is_touched() -> None:
    # the guard replaces only what XML cannot hold: Chinese, tabs, line breaks, DEL and emoji stay
    assert xml_text("柳南区\t1\n2\r3\x7f 😀") == "柳南区\t1\n2\r3\x7f 😀"
