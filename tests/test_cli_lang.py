"""The command in the user's language: help, usage errors, error lines and summaries in Chinese or
English as ``--lang`` says, else as the locale says; did you mean for a mistyped rule-set id, tier,
input key or command; a table of units given to ``evaluate`` pointed at ``fuac batch``; and the
English reasons' singular and plural (``1 institution``, ``2 institutions``) on real evaluations of
the built-in rule sets. Run through ``fuac.cli.main`` in-process, as ``test_cli.py`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

import fuac
from fuac.cli import locale_lang, main, message_lang
from fuac.language.words import close_names, did_you_mean, en_count, gap_with_unit, with_unit

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "mini.toml")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
STREET = str(EXAMPLES / "wuhan-2017-street.toml")


@pytest.fixture
def zh_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")


@pytest.fixture
def en_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``fuac ARGS``: the exit status, standard output and standard error (help and usage errors exit
    through SystemExit, as argparse has them)."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------
# which language


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW"}, "zh"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({}, "en"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL first, as the C library reads them
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
    ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh"),  # set but empty counts as not set
])
def test_the_locale_says_the_language(env: dict[str, str], lang: str) -> None:
    assert locale_lang(env) == lang


def test_lang_given_wins_over_the_locale() -> None:
    zh = {"LANG": "zh_CN.UTF-8"}
    assert message_lang(["evaluate", "x", "y", "--lang", "en"], zh) == "en"
    assert message_lang(["--lang=both", "show", "x"], zh) == "both"
    assert message_lang(["evaluate", "x", "y", "--lang", "fr"], zh) == "zh"  # not a language: the locale's
    assert message_lang(["show", "x"], {"LANG": "C"}) == "en"


# ---------------------------------------------------------------------------
# help


def test_help_in_chinese_under_a_chinese_locale(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, out, _ = run(capsys, "evaluate", "--help")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "用法：fuac evaluate [-h] [--tier TIER] [--on ON] [--assessor ASSESSOR]"
    # the wrapped lines stand under the first argument, however wide the Chinese before it
    assert lines[1] == " " * 20 + "[--lang {zh,en,both}] [--json] [--report FILE] [--record]"  # 用法： is 6 wide
    assert "参数:" in lines and "选项:" in lines
    assert "  -h, --help           显示本帮助并退出" in lines
    assert "  --tier TIER          评分的层级（district、street、village 等）" in lines
    assert "  --json               以 JSON 输出完整结果" in lines
    assert "usage" not in out and "options" not in out and "show this help" not in out


def test_the_command_list_in_chinese(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("用法：fuac [-h] [--version] [--lang {zh,en,both}] COMMAND ...\n\n"
                          "按先进单位评估方案为各地评分。")
    assert "    batch              为多个单位（一个表格）评分，每个单位输出一行" in out.splitlines()
    assert "  --version            显示版本号并退出" in out.splitlines()


def test_help_follows_lang_over_the_locale(capsys: pytest.CaptureFixture[str], en_locale: None) -> None:
    code, out, _ = run(capsys, "gaps", "--lang", "zh", "--help")
    assert code == 0
    assert out.startswith("用法：fuac gaps ")
    assert [line.split() for line in out.splitlines() if line.startswith("  --json")] == [["--json", "以", "JSON",
                                                                                          "输出清单"]]
    code, out, _ = run(capsys, "--lang", "zh", "--help")  # the command's own --lang
    assert out.startswith("用法：fuac ")


def test_help_in_english_under_the_c_locale(capsys: pytest.CaptureFixture[str], en_locale: None) -> None:
    code, out, _ = run(capsys, "evaluate", "--help")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "usage: fuac evaluate [-h] [--tier TIER] [--on ON] [--assessor ASSESSOR]"
    assert "positional arguments:" in lines and "options:" in lines
    assert "  -h, --help           show this help and exit" in lines
    assert "  --tier TIER          tier to score (district, street, village …)" in lines
    assert "用法" not in out and "评分" not in out


def test_every_option_has_help_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from fuac.cli import build_parser

    for lang in ("zh", "en"):
        commands = next(a for a in build_parser(lang)._actions if isinstance(a, argparse._SubParsersAction))
        for name, parser in commands.choices.items():
            for action in parser._actions:
                assert action.help, (lang, name, action.dest)
                assert any("\u4e00" <= c <= "\u9fff" for c in action.help) == (lang == "zh"), (lang, name, action.help)


# ---------------------------------------------------------------------------
# usage errors and did you mean


def test_a_usage_error_in_chinese(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, _, err = run(capsys, "evaluate", "liunan-2023")
    assert code == 2
    assert err.startswith("用法：fuac evaluate ")
    assert err.endswith("\nfuac evaluate：错误：缺少必需的参数：input\n")


def test_a_usage_error_in_english(capsys: pytest.CaptureFixture[str], en_locale: None) -> None:
    code, _, err = run(capsys, "evaluate", "liunan-2023")
    assert code == 2
    assert err.endswith("\nfuac evaluate: error: the following arguments are required: input\n")


def test_a_mistyped_command(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, _, err = run(capsys, "evalute", "liunan-2023", "x.toml")
    assert code == 2
    assert err.splitlines()[-1].startswith("fuac：错误：参数 COMMAND：无效的取值 'evalute'（可选：'list', 'show', ")
    assert err.endswith("）。您是否要找 evaluate？\n")
    code, _, err = run(capsys, "evaluate", "liunan-2023", "x.toml", "--lang", "en", "--tier")
    assert err.endswith("fuac evaluate: error: argument --tier: expected one argument\n")


def test_did_you_mean_a_rule_set(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, out, err = run(capsys, "show", "liunan-2032")
    assert (code, out) == (2, "")
    assert err == ("fuac：没有规则集 liunan-2032：它不是已登记的规则集编号，也不是规则文件。"
                   "您是否要找 liunan-2023？（fuac list 列出全部规则集）\n")
    code, _, err = run(capsys, "evaluate", "wuhan2017", STREET, "--lang", "en")
    assert code == 2
    assert err == ("fuac: no rule set 'wuhan2017': not a registered id nor a rule file. Did you mean wuhan-2017? "
                   "(fuac list lists them all)\n")


def test_no_suggestion_when_nothing_is_close(capsys: pytest.CaptureFixture[str], en_locale: None) -> None:
    code, _, err = run(capsys, "show", "qqqqqqq")
    assert code == 2
    assert err == "fuac: no rule set 'qqqqqqq': not a registered id nor a rule file. (fuac list lists them all)\n"


def test_did_you_mean_a_tier(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, out, err = run(capsys, "evaluate", "wuhan-2017", STREET, "--tier", "streat")
    assert (code, out) == (2, "")
    assert err == ("fuac：--tier：规则集 wuhan-2017 没有层级 streat。您是否要找 street（街(乡)）？"
                   "层级：district（区）、street（街(乡)）、village（村(社区)）\n")
    code, _, err = run(capsys, "evaluate", "wuhan-2017", STREET, "--tier", "streat", "--lang", "en")
    assert err == ("fuac: --tier: rule set 'wuhan-2017' has no tier 'streat'. Did you mean street (Street / township)? "
                   "Tiers: district (District), street (Street / township), village (Village / community)\n")


def test_a_tier_by_its_label(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, _, err = run(capsys, "batch", "wuhan-2017", "units.csv", "--tier", "村(社区)")
    assert code == 2
    assert "您是否要找 village（村(社区)）？" in err
    code, out, err = run(capsys, "schema", "wuhan-2017", "--tier", "Village")  # a filter, but not a wrong one
    assert (code, out) == (2, "")
    assert err.startswith("fuac：--tier：规则集 wuhan-2017 没有层级 Village。您是否要找 village（村(社区)）？")


def test_no_tier_given_names_the_option_not_the_api(capsys: pytest.CaptureFixture[str], en_locale: None) -> None:
    code, _, err = run(capsys, "rank", "wuhan-2017", "units.csv")  # refused before the table is read
    assert code == 2
    assert err == ("fuac: rule set 'wuhan-2017' has several tiers: give one with --tier: district (District), "
                   "street (Street / township), village (Village / community)\n")


def test_did_you_mean_an_input_key(capsys: pytest.CaptureFixture[str], en_locale: None, tmp_path: Path) -> None:
    unit = tmp_path / "unit.toml"
    unit.write_text("[data]\nregistered_childcare_institution = 7\ncolour = 'red'\n", encoding="utf-8")
    code, out, _ = run(capsys, "evaluate", "liunan-2023", str(unit))
    assert code == 1  # the values the rules need are missing
    lines = out.splitlines()
    assert ("  [warning] registered_childcare_institution: 不是本规则集的指标，已忽略。"
            "您是否要找 registered_childcare_institutions（辖区内备案托育机构数）？") in lines
    assert "  [warning] colour: 不是本规则集的指标，已忽略" in lines  # nothing close: no suggestion
    code, out, _ = run(capsys, "evaluate", "liunan-2023", str(unit), "--lang", "en")
    assert ("  [warning] registered_childcare_institution: not an indicator of this rule set; ignored; did you mean "
            "registered_childcare_institutions (Registered childcare institutions in the district)?"
            ) in out.splitlines()


def test_did_you_mean_a_top_level_key(capsys: pytest.CaptureFixture[str], zh_locale: None, tmp_path: Path) -> None:
    unit = tmp_path / "unit.toml"
    unit.write_text("[data]\nmeetings = 2\n[assesments]\n'7' = 3\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", MINI, str(unit))
    assert code == 2
    assert err == (f"fuac：{unit}：未知的顶层键 “assesments”（您是否要找 assessments？）；"
                   "可用的键：data、assessments、context、tier、on、assessor\n")


def test_the_suggestions_themselves() -> None:
    assert close_names("liunan-2032", ["guangdong-2020", "liunan-2023", "longnan-2021", "wuhan-2017"], 1) == [
        "liunan-2023"]
    assert close_names("Wuhan_2017", ["wuhan-2017"]) == ["wuhan-2017"]  # case, - and _ alike
    assert close_names("zzz", ["wuhan-2017"]) == []
    assert did_you_mean(["a", "b"]) == ("您是否要找 a 或 b？", "did you mean a or b?")
    assert did_you_mean([]) == ("", "")


# ---------------------------------------------------------------------------
# a table of units given to evaluate


@pytest.mark.parametrize("name", ["units.csv", "units.parquet", "units.jsonl"])
def test_a_table_given_to_evaluate_points_at_batch(capsys: pytest.CaptureFixture[str], en_locale: None,
                                                   tmp_path: Path, name: str) -> None:
    table = tmp_path / name
    table.write_text("registered_childcare_institutions\n7\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", "liunan-2023", str(table))
    assert (code, out) == (2, "")
    assert err == (f"fuac: {table} is a table of units: score it with fuac batch liunan-2023 {table} "
                   "(fuac evaluate reads one unit's .toml or .json file, or an .xlsx workbook from fuac template)\n")
    assert "TOML" not in err.split("(")[0]


def test_the_batch_hint_in_chinese(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, _, err = run(capsys, "gaps", "liunan-2023", "units.csv")
    assert code == 2
    assert err == ("fuac：units.csv 是多个单位的表格，请用 fuac batch liunan-2023 units.csv 评分"
                   "（fuac gaps 只读一个单位的 .toml、.json 文件或 fuac template 生成的 .xlsx 填报表）\n")
    code, _, err = run(capsys, "evaluate", "liunan-2023", "units.csv", "--lang", "both")
    assert err.splitlines()[0].startswith("fuac：units.csv 是多个单位的表格")
    assert err.splitlines()[1].startswith("fuac: units.csv is a table of units")


# ---------------------------------------------------------------------------
# other messages


def test_a_bad_date_in_chinese(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, _, err = run(capsys, "evaluate", "liunan-2023", str(EXAMPLES / "liunan-2023-liunan.toml"), "--on",
                       "yesterday")
    assert code == 2
    assert err == "fuac：--on 应为日期，格式为 年-月-日（如 2023-11-30），实际为 yesterday\n"


def test_universe_where_no_quota_uses_it_is_said(capsys: pytest.CaptureFixture[str], en_locale: None,
                                                 tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text("id,has_doc,meetings,institutions\n甲,true,2,8\n乙,false,1,3\n", encoding="utf-8")
    code, _, err = run(capsys, "rank", MINI, str(units), "--on", "2023-06-01", "--no-progress", "--universe", "40")
    assert code == 0
    assert err == ("fuac: warning: --universe 40 is not used: no quota of this tier is a share of all units\n")
    code, _, err = run(capsys, "rank", MINI, str(units), "--on", "2023-06-01", "--no-progress", "--lang", "zh",
                       "--universe", "40")
    assert err == "fuac：注意：--universe 40 未被使用：本层级没有按全部单位的比例确定的名额\n"
    code, _, err = run(capsys, "rank", MINI, str(units), "--on", "2023-06-01", "--no-progress")
    assert err == ""


def test_check_counts_in_words(capsys: pytest.CaptureFixture[str], zh_locale: None) -> None:
    code, out, _ = run(capsys, "check", MINI)
    assert (code, out) == (0, f"ok  {MINI}（mini 1.0，1个层级，8个项目）\n")


# ---------------------------------------------------------------------------
# English reasons: one institution, two institutions


def test_one_and_many() -> None:
    assert en_count(1, "step") == "1 step"
    assert [en_count(n, "step") for n in (0, 2, 1.5)] == ["0 steps", "2 steps", "1.5 steps"]
    assert with_unit(1, "institutions") == ("1家", "1 institution")
    assert with_unit(2, "institutions") == ("2家", "2 institutions")
    assert with_unit(8, "institutions", noun=False) == ("8家", "8")
    assert with_unit(90, "percent", noun=False) == ("90%", "90%")  # a sign stays
    assert gap_with_unit(1, "percent") == ("1个百分点", "1 percentage point")
    assert gap_with_unit(2.5, "percent") == ("2.5个百分点", "2.5 percentage points")


@pytest.mark.parametrize(("n", "en"), [
    (7, "Registered childcare institutions in the district 7 institutions, 1 institution below 8: 1 step, 2 taken: "
        "2 points."),
    (6, "Registered childcare institutions in the district 6 institutions, 2 institutions below 8: 2 steps, 4 taken: "
        "0 points."),
    (1, "Registered childcare institutions in the district 1 institution, 7 institutions below 8: 7 steps, "
        "14 taken (down to zero): 0 points."),
    (9, "Registered childcare institutions in the district 9 institutions ≥ 8: 4 points."),
])
def test_liunan_counts_institutions_in_words(n: int, en: str) -> None:
    ev = fuac.evaluate("liunan-2023", {"registered_childcare_institutions": n}, on="2023-11-30")
    assert ev.item("14").reason_en == en


def test_liunan_counts_percentage_points_in_words() -> None:
    ev = fuac.evaluate("liunan-2023", {"policy_awareness_rate": 89, "policy_satisfaction_rate": 87.5},
                       on="2023-11-30")
    assert ev.item("35").reason_en == (
        "Public awareness rate 89%, 1 percentage point below 90%: 1 step, 0.5 taken; Public satisfaction rate 87.5%, "
        "2.5 percentage points below 90%: 3 steps, 1.5 taken: 0 points.")


def test_the_plurals_in_the_printed_table(capsys: pytest.CaptureFixture[str], en_locale: None, tmp_path: Path) -> None:
    unit = tmp_path / "unit.toml"
    unit.write_text("on = 2023-11-30\n[data]\nregistered_childcare_institutions = 7\n", encoding="utf-8")
    _, out, _ = run(capsys, "evaluate", "liunan-2023", str(unit), "--lang", "en")
    assert ("        Registered childcare institutions in the district 7 institutions, 1 institution below 8: "
            "1 step, 2 taken: 2 points.") in out.splitlines()
    assert "1 institutions" not in out and "8 institutions:" not in out
