"""The ``fuac`` command. See ``docs/cli.md``.

Exit status: 0 success; 1 a check, case or evaluation found problems; 2 the
command could not run (bad arguments, no such rule set or file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import _api
from .cases.runner import find_case_files, registered_case_files, run_file, summarize
from .errors import FuacError, InputError, RulesetError, RulesetNotFound, TierNotFound
from .language.statuses import STATUS_WORDS
from .language.toml import read_toml
from .language.words import close_names, did_you_mean, en_count, fmt_number, section_heading
from .run.files import read_json, read_json_file
from .run.inputs import as_date
from .run.results import Evaluation, ItemResult


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(0, n - width(s))


# ---------------------------------------------------------------------------
# the command's own words: help, usage errors, error lines and summaries, in the user's language
# (docs/cli.md#language). The reasons, tables and lists a command prints follow its --lang (default
# zh); what the command itself says follows --lang when it is given, else the locale.

#: what the command, its options and its arguments are for: key → (Chinese, English)
HELP: dict[str, tuple[str, str]] = {
    "fuac": ("按先进单位评估方案为各地评分。", "Score places against advanced-unit evaluation schemes."),
    "commands": ("命令", "commands"),
    "version": ("显示版本号并退出", "show the version and exit"),
    "help": ("显示本帮助并退出", "show this help and exit"),
    "ui-lang": ("命令行提示的语言：zh 中文、en 英文、both 中英文（默认：按系统语言环境）",
                "language of the command's messages: zh, en or both (default: the locale's)"),
    "lang": ("输出语言：zh 中文（默认）、en 英文、both 中英文；命令行提示也用此语言",
             "language: zh (default), en or both; the command's messages too"),
    "ruleset": ("规则集编号或规则文件路径", "rule-set id or path to a rule file"),
    "json": ("以 JSON 输出", "print JSON"),
    "on": ("适用参数的日期（YYYY-MM-DD）", "date whose parameters apply (YYYY-MM-DD)"),
    "db": ("评估记录：SQLite 文件或 postgresql:// 地址（默认：$FUAC_DB，否则为用户数据目录）",
           "the record: a SQLite file or a postgresql:// URL (default: $FUAC_DB, else the user's data folder)"),
    "list": ("列出可用的规则集", "list the rule sets available"),
    "show": ("显示规则集：基本信息、层级、部分、项目、否决项",
             "show a rule set: metadata, tiers, sections, items, vetoes"),
    "check": ("检查规则文件；有错误时退出状态为 1", "check rule files; exit 1 if any has an error"),
    "check.files": ("一个或多个规则文件", "one or more rule files"),
    "evaluate": ("按 TOML 或 JSON 输入文件（或填报表中的各单位）为一个单位评分",
                 "score one unit from a TOML or JSON input file (or the units of a workbook)"),
    "unit.input": ("输入文件（.toml、.json，或 fuac template 生成的 .xlsx 填报表）；- 表示从标准输入读取",
                   "input file (.toml, .json, or .xlsx from 'fuac template'); - reads stdin"),
    "unit.tier": ("评分的层级（district、street、village 等）", "tier to score (district, street, village …)"),
    "unit.assessor": ("采用该评估人的评分（如 self、verification）",
                      "use this assessor's entries (e.g. self, verification)"),
    "evaluate.json": ("以 JSON 输出完整结果", "print the full result as JSON"),
    "evaluate.report": ("同时生成评分表：FILE.html（可打印）、FILE.pdf（A4 分页；需安装 fuac[pdf]）或 FILE.xlsx",
                        "also write the score sheet: FILE.html (printable), FILE.pdf (A4 pages; needs the pdf extra) "
                        "or FILE.xlsx"),
    "evaluate.record": ("同时将每次评估存入评估记录（见 fuac log；需安装 fuac[serve]）",
                        "also keep each evaluation in the record of assessments (fuac log; needs fuac[serve])"),
    "evaluate.db": ("配合 --record：SQLite 文件或 postgresql:// 地址（默认：$FUAC_DB，否则为用户数据目录）",
                    "with --record: a SQLite file or a postgresql:// URL (default: $FUAC_DB, else the user's data "
                    "folder)"),
    "evaluate.by": ("配合 --record：提交人（默认：当前登录用户名）",
                    "with --record: who submitted it (default: the user's login name)"),
    "schema": ("输出规则集输入数据的 JSON Schema", "print the JSON Schema of a rule set's input"),
    "schema.tier": ("不列出仅用于其他层级的指标", "leave out indicators declared for other tiers only"),
    "diff": ("两个规则集之间的变化；--replay 给出各单位的总分和名次",
             "what changed between two rule sets; --replay shows totals and ranks"),
    "diff.a": ("规则集 A（编号或路径）", "rule set A (id or path)"),
    "diff.b": ("规则集 B（编号或路径）", "rule set B (id or path)"),
    "diff.replay": ("用两个规则集分别评分的单位输入文件", "input files of units to score with both"),
    "diff.json": ("以 JSON 输出变化（及重放结果）", "print the changes (and replay) as JSON"),
    "test": ("运行 *.test.toml 用例（默认：已登记规则集旁的用例）",
             "run *.test.toml cases (default: those beside the registered rule sets)"),
    "test.paths": ("用例文件，或在其中查找 *.test.toml 的文件夹", "case files, or folders searched for *.test.toml"),
    "test.verbose": ("同时列出通过的用例", "list passing cases too"),
    "test.mutants": ("逐一改动规则文件中的每个阈值、比较符和分值，列出没有用例能发现的改动",
                     "change each threshold, comparator and point value of the rule file in turn; "
                     "list the changes no case catches"),
    "docs": ("生成规则集（或全部规则集）的 Markdown 说明页",
             "write the Markdown page of a rule set (or of all of them)"),
    "docs.all": ("全部已登记的规则集，写入 -o 指定的文件夹", "every registered rule set, into the folder given by -o"),
    "docs.output": ("要写入的文件（配合 --all 为文件夹）；默认输出到屏幕",
                    "file (or, with --all, folder) to write; default stdout"),
    "template": ("为规则集生成填报表（.xlsx）", "write a fill-in workbook (.xlsx) for a rule set"),
    "template.output": ("要生成的填报表", "workbook to write"),
    "template.tier": ("填报表包含哪个层级的指标和项目", "tier whose indicators and items to include"),
    "template.unit": ("一个单位的填报列（可重复，添加多个单位）", "a unit's value column (repeat for several)"),
    "gaps": ("整改清单：在哪里失分，怎样挽回", "rectification list: where points were lost and what recovers them"),
    "gaps.json": ("以 JSON 输出清单", "print the list as JSON"),
    "gaps.output": ("将清单写入 FILE.xlsx 或 FILE.html（可打印），不在屏幕输出",
                    "write the list to FILE.xlsx or FILE.html (printable) instead of printing it"),
    "batch": ("为多个单位（一个表格）评分，每个单位输出一行", "score many units (a table) and write one row per unit"),
    "batch.input": ("各单位的数据：.csv、.jsonl、.xlsx、.parquet 或 .json（记录列表）",
                    "units: .csv, .jsonl, .xlsx, .parquet or .json (a list of records)"),
    "batch.encoding": ("CSV 文件的文字编码（默认自动识别：UTF-8、UTF-16、GB18030）",
                       "a CSV file's text encoding (default: detected: UTF-8, UTF-16, GB18030)"),
    "batch.sheet": ("工作簿中的工作表（默认：当前工作表，否则为含已知列的工作表）",
                    "a workbook's sheet (default: the active one, else one with known columns)"),
    "batch.tier": ("所有单位评分的层级", "tier every unit is scored at"),
    "batch.backend": ("计算方式：auto、vector（编译计算，默认），或 python（每行单独计算）",
                      "compiled (default) or the single-unit path for every row"),
    "batch.chunk-size": ("每次评分的行数", "rows scored at a time"),
    "batch.no-progress": ("不显示进度条", "no progress bar on stderr"),
    "batch.output": ("将结果逐块写入 .csv、.jsonl、.parquet 或 .xlsx",
                     "write the result rows to .csv, .jsonl, .parquet or .xlsx, chunk by chunk"),
    "batch.exact": ("分数写为精确小数（文本），而非数值", "points as exact decimals (text) instead of numbers"),
    "rank": ("为多个单位评分、排名并按名额推荐", "score many units, rank them and apply the quotas"),
    "rank.reserves": ("备选单位个数（默认：按规则集）", "how many reserves to name (default: the rule set's)"),
    "rank.universe": ("按“全部单位”的比例确定名额时的单位总数（默认：本批单位数）",
                      "the number of all units a share of all units is taken of"),
    "rank.used": ("TOML 或 JSON 文件：按名额编号，本周期或本年度已命名的单位数（按地区的名额为一个表）",
                  "TOML or JSON: by quota id, units already named this cycle or year (per region: a table)"),
    "rank.parent-sizes": ("TOML 或 JSON 文件：上级地区代码 → 其单位总数，用于依此确定的名额上限",
                          "TOML or JSON: parent-region code → its number of units, for caps that depend on it"),
    "rank.all": ("列出每个单位及其入选或未入选的原因", "list every unit with the reason it is in or out"),
    "rank.output": ("将推荐名单写入 FILE.xlsx 或 FILE.html（可打印），不在屏幕输出",
                    "write the recommended list to FILE.xlsx or FILE.html (printable) instead of printing it"),
    "titles": ("根据获奖记录给出每个单位的称号状态（持有、顺延、期满、撤销）",
               "title status (held, extended, lapsed, revoked) of every unit of a history"),
    "titles.ruleset": ("规则集编号或规则文件路径（须有 [cycle]）",
                       "rule-set id or path to a rule file (with a [cycle])"),
    "titles.history": ("获奖记录，每行一条（unit、year、level[、revoked、revoked_year、extended_until]）："
                       ".csv、.jsonl、.xlsx、.parquet 或 .json",
                       "awards, one per row (unit, year, level[, revoked, revoked_year, extended_until]): "
                       ".csv, .jsonl, .xlsx, .parquet or .json"),
    "titles.year": ("要给出称号状态的年份", "the year whose status to give"),
    "titles.import": ("将获奖、撤销和顺延记录存入记录库（全部或全不），再给出记录库中每个称号的状态",
                      "record the history's awards, revocations and extensions in the store (all or none), "
                      "then give the status of every title the store holds"),
    "titles.from-store": ("读取记录库中的称号（不读文件）", "read the titles recorded in the store (no file)"),
    "titles.db": ("记录库（默认：$FUAC_DB，否则为用户数据目录）",
                  "the store (default: $FUAC_DB, else the user's data folder)"),
    "titles.level": ("只看该级别的称号（默认：单位拥有的每个级别）",
                     "only this level's titles (default: each level a unit has)"),
    "titles.output": ("将表写入 .csv、.xlsx 或 .jsonl", "write the table to .csv, .xlsx or .jsonl"),
    "titles.json": ("以 JSON 输出表", "print the table as JSON"),
    "serve": ("在 127.0.0.1 上提供 JSON 接口，并记录每次评估",
              "serve the JSON API on 127.0.0.1, recording every assessment"),
    "serve.host": ("监听地址（默认 127.0.0.1：仅本机）", "address to listen on (default 127.0.0.1: this machine only)"),
    "serve.port": ("端口（默认 8000）", "port (default 8000)"),
    "serve.tokens": ("API 令牌文件，每行 name:token（也可用 $FUAC_TOKENS）",
                     "API tokens, name:token a line (also $FUAC_TOKENS)"),
    "serve.workers": ("工作进程数（默认 1）", "worker processes (default 1)"),
    "serve.max-body": ("请求体上限（默认 1M）", "largest request body (default 1M)"),
    "serve.max-upload": ("批量上传上限（默认 64M）", "largest batch upload (default 64M)"),
    "serve.max-seconds": ("请求开始应答前最长可用的秒数（默认 60；请求体最多停顿 30 秒）",
                          "longest a request may take before its answer starts (default 60; a body may stall 30)"),
    "serve.root-path": ("反向代理提供服务时的路径前缀", "the path prefix a reverse proxy serves it under"),
    "log": ("列出或导出已记录的评估", "list or export the recorded assessments"),
    "log.db": ("评估记录（默认：$FUAC_DB，否则为用户数据目录）",
               "the record (default: $FUAC_DB, else the user's data folder)"),
    "log.unit": ("只看该单位（代码或名称）", "only this unit (its code or its name)"),
    "log.ruleset": ("只看按该规则集编号所做的评估", "only assessments against this rule-set id"),
    "log.since": ("记录时间不早于（YYYY-MM-DD 或 ISO 时间）", "recorded on or after (YYYY-MM-DD or an ISO time)"),
    "log.until": ("记录时间不晚于（日期：含当天全天）", "recorded on or before (a date: the whole day)"),
    "log.cycle": ("只看生效日期在包含 YEAR 的周期内的评估（需配合 --ruleset）",
                  "only assessments whose date in force is in the cycle holding YEAR (needs --ruleset)"),
    "log.limit": ("最多列出条数（从最早的开始）", "at most this many (the oldest first)"),
    "log.output": ("写入 .csv、.xlsx 或 .jsonl", "write them to .csv, .xlsx or .jsonl"),
    "log.json": ("以 JSON 输出全部字段", "print them, every field, as JSON"),
}

LANGS = ("zh", "en", "both")


def locale_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale: ``zh`` when the first of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG``
    that is set (the order the C library reads them in) starts with ``zh``, else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def message_lang(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """The language the command speaks in: the last ``--lang zh|en|both`` of ``argv`` (read before
    the arguments are parsed, so that help and usage errors follow it too), else the locale's."""
    found = None
    for i, a in enumerate(argv):
        if a == "--":
            break
        value = argv[i + 1] if a == "--lang" and i + 1 < len(argv) else a.removeprefix("--lang=")
        if (a == "--lang" or a.startswith("--lang=")) and value in LANGS:
            found = value
    return found or locale_lang(environ)


def said(lang: str, zh: str, en: str, between: str = " / ") -> str:
    """A message in ``lang``: the Chinese, the English, or (``both``) the one, ``between``, the other."""
    return zh if lang == "zh" else en if lang == "en" else f"{zh}{between}{en}"


class Said(InputError):
    """A command-line error that says itself in both languages (``zh``, ``en``); its ``str`` is the English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(en)


#: argparse's own words, in Chinese
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "optional arguments": "选项",
    "positional arguments": "参数",
}

#: argparse's usage errors (Python 3.10–3.13), each a pattern of its English and its Chinese
_USAGE_ERRORS = [
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"one of the arguments (.*) is required", "参数 {0} 必须给出其中之一"),
    (r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)", "参数 {0}：无效的取值 {1}（可选：{2}）"),
    (r"argument (.*?): invalid int value: (.*)", "参数 {0}：应为整数，实际为 {1}"),
    (r"argument (.*?): invalid float value: (.*)", "参数 {0}：应为数值，实际为 {1}"),
    (r"argument (.*?): expected one argument", "参数 {0} 后面需要一个值"),
    (r"argument (.*?): expected at least one argument", "参数 {0} 后面至少需要一个值"),
    (r"argument (.*?): not allowed with argument (.*)", "参数 {0} 不能与 {1} 同时使用"),
    (r"ambiguous option: (.*?) could match (.*)", "选项 {0} 不明确，可能是 {1}"),
]


def usage_error_zh(message: str) -> str:
    """An argparse usage error in Chinese (as it is when it is none argparse gives)."""
    import re

    for pattern, zh in _USAGE_ERRORS:
        m = re.fullmatch(pattern, message)
        if m:
            return zh.format(*m.groups())
    return message


def _suggestion(message: str) -> tuple[str, str]:
    """Did you mean, for an invalid choice (a command, ``--lang``, ``--backend``): the choices close to it."""
    import ast
    import re

    m = re.fullmatch(r"argument .*?: invalid choice: (.*?) \(choose from (.*)\)", message)
    if not m:
        return "", ""
    try:
        word = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):
        return "", ""
    choices = [c.strip().strip("'") for c in m.group(2).split(",")]
    return did_you_mean(close_names(str(word), choices))


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, its own words (usage, options, arguments) in the language of ``lang``."""

    lang = "en"

    def _word(self, text: str) -> str:
        return text if self.lang == "en" else said(self.lang, _ARGPARSE_ZH.get(text, text), text)

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        if prefix is None and self.lang != "en":
            prefix = "用法：" if self.lang == "zh" else "用法 / usage: "
        super().add_usage(usage, actions, groups, prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(self._word(heading) if heading else heading)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        """The usage, its wrapped lines under the first argument however wide the Chinese before it."""
        text: str = super()._format_usage(usage, actions, groups, prefix)
        extra = width(prefix or "") - len(prefix or "")
        if not extra:
            return text
        first, *rest = text.split("\n")
        return "\n".join([first, *((" " * extra + line) if line.strip() else line for line in rest)])


class ZhHelpFormatter(HelpFormatter):
    lang = "zh"


class BothHelpFormatter(HelpFormatter):
    lang = "both"


_FORMATTERS: dict[str, type[HelpFormatter]] = {"zh": ZhHelpFormatter, "en": HelpFormatter, "both": BothHelpFormatter}


class Parser(argparse.ArgumentParser):
    """An argument parser whose help and usage errors are in ``lang``, with did you mean for a mistyped
    choice (a command, a ``--lang``)."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        self.lang = lang
        kwargs.setdefault("formatter_class", _FORMATTERS[lang])
        super().__init__(*args, **kwargs)
        for action in self._actions:  # -h, --help: argparse's, in the parser's words
            if action.dest == "help":
                action.help = self.words("help")

    def words(self, key: str) -> str:
        """The help of ``key`` in the parser's language."""
        zh, en = HELP[key]
        return said(self.lang, zh, en)

    def error(self, message: str) -> Any:  # argparse's NoReturn
        self.print_usage(sys.stderr)
        zh, en = usage_error_zh(message), message
        mean_zh, mean_en = _suggestion(message)
        if mean_zh:
            zh, en = f"{zh}。{mean_zh}", f"{en}; {mean_en}"
        text = {"zh": f"{self.prog}：错误：{zh}", "en": f"{self.prog}: error: {en}"}
        self.exit(2, "\n".join(text[k] for k in ("zh", "en") if self.lang in (k, "both")) + "\n")


# ---------------------------------------------------------------------------
# input files


def read_input(path: str) -> dict[str, Any]:
    """Read a unit's input: TOML or JSON. With a ``data`` table the file may also hold
    ``assessments``, ``context``, ``tier`` and ``on``; otherwise the whole file is data."""
    p = Path(path)
    if path == "-":  # `fuac evaluate ID -`: the unit from standard input, JSON or TOML
        doc = read_stdin()
    elif not p.is_file():
        raise Said(f"找不到输入文件 {path}", f"no input file at {path!r}")
    elif p.suffix.lower() in (".xlsx", ".xlsm"):  # a workbook from `fuac template`: one document per unit
        from .render.workbook import read_workbook_input

        return read_workbook_input(p)
    elif p.suffix.lower() == ".json":
        doc = read_json_file(p)
    else:
        try:
            doc, _, _ = read_toml(p)
        except RulesetError as exc:
            raise InputError(str(exc)) from exc
    if not isinstance(doc, dict):
        raise Said(f"{path}：输入应为一个表（TOML 表或 JSON 对象）", f"{path}: the input must be an object/table")
    return _unit_doc(path, doc)


def _unit_doc(path: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A unit's input as read: the whole of it is the data, unless it has ``data`` beside the other
    keys of :data:`INPUT_KEYS` (any other key refused, with the key it may be)."""
    if "data" not in doc:
        return {"data": doc}
    extra = [k for k in doc if k not in INPUT_KEYS]
    if extra:
        raise _unknown_keys(path, extra)
    return doc


#: the top-level keys of a unit's input file
INPUT_KEYS = ("data", "assessments", "context", "tier", "on", "assessor")


def _unknown_keys(path: str, extra: list[str]) -> Said:
    """An input file's top-level keys that fuac does not know, each with the key it may be."""
    zh, en = [], []
    for key in extra:
        mean_zh, mean_en = did_you_mean(close_names(str(key), INPUT_KEYS, 1))
        zh.append(f"“{key}”" + (f"（{mean_zh}）" if mean_zh else ""))
        en.append(repr(key) + (f" ({mean_en})" if mean_en else ""))
    return Said(f"{path}：未知的顶层键 {'、'.join(zh)}；可用的键：{'、'.join(INPUT_KEYS)}",
                f"{path}: unknown top-level key(s) {', '.join(en)}; allowed: {', '.join(INPUT_KEYS)}")


#: the files of a table of units, which ``fuac batch`` and ``fuac rank`` read (not one unit's input)
TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".pq")


def refuse_table(args: argparse.Namespace) -> None:
    """``fuac evaluate ID units.csv``: a table of units, which ``fuac batch`` scores, in one line, before
    it is read as TOML."""
    if Path(args.input).suffix.lower() in TABLE_SUFFIXES:
        cmd = f"fuac batch {args.ruleset} {args.input}"
        raise Said(f"{args.input} 是多个单位的表格，请用 {cmd} 评分（fuac {args.command} 只读一个单位的 .toml、.json "
                   "文件或 fuac template 生成的 .xlsx 填报表）",
                   f"{args.input} is a table of units: score it with {cmd} (fuac {args.command} reads one unit's "
                   ".toml or .json file, or an .xlsx workbook from fuac template)")


def read_stdin() -> Any:
    """A unit's input from standard input: JSON when it starts with ``{``, else TOML."""
    raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise Said("<stdin>：没有输入，请以 JSON 或 TOML 给出单位的数据",
                   "<stdin>: no input; give the unit as JSON or TOML")
    if raw.lstrip()[:1] in (b"{", b"["):
        return read_json(raw, "<stdin>")
    try:
        doc, _, _ = read_toml(text=raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Said("<stdin>：不是 UTF-8 文本", "<stdin>: not UTF-8 text") from None
    except RulesetError as exc:
        raise InputError(str(exc).replace("<string>", "<stdin>")) from exc
    return doc


# ---------------------------------------------------------------------------
# rendering


def _evaluation_head(ev: Evaluation, zh: bool, unit: str | None) -> str:
    """The first line: rule set, version and title, the unit before it, the tier after it."""
    title = ev.title
    head = f"{ev.ruleset_id} {ev.ruleset_version}"
    if title is not None:
        head += f" — {title.zh if zh else title.en}"
    if unit:
        head = f"{unit}: {head}"
    if ev.tier:
        head += f"  [{ev.tier}]"
    return head


def _render_section(sec: Any, ev: Evaluation, zh: bool, en: bool, out: TextIO) -> None:
    """One section: its name with its points (or how many are met), then its items."""
    points = sec.scoring == "points"
    name = section_heading(sec.number, sec.title.zh if zh else sec.title.en)
    if points:
        right = f"{fmt_number(ev.reported(sec.points))}/{fmt_number(sec.max)}"
    else:
        n = len(sec.counted)
        right = f"{sec.met}/{n} {'已落实' if zh else 'met'}"
    print(f"\n{pad(name, 70)} {right}", file=out)
    for it in sec.items:
        _render_item(it, ev, zh, en, points, out)


def _render_total(ev: Evaluation, zh: bool, out: TextIO) -> None:
    """The total (and the points by judgement), or how many requirements are met."""
    if ev.scheme_kind == "points":
        flag = "" if ev.complete else ("（未完成评分）" if zh else " (incomplete)")
        print(
            f"{'合计' if zh else 'Total'}: {fmt_number(ev.reported_total)}/{fmt_number(ev.max_total)}{flag}", file=out
        )
        if ev.judgement_points:
            print(f"  {'其中酌情评分' if zh else 'of which by judgement'}: {fmt_number(ev.judgement_points)}", file=out)
    else:
        done = sum(1 for i in ev.counted if i.met)
        total = len(ev.counted)
        print(f"{'完成' if zh else 'Completed'}: {done}/{total}", file=out)


def _said(zh_text: str, en_text: str, zh: bool, en: bool, between: str = "\n    ", after: str = "") -> str:
    """A line in the language asked for; with both, the Chinese, ``between``, the English and ``after``
    (by default the English on a line of its own)."""
    if zh and en:
        return f"{zh_text}{between}{en_text}{after}"
    return zh_text if zh else en_text


def _render_conditions(ev: Evaluation, zh: bool, out: TextIO, en: bool = False) -> None:
    """The eligibility conditions and vetoes, then the verdict: eligible or not, vetoed, grade (with
    ``--lang both``, each line in Chinese and then in English)."""
    for c in ev.eligibility:
        state = {True: "✓", False: "✗", None: "?"}[c.holds]
        print(f"{state} {_said(c.reason_zh, c.reason_en, zh, en)}", file=out)
    for v in ev.vetoes:
        state = {True: "✗", False: "✓", None: "?"}[v.holds]
        print(f"{state} [{v.scope}] {_said(v.reason_zh, v.reason_en, zh, en)}", file=out)
    if ev.eligibility or any(v.scope == "eligibility" for v in ev.vetoes):
        word = {
            True: ("具备申报资格", "eligible"),
            False: ("不具备申报资格", "not eligible"),
            None: ("资格待定", "eligibility undecided"),
        }[ev.eligible]
        print(_said(*word, zh, en, " / "), file=out)
    if ev.vetoed:
        print(_said("一票否决", "VETOED", zh, en, " / "), file=out)
    if ev.grade is not None:
        print(_said(f"等次: {ev.grade.zh}", f"Grade: {ev.grade.en}", zh, en, " / "), file=out)


def _render_problems(ev: Evaluation, zh: bool, out: TextIO, en: bool = False) -> None:
    """The input problems, errors first, each with the rules that need the input."""
    errors = [p for p in ev.problems if p.severity == "error"]
    warnings = [p for p in ev.problems if p.severity != "error"]
    if errors or warnings:
        print(f"\n{_said('输入问题', 'Input problems', zh, en, ' / ')}:", file=out)
        for p in errors + warnings:
            msg = _said(p.message_zh, p.message, zh, en, "（", "）")
            need = f" ← {', '.join(p.rules)}" if p.rules else ""
            print(f"  [{p.severity}] {p.field}: {msg}{need}", file=out)


def render_evaluation(ev: Evaluation, lang: str, out: TextIO, *, unit: str | None = None) -> None:
    zh = lang in ("zh", "both")
    en = lang in ("en", "both")
    head = _evaluation_head(ev, zh, unit)
    print(head, file=out)
    print("=" * min(100, width(head)), file=out)
    for sec in ev.sections:
        _render_section(sec, ev, zh, en, out)
    print("", file=out)
    _render_total(ev, zh, out)
    _render_conditions(ev, zh, out, en)
    _render_problems(ev, zh, out, en)


def _render_item(it: ItemResult, ev: Evaluation, zh: bool, en: bool, points: bool, out: TextIO) -> None:
    num = it.number or it.id
    if it.is_veto:
        right = {True: "✓", False: "✗", None: "?"}[it.met]
    elif points:
        score = "—" if it.points is None else fmt_number(ev.reported(it.points))
        right = score if it.max is None else f"{score}/{fmt_number(it.max)}"  # an uncapped bonus has none
    else:
        right = {True: "✓", False: "✗", None: "?"}[it.met]
    status = STATUS_WORDS.get(it.status, (it.status, it.status))
    if it.is_veto and it.status == "scored":
        status = ("未触发否决", "no veto")
    label = ""
    if it.label is not None:
        label = it.label.zh if zh else it.label.en
    print(f"  {pad(str(num), 6)}{pad(right, 9)}{pad(status[0] if zh else status[1], 14)}{label}", file=out)
    if zh:
        print(f"        {it.reason_zh}", file=out)
    if en:
        print(f"        {it.reason_en}", file=out)


# ---------------------------------------------------------------------------
# commands


def cmd_list(args: argparse.Namespace) -> int:
    import warnings

    from .plan.engine import PluginWarning

    with warnings.catch_warnings():  # said below, once each, in one line
        warnings.simplefilter("ignore", PluginWarning)
        eng = _api.get_engine()
    loaded, failed = eng.load_each()
    for line in [*eng.warnings, *failed]:  # a broken plugin is named; the others are listed
        print(f"fuac: warning: {line}", file=sys.stderr)
    rows = []
    for rid, rs in loaded.items():
        tiers = ",".join(t for t in rs.tiers if t) or "-"
        rows.append((rid, rs.version, rs.scheme_kind, tiers, f"{rs.title.zh}  ({eng.sources[rid].owner})"))
    widths = [max((width(r[i]) for r in rows), default=0) for i in range(4)]
    for r in rows:
        print(" ".join(pad(c, w) for c, w in zip(r[:4], widths, strict=True)) + " " + r[4])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    rs = _api.load(args.ruleset)
    m = rs.meta
    print(f"{m.id} {m.version}  ({m.kind})")
    print(f"  {m.title.zh}\n  {m.title.en}")
    print(f"  issuer: {m.issuer.zh} / {m.issuer.en}")
    if m.document_number:
        print(f"  document: {m.document_number}, issued {m.issued}")
    print(f"  valid: {m.valid_from} – {m.valid_until or 'open'}")
    for j in m.jurisdiction:
        print(f"  jurisdiction: {j.code} ({j.level}){' ' + j.name.zh if j.name else ''}")
    print(f"  content hash: {rs.content_hash}")
    for tier in rs.tiers:
        plan = rs.plan(tier)
        total = f" total {fmt_number(plan.total)}" if plan.total is not None else ""
        print(f"\n[{tier or 'all units'}]{total}")
        for sec in plan.sections:
            smax = f" ({fmt_number(sec.max)})" if sec.max is not None else ""
            print(f"  {sec.number or sec.id} {sec.title.zh}{smax}")
            for it in sec.items:
                kind = "parts" if it.parts else (it.rule.kind if it.rule else "")
                imax = fmt_number(it.max) if it.max is not None else "-"
                text = (it.label.zh if it.label else (it.clause or ""))[:60]
                print(f"    {pad(it.number or it.id, 6)} {pad(imax, 5)} {pad(kind, 16)} {text}")
        for c in plan.eligibility:
            print(f"  eligibility {c.cond.id}: {c.cond.label.zh}")
        for c in plan.vetoes:
            print(f"  veto {c.cond.id} [{c.cond.scope}]: {c.cond.label.zh}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    bad = 0
    for f in args.files:
        try:
            rs = _api.load(Path(f))
        except RulesetError as exc:
            bad += 1
            for p in exc.problems or [exc]:
                print(str(p), file=sys.stderr)
            continue
        except FuacError as exc:
            bad += 1
            print(f"{f}: {exc}", file=sys.stderr)
            continue
        n = sum(len(p.items) for p in rs.plans.values())
        tiers, items = len(rs.plans), n
        print(said(args.ui, f"ok  {f}（{rs.id} {rs.version}，{tiers}个层级，{items}个项目）",
                   f"ok  {f}  ({rs.id} {rs.version}, {en_count(tiers, 'tier')}, {en_count(items, 'item')})", "\n"))
    return 1 if bad else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.record:
        from .serve import require

        require("store", "fuac evaluate --record")
    units: list[dict[str, Any]] = []
    evs = evaluate_input(args, units)
    if args.record:
        _record_evaluations(args, evs, units)
    if args.json:
        out = [ev.to_dict() for ev in evs]
        json.dump(out[0] if len(out) == 1 else out, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for n, ev in enumerate(evs):
            if n:
                print()
            render_evaluation(ev, args.lang, sys.stdout, unit=ev.context.get("name"))
    if getattr(args, "report", None):
        from .render.report import write_report

        write_report(evs, args.report, lang=args.lang, ruleset=args.ruleset)
        print(f"评分表 / score sheet: {args.report}", file=sys.stderr if args.json else sys.stdout)
    return 1 if any(p.severity == "error" for ev in evs for p in ev.problems) else 0


# ---------------------------------------------------------------------------
# the assessor's workflow: workbooks, score sheets, rectification lists (docs/reports.md)


def _record_evaluations(args: argparse.Namespace, evs: list[Evaluation], units: list[dict[str, Any]]) -> None:
    """``fuac evaluate --record``: each evaluation in the record of assessments, as the service
    records one (docs/service.md), in one transaction; the ids on standard error."""
    from .serve.store import Store, StoreError, assessment_row
    from .serve.titles import _user

    by = args.by or _user()
    rows: list[Mapping[str, Any]] = [
        assessment_row(ev, data=u["data"], entries=u.get("assessments"), assessor=args.assessor or u.get("assessor"),
                       submitted_by=by, source="cli")
        for ev, u in zip(evs, units, strict=True)]
    store = Store(args.db)
    try:
        ids = store.add_many(rows)
    except StoreError as exc:
        raise Said(f"未记录任何评估：{exc}", f"nothing was recorded: {exc}") from None
    finally:
        store.close()
    print(f"记录 / recorded: assessment {', '.join(str(i) for i in ids)} in {store.where}",
          file=sys.stderr if args.json else sys.stdout)


def evaluate_input(args: argparse.Namespace, units: list[dict[str, Any]] | None = None) -> list[Evaluation]:
    """Score every unit of ``args.input`` (a workbook may hold several, side by side); ``units``,
    when given, gets each unit read."""
    refuse_table(args)
    doc = read_input(args.input)
    meta = doc.get("_meta") or {}
    for p in doc.get("_problems") or []:
        said = {"zh": p.message_zh, "en": p.message}.get(args.lang, f"{p.message_zh}（{p.message}）")
        print(f"fuac: [{p.severity}] {said}", file=sys.stderr)
    evs = []
    for unit in doc.get("units") or [doc]:
        ev = _evaluate_doc(args, unit)
        if meta.get("ruleset") and meta["ruleset"] != ev.ruleset_id:
            print(said(args.ui, f"fuac：注意：{args.input} 是为规则集 {meta['ruleset']} 制作的，"
                                f"现按 {ev.ruleset_id} 评分",
                       f"fuac: warning: {args.input} was made for rule set {meta['ruleset']!r}, "
                       f"scored against {ev.ruleset_id!r}", "\n"), file=sys.stderr)
        if unit.get("_cells"):
            from .render.workbook import annotate

            annotate(ev, unit["_cells"])
        evs.append(ev)
        if units is not None:
            units.append(unit)
    return evs


def _evaluate_doc(args: argparse.Namespace, doc: dict[str, Any]) -> Evaluation:
    context = dict(doc.get("context") or {})
    on = args.on or doc.get("on")
    rs = _api.load(args.ruleset)
    tier = args.tier or doc.get("tier")
    check_tier(rs, tier, "--tier" if args.tier else f"{args.input}: tier")
    return _api.evaluate(
        rs,
        doc["data"],
        tier=tier,
        context=context,
        assessments=doc.get("assessments"),
        assessor=args.assessor or doc.get("assessor"),
        on=_date(on, "--on" if args.on else f"{args.input}: on"),
    )


def _date(value: Any, where: str) -> Any:
    """``--on`` (or a file's ``on``) as a date; a text that is none refused in both languages."""
    try:
        return as_date(value) if value is not None else None
    except InputError as exc:
        raise Said(f"{where} 应为日期，格式为 年-月-日（如 2023-11-30），实际为 {value!s:.40}", str(exc)) from None


def _tiers(rs: Any) -> list[Any]:
    """The tiers a rule set scores at, as its file declares them (id and label)."""
    return [t for t in rs.doc.tiers if t.id in rs.plans]


def _tier_words(tiers: list[Any]) -> tuple[str, str]:
    """Tiers, each with its label: ``district（区）、street（街(乡)）`` / ``district (District), …``."""
    return "、".join(f"{t.id}（{t.label.zh}）" for t in tiers), ", ".join(f"{t.id} ({t.label.en})" for t in tiers)


def _tier_meant(tiers: list[Any], given: str) -> tuple[str, str]:
    """Did you mean, for a tier that is none: the tiers whose id or label (Chinese or English) is close."""
    names = {name: t for t in tiers for name in (t.id, t.label.zh, t.label.en)}
    close = list({id(names[n]): names[n] for n in close_names(given, names, 3)}.values())
    zh = did_you_mean(f"{t.id}（{t.label.zh}）" for t in close)[0]
    en = did_you_mean(f"{t.id} ({t.label.en})" for t in close)[1]
    return zh, _sentence(en)


def _sentence(text: str) -> str:
    """``did you mean x?`` as a sentence of its own, followed by a space (nothing for no text)."""
    return f"{text[:1].upper()}{text[1:]} " if text else ""


def check_tier(rs: Any, tier: str | None, where: str = "--tier") -> None:
    """The tier a command is to score at, refused before anything is read when the rule set has no such
    tier (with the tier it may be, by id or label) or has several and none is given (``--tier``)."""
    if tier in rs.plans or (tier is None and (None in rs.plans or len(rs.plans) == 1)):
        return
    tiers = _tiers(rs)
    zh_tiers, en_tiers = _tier_words(tiers)
    if tier is None:
        raise Said(f"规则集 {rs.id} 分为多个层级，请用 --tier 指定：{zh_tiers}",
                   f"rule set {rs.id!r} has several tiers: give one with --tier: {en_tiers}")
    if not tiers:
        raise Said(f"{where}：规则集 {rs.id} 不分层级，无需指定层级（{tier}）",
                   f"{where}: rule set {rs.id!r} has no tiers: give none (not {tier!r})")
    mean_zh, mean_en = _tier_meant(tiers, str(tier))
    raise Said(f"{where}：规则集 {rs.id} 没有层级 {tier}。{mean_zh}层级：{zh_tiers}",
               f"{where}: rule set {rs.id!r} has no tier {tier!r}. {mean_en}Tiers: {en_tiers}")


def cmd_template(args: argparse.Namespace) -> int:
    from .render.workbook import write_template

    if not args.output.lower().endswith(".xlsx"):
        raise Said(f"-o：{args.output} 应以 .xlsx 结尾", f"-o: {args.output!r} must end in .xlsx")
    write_template(args.ruleset, args.output, tier=args.tier, units=args.unit or ())
    print(f"填报表 / fill-in workbook: {args.output}")  # a file written: named in both languages, always
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    if args.output:
        from .render.lists import check_list_output

        check_list_output(args.output, "the rectification list")  # before anything is scored
    refuse_table(args)
    doc = read_input(args.input)
    rs = _api.load(args.ruleset)
    results = []
    bad = False
    for unit in doc.get("units") or [doc]:
        ev = _evaluate_doc(args, unit)
        if unit.get("_cells"):
            from .render.workbook import annotate

            annotate(ev, unit["_cells"])
        bad = bad or any(p.severity == "error" for p in ev.problems)
        gs = ev.gaps(
            rs, data=unit["data"], assessments=unit.get("assessments"), assessor=args.assessor or unit.get("assessor")
        )
        results.append(gs)
    if args.output:
        from .render.lists import write_gaps

        write_gaps(results, args.output, lang=args.lang)
        print(f"整改清单 / rectification list: {args.output}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        out = [g.to_dict() for g in results]
        json.dump(out[0] if len(out) == 1 else out, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif not args.output:
        for n, gs in enumerate(results):
            if n:
                print()
            sys.stdout.write(gs.render(args.lang))
    return 1 if bad else 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.tier is not None:  # a filter: none is every tier's indicators, a mistyped one is refused
        check_tier(_api.load(args.ruleset), args.tier)
    json.dump(_api.input_schema(args.ruleset, tier=args.tier), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


# ---------------------------------------------------------------------------
# the service and its record of assessments (docs/service.md)


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import require

    require("app", "fuac serve")
    from .serve.run import serve

    return serve(host=args.host, port=args.port, db=args.db, tokens=args.tokens, workers=args.workers,
                 max_body=args.max_body, max_upload=args.max_upload, max_seconds=args.max_seconds,
                 root_path=args.root_path)


def cmd_log(args: argparse.Namespace) -> int:
    from .serve import require

    require("store", "fuac log")
    from .serve import exact
    from .serve.export import check_output, write_log
    from .serve.store import Filter, Store, database_url, moment

    if args.output:
        check_output(args.output)
    try:
        flt = Filter(unit=args.unit, ruleset=args.ruleset, since=moment(args.since, "--since"),
                     until=moment(args.until, "--until", end=True), limit=args.limit)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    url = database_url(args.db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        where = url.removeprefix("sqlite:///")
        raise Said(f"{where} 处没有评估记录（由 fuac serve 建立；可用 --db 或 $FUAC_DB 指定其他记录）",
                   f"no record of assessments at {where} (`fuac serve` makes it; --db or $FUAC_DB names another)")
    span = _log_cycle(args)
    store = Store(url)
    try:
        full = args.json or Path(args.output or "").suffix.lower() in (".jsonl", ".ndjson")
        records = store.find(flt, full=full)
    finally:
        store.close()
    if span is not None:  # the assessments whose date in force is in that cycle
        records = [r for r in records if span[0] <= int(r["on"][:4]) <= span[1]]
    if args.output:
        n = write_log(records, args.output)
        print(said(args.ui, f"{n:,} 条评估 → {args.output}", f"{n:,} assessment(s) → {args.output}"))
    elif args.json:
        print(exact.dumps(records))
    else:
        for r in records:
            unit = r["unit"]["name"] or r["unit"]["code"] or "—"
            revises = f"  revises {r['revises']}" if r["revises"] else ""
            print(f"{r['id']:>6}  {r['recorded_at'][:19].replace('T', ' ')}  {pad(unit, 24)} "
                  f"{r['ruleset']['id']} {r['ruleset']['version']}  {r['tier'] or '-'}  "
                  f"{r['total'] or '—'}  {r['submitted_by']}{revises}")
        print(said(args.ui, f"共 {len(records):,} 条评估", f"{len(records):,} assessment(s)"), file=sys.stderr)
    return 0


def _log_cycle(args: argparse.Namespace) -> tuple[int, int] | None:
    """``fuac log --cycle YEAR``: the first and last year of the rule set's cycle holding YEAR."""
    if args.cycle is None:
        return None
    if not args.ruleset:
        raise Said("--cycle 需要配合 --ruleset：周期包含哪些年份由规则集的 [cycle] 规定",
                   "--cycle needs --ruleset: the rule set's [cycle] says which years a cycle holds")
    from .decide.lifecycle import cycle_of

    try:
        span = cycle_of(args.ruleset, args.cycle)
    except (ValueError, FuacError) as exc:
        raise InputError(f"--cycle {args.cycle}: {exc}") from None
    return span.first_year, span.last_year


def _service_parser(sub: Any, lang: str) -> None:
    s = _command(sub, "serve", lang)
    w = s.words
    s.add_argument("--host", default="127.0.0.1", help=w("serve.host"))
    s.add_argument("--port", type=int, default=8000, help=w("serve.port"))
    s.add_argument("--db", metavar="URL", help=w("db"))
    s.add_argument("--tokens", metavar="FILE", help=w("serve.tokens"))
    s.add_argument("--workers", type=int, default=1, help=w("serve.workers"))
    s.add_argument("--max-body", metavar="SIZE", help=w("serve.max-body"))
    s.add_argument("--max-upload", metavar="SIZE", help=w("serve.max-upload"))
    s.add_argument("--max-seconds", type=float, metavar="S", help=w("serve.max-seconds"))
    s.add_argument("--root-path", metavar="PATH", default="", help=w("serve.root-path"))
    s.set_defaults(func=cmd_serve)

    s = _command(sub, "log", lang)
    w = s.words
    s.add_argument("--db", metavar="URL", help=w("log.db"))
    s.add_argument("--unit", help=w("log.unit"))
    s.add_argument("--ruleset", help=w("log.ruleset"))
    s.add_argument("--since", metavar="DATE", help=w("log.since"))
    s.add_argument("--until", metavar="DATE", help=w("log.until"))
    s.add_argument("--cycle", type=int, metavar="YEAR", help=w("log.cycle"))
    s.add_argument("--limit", type=int, help=w("log.limit"))
    s.add_argument("-o", "--output", metavar="FILE", help=w("log.output"))
    s.add_argument("--json", action="store_true", help=w("log.json"))
    s.set_defaults(func=cmd_log)


def cmd_test(args: argparse.Namespace) -> int:
    files = find_case_files(args.paths) if args.paths else registered_case_files()
    if not files:
        print(said(args.ui, "没有找到 *.test.toml 用例文件", "no *.test.toml files found"), file=sys.stderr)
        return 1
    if args.mutants:
        return _test_mutants(files)
    results = {}
    unreadable = 0
    for f in files:
        try:
            results[str(f)] = run_file(f)
        except FuacError as exc:  # report it, and go on with the other files
            print(f"ERROR {f}: {exc}", file=sys.stderr)
            unreadable += 1
    for rs in results.values():
        for r in rs:
            if not r.passed or args.verbose:
                print(r)
    passed, failed = summarize(results)
    print(_test_summary(args.ui, passed, failed, unreadable))
    return 1 if failed or unreadable else 0


def _test_summary(lang: str, passed: int, failed: int, unreadable: int) -> str:
    """``5 passed, 0 failed`` (and the case files that could not be read), in ``lang``."""
    zh, en = f"通过 {passed} 个，失败 {failed} 个", f"{passed} passed, {failed} failed"
    if unreadable:
        zh, en = f"{zh}，{unreadable} 个文件无法读取", f"{en}, {unreadable} file(s) unreadable"
    return said(lang, zh, en)


def _test_mutants(files: list[Path]) -> int:
    """``fuac test --mutants``: the changes of each rule file that no case of its case file catches."""
    from .cases.mutants import check_mutants

    survived = unreadable = 0
    for f in files:
        try:
            report = check_mutants(f)
        except FuacError as exc:
            print(f"ERROR {f}: {exc}", file=sys.stderr)
            unreadable += 1
            continue
        print("\n".join(report.lines()))
        survived += len(report.survived)
    return 1 if survived or unreadable else 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Write the Markdown page of one rule set, or of every registered one (``--all``)."""
    from .render.docgen import index_page, ruleset_page

    if args.all == (args.ruleset is not None):
        print(said(args.ui, "fuac docs：请给出一个规则集或 --all（二者只选其一）",
                   "fuac docs: give a rule set or --all (not both)", "\n"), file=sys.stderr)
        return 2
    if not args.all:
        page = ruleset_page(_api.load(args.ruleset))
        if args.output is None:
            sys.stdout.write(page)
        else:
            Path(args.output).write_text(page, encoding="utf-8", newline="\n")
        return 0
    if args.output is None:
        print(said(args.ui, "fuac docs --all：请用 -o DIR 指定写入的文件夹",
                   "fuac docs --all: give the folder to write to with -o DIR", "\n"), file=sys.stderr)
        return 2
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    loaded, bad = [], 0
    for rid in _api.rulesets():
        try:
            rs = _api.load(rid)
        except FuacError as exc:
            bad += 1
            for p in getattr(exc, "problems", None) or [exc]:
                print(str(p), file=sys.stderr)
            continue
        (folder / f"{rid}.md").write_text(ruleset_page(rs), encoding="utf-8", newline="\n")
        print(said(args.ui, f"已写入 {folder / f'{rid}.md'}", f"wrote {folder / f'{rid}.md'}"))
        loaded.append(rs)
    (folder / "index.md").write_text(index_page(loaded), encoding="utf-8", newline="\n")
    print(said(args.ui, f"已写入 {folder / 'index.md'}", f"wrote {folder / 'index.md'}"))
    return 1 if bad else 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .explain.diff import diff, replay

    a, b = _api.load(args.a), _api.load(args.b)
    changes = diff(a, b)
    units = [u for f in args.replay or [] for u in read_units(f)]
    rows = replay(a, b, units) if units else []
    if args.json:
        out = {
            "a": {"id": a.id, "version": a.version, "content_hash": a.content_hash},
            "b": {"id": b.id, "version": b.version, "content_hash": b.content_hash},
            "changes": [c.to_dict() for c in changes],
            "replay": [
                {
                    "name": r.name,
                    "total_a": _str(r.total_a),
                    "total_b": _str(r.total_b),
                    "delta": _str(r.delta),
                    "rank_a": r.rank_a,
                    "rank_b": r.rank_b,
                }
                for r in rows
            ],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{a.id} {a.version}  →  {b.id} {b.version}")
    marks = {"added": "+", "removed": "-", "replaced": "↔", "changed": "~"}
    for c in changes:
        print(f"{marks[c.action]} {c.describe()}")
        if c.clause_a is not None or c.clause_b is not None:
            if c.clause_a is not None:
                print(f"    A: {c.clause_a}")
            if c.clause_b is not None:
                print(f"    B: {c.clause_b}")
    print(f"{len(changes)} change(s)")
    if rows:
        print()
        print(f"{pad('unit', 24)} {pad('A', 8)} {pad('B', 8)} {pad('Δ', 8)} rank A → B")
        for r in rows:
            d = r.delta
            ds = "—" if d is None else (("+" if d > 0 else "") + fmt_number(d))
            print(
                f"{pad(r.name, 24)} {pad(fmt_number(r.total_a), 8)} {pad(fmt_number(r.total_b), 8)} "
                f"{pad(ds, 8)} {r.rank_a} → {r.rank_b}"
            )
    return 0


def _str(v: Any) -> Any:
    return None if v is None else fmt_number(v)


def read_units(path: str) -> list[dict[str, Any]]:
    """Units from an input file: one unit (as for ``evaluate``), or ``[[units]]`` with name and data."""
    p = Path(path)
    if p.suffix.lower() in (".toml", ".json") and p.is_file():
        try:
            raw = read_json_file(p) if p.suffix.lower() == ".json" else read_toml(p)[0]
        except (ValueError, RulesetError) as exc:
            raise InputError(f"{path}: {exc}") from exc
        if isinstance(raw, dict) and "units" in raw:
            units = raw["units"]
            if not isinstance(units, list) or not all(isinstance(u, dict) and "data" in u for u in units):
                raise Said(f"{path}：units 应为表的列表，每个表都有 data",
                           f"{path}: 'units' must be a list of tables, each with 'data'")
            return units
    doc = read_input(path)
    doc.setdefault("name", (doc.get("context") or {}).get("name") or p.stem)
    return [doc]


# ---------------------------------------------------------------------------
# batches: fuac batch, fuac rank (see docs/batch.md)


class Progress:
    """A plain-text progress bar on stderr, shown only once a batch has run for ``delay`` seconds."""

    def __init__(self, stream: TextIO | None = None, *, delay: float = 1.0, clock: Any = None,
                 enabled: bool = True) -> None:
        import time

        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock or time.monotonic
        self.start = self.clock()
        self.delay = delay
        self.enabled = enabled
        self.shown = False
        self.last = -1.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int | None) -> None:
        now = self.clock()
        elapsed = now - self.start
        if not self.enabled or elapsed < self.delay:
            return
        if not self.tty and self.shown and now - self.last < 5 and done != total:
            return  # a log, not a terminal: a line every few seconds
        self.last = now
        self.shown = True
        rate = done / elapsed if elapsed > 0 else 0.0
        if total:
            k = int(30 * done / total)
            line = f"[{'#' * k}{'.' * (30 - k)}] {100 * done // total:3d}% {done:,}/{total:,} rows"
        else:
            line = f"{done:,} rows"
        line += f"  {elapsed:.1f} s  {rate:,.0f} rows/s"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _input_file(args: argparse.Namespace) -> Any:
    """The units' file of ``batch`` and ``rank``, with how to read it (``--encoding``, ``--sheet``)."""
    from .run.batch.sources import InputFile

    return InputFile(args.input, encoding=args.encoding, sheet=args.sheet)


def _batch_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kw: dict[str, Any] = {"tier": args.tier, "on": args.on, "backend": args.backend}
    if args.chunk_size:
        kw["chunk_size"] = args.chunk_size
    return kw


def _write_rows(res: Any, path: str, first: bool, state: dict[str, Any], *, exact: bool = False) -> None:
    """Append one chunk of result rows to ``path`` (.csv, .jsonl or .parquet): ``render.tables``."""
    from .render.tables import write_batch_rows

    write_batch_rows(res, path, first, state, exact=exact)


#: kinds of problem ``batch`` and ``rank`` list, the most common first
TOP_PROBLEMS = 5


def _render_problem_tally(tally: Any, lang: str, per: tuple[str, str]) -> None:
    """The most common kinds of input problem: ``field: message × count``, the message the first row's
    (``per``: what is counted, in Chinese and English: rows, units)."""
    groups = tally.most_common()
    if not groups:
        return
    zh, en = lang in ("zh", "both"), lang in ("en", "both")
    head = (f"最常见的输入问题（每种举一例，× {per[0]}）：" if zh
            else f"Most common input problems (one example of each, × {per[1]}):")
    print(head)
    for c in groups[:TOP_PROBLEMS]:
        first = f"（首见第 {c.first:,} 条记录）" if zh else f" (first in record {c.first:,})"
        print(f"  {c.field}: {c.example.message_zh if zh else c.example.message} × {c.rows:,}{first}")
        if zh and en:
            print(f"    {c.example.message} (first in record {c.first:,})")
    more = len(groups) - TOP_PROBLEMS
    if more > 0:
        print(f"  …另有 {more} 种问题" if zh else f"  … and {more} more kinds of problem")


def cmd_batch(args: argparse.Namespace) -> int:
    from .render.tables import check_batch_output
    from .run.batch.results import ProblemTally
    from .run.batch.runner import evaluate_chunks

    if args.output:
        check_batch_output(args.output)  # before anything is read or scored
    rs = _api.load(args.ruleset)
    check_tier(rs, args.tier)
    progress = Progress(enabled=not args.no_progress)
    counts: dict[str, int] = {}
    report: dict[str, Any] = {}
    rows = 0
    state: dict[str, Any] = {}
    tally = ProblemTally()
    try:
        for k, res in enumerate(evaluate_chunks(rs, _input_file(args), progress=progress,
                                                **_batch_kwargs(args))):
            for st, c in res.status_counts().items():
                counts[st] = counts.get(st, 0) + c
            rows += len(res)
            report = res.backend_report
            tally.add(res)
            if args.output:
                _write_rows(res, args.output, k == 0, state, exact=args.exact)
    finally:
        progress.close()
        if "writer" in state:
            state["writer"].close()
    summary = {"rows": rows, "statuses": counts, "backend": report.get("backend"),
               "fallback": report.get("fallback", {}), "output": args.output,
               "problems": [c.to_dict() for c in tally.most_common()]}
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    else:
        print(f"{rows:,} rows" + (f" → {args.output}" if args.output else ""))
        for st, c in sorted(counts.items()):
            zh, en = STATUS_WORDS.get(st, (st, st))
            word = {"zh": zh, "en": en}.get(args.lang, f"{zh} {en}")
            print(f"  {pad(word, 14 if args.lang != 'both' else 30)} {c:,}")
        for key, why in (report.get("fallback") or {}).items():
            print(f"  single-unit path: {key}: {why}")
        _render_problem_tally(tally, args.lang, ("行数", "rows"))
    return 1 if counts.get("invalid_input") else 0


def _read_mapping(path: str, option: str) -> dict[str, Any]:
    """A mapping given to ``fuac rank`` in a TOML or JSON file (``--used``, ``--parent-sizes``)."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        raise Said(f"{path}：{option} 只接受 TOML 或 JSON 文件", f"{path}: {option} takes a TOML or JSON file")
    found: dict[str, Any] = read_input(path)["data"]  # read as a unit's data: errors name the file
    return found


def _rank_mappings(args: argparse.Namespace, rs: Any, tier: str | None) -> tuple[Any, Any]:
    """``--used`` and ``--parent-sizes`` read and both checked against the rule set, before the batch is scored."""
    from .decide.select import check_parent_sizes, check_used

    used = _read_mapping(args.used, "--used") if args.used else None
    sizes = _read_mapping(args.parent_sizes, "--parent-sizes") if args.parent_sizes else None
    for path, given, check in ((args.used, used, check_used), (args.parent_sizes, sizes, check_parent_sizes)):
        if given is not None:
            try:
                check(rs, tier, given)
            except (KeyError, ValueError) as exc:
                raise InputError(f"{path}: {exc.args[0]}") from exc
    return used, sizes


def _rank_selection(args: argparse.Namespace, rs: Any, used: Any, sizes: Any) -> tuple[Any, Any]:
    """Score the batch (with a progress bar) and apply the quotas: the batch's results and the selection."""
    from .run.batch.runner import evaluate_many

    progress = Progress(enabled=not args.no_progress)
    try:
        res = evaluate_many(rs, _input_file(args), progress=progress, **_batch_kwargs(args))
    finally:
        progress.close()
    try:
        sel = res.select(reserves=args.reserves, universe=args.universe, used=used, parent_sizes=sizes)
    except ValueError as exc:  # sizes that contradict the batch
        raise InputError(str(exc)) from exc
    return res, sel


def _render_quotas(sel: Any, zh: bool) -> None:
    """The order units are ranked in, each quota with its cap, explanation and history, and the notes."""
    keys = ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in sel.order)
    print(f"{'排序' if zh else 'Order'}: {keys}")
    for q in sel.quotas:
        cap = q.cap if q.cap is not None else ", ".join(f"{r}:{c}" for r, c in sorted(q.caps.items()))
        lab = q.label.zh if zh else q.label.en
        print(f"{'名额' if zh else 'Quota'} {q.id}: {lab} — {cap}")
        if q.explanation is not None:
            print(f"    {q.explanation.zh if zh else q.explanation.en}")
        if q.history is not None:
            print(f"    {q.history.zh if zh else q.history.en}")
    for note in sel.notes:
        print(f"  * {note.zh if zh else note.en}")


def _render_ranked(picks: Any) -> None:
    """One line per ranked unit: rank, unit, region and its sort key."""
    for p in picks:
        print(f"  {p.rank:>4}  {pad(p.unit, 24)} {p.region or '':<8} {_fmt_key(p.key)}")


def _render_every_unit(sel: Any, res: Any, zh: bool, en: bool) -> None:
    """``--all``: every unit, marked selected, reserve or out, with the reason (and, for a unit with
    invalid input, each problem)."""
    from .run.batch.results import why_invalid

    print(f"\n{'全部单位' if zh else 'Every unit'}:")
    for p in sel.picks:
        mark = "✓" if p.selected else ("○" if p.reserve else "✗")
        print(f"  {mark} {pad(p.unit, 24)} {p.reason.zh if zh else p.reason.en}")
        if zh and en:
            print(f"    {'':24} {p.reason.en}")
        for q in why_invalid(res, p.index):
            print(f"    {'':24} {q.field}: {q.message_zh if zh else q.message}")
            if zh and en:
                print(f"    {'':24} {q.field}: {q.message}")


def _render_selection(sel: Any, res: Any, lang: str, every: bool) -> None:
    """The ranking as text: heading, quotas, the recommended units, the reserves and (``--all``) every unit."""
    zh = lang in ("zh", "both")
    en = lang in ("en", "both")
    rs = res.ruleset
    title = f"{rs.id} {rs.version}" + (f"  [{res.tier}]" if res.tier else "")
    print(title)
    print("=" * width(title))
    _render_quotas(sel, zh)
    print()
    head = "推荐名单" if zh else "Recommended"
    print(f"{head} ({len(sel.recommended)}):")
    _render_ranked(sel.recommended)
    if sel.reserves:
        print(f"\n{'备选' if zh else 'Reserves'} ({len(sel.reserves)}):")
        _render_ranked(sel.reserves)
    if every:
        _render_every_unit(sel, res, zh, en)


def _render_set_aside(tally: Any, nobody: bool, lang: str) -> None:
    """How many units were set aside for invalid input, the most common problems, and (``nobody``
    ranked) what to do."""
    zh = lang in ("zh", "both")
    en = lang in ("en", "both")
    print()
    if zh:
        print(f"输入无效、未参加排名的单位：{tally.rows:,} 个")
    if en:
        print(f"Units set aside for invalid input: {tally.rows:,}")
    _render_problem_tally(tally, lang, ("单位数", "units"))
    if nobody:
        if zh:
            print("没有单位可以排名：请改正以上输入后重新运行。")
        if en:
            print("No unit could be ranked: correct the inputs above and run again.")


def _warn_universe(args: argparse.Namespace, rs: Any, tier: str | None) -> None:
    """``--universe`` given where no quota of the tier is a share of all units: it would change nothing."""
    if args.universe is None:
        return
    shares = [q for q in rs.doc.quotas if q.kind == "share" and (q.of or "all") == "all"
              and (q.tiers is None or tier in q.tiers)]
    if not shares:
        print(said(args.ui, f"fuac：注意：--universe {args.universe} 未被使用：本层级没有按全部单位的比例确定的名额",
                   f"fuac: warning: --universe {args.universe} is not used: no quota of this tier is a share of "
                   "all units", "\n"), file=sys.stderr)


def cmd_rank(args: argparse.Namespace) -> int:
    """Exit 1 when no unit could be ranked and some were set aside for invalid input."""
    from .run.batch.results import ProblemTally

    if args.output:
        from .render.lists import check_list_output

        check_list_output(args.output, "the recommended list")  # before anything is scored
    rs = _api.load(args.ruleset)
    check_tier(rs, args.tier)
    tier = rs.plan(args.tier).tier
    used, sizes = _rank_mappings(args, rs, tier)
    _warn_universe(args, rs, tier)
    res, sel = _rank_selection(args, rs, used, sizes)
    tally = ProblemTally()
    tally.add(res)
    nobody = tally.rows > 0 and not sel.ranked
    status = 1 if nobody else 0
    if args.output:
        from .render.lists import write_selection

        write_selection(sel, res, args.output, lang=args.lang, every=args.all)
        print(f"推荐名单 / recommended list: {args.output}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        out = sel.to_dict()
        out["invalid_input"] = {"units": tally.rows, "problems": [c.to_dict() for c in tally.most_common()]}
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return status
    if not args.output:
        _render_selection(sel, res, args.lang, args.all)
    if tally.rows:
        _render_set_aside(tally, nobody, args.lang)
    return status


# ---------------------------------------------------------------------------
# fuac titles: the title status of every unit of a history of awards

TITLE_STATE_WORDS = {
    "held": ("持有", "held"),
    "extended": ("顺延", "extended"),
    "lapsed": ("期满终止", "lapsed"),
    "revoked": ("已撤销", "revoked"),
    "none": ("无称号", "none"),
    "error": ("有误", "error"),
}


def cmd_titles(args: argparse.Namespace) -> int:
    from .decide.lifecycle import title_table

    rs = _api.load(args.ruleset)
    if args.output and Path(args.output).suffix.lower() not in _TITLE_OUTPUTS:  # before any work
        raise Said(f"{args.output}：称号表只能写入 .csv、.xlsx 或 .jsonl",
                   f"{args.output}: write the title table to .csv, .xlsx or .jsonl")
    try:
        history = _titles_history(args, rs)
        table = title_table(rs, history, args.year, level=args.level)
    except FuacError:
        raise
    except ValueError as exc:  # a year before the first cycle, an unknown --level, no [cycle]
        raise InputError(str(exc)) from exc
    if args.output:
        _write_titles(table.to_dicts(), args.output)
    if args.json:
        doc = {"ruleset": rs.id, "version": rs.version, "year": table.year,
               "cycle": [table.cycle.first_year, table.cycle.last_year], "units": table.to_dicts()}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.output:
        print(said(args.ui, f"{len(table):,} 行 → {args.output}", f"{len(table):,} rows → {args.output}"))
    else:
        _render_titles(table, rs, args.lang)
    if table.errors:
        _say_title_errors(args, len(table.errors))
    return 1 if table.errors else 0


def _say_title_errors(args: argparse.Namespace, n: int) -> None:
    """How many units of the history have errors, on standard error."""
    zh, en = (args.history, args.history) if args.history else ("记录库", "the store")
    print(said(args.ui, f"fuac：{zh} 中有 {n} 个单位有错误", f"fuac: {n} unit(s) with errors in {en}", "\n"),
          file=sys.stderr)


def _titles_history(args: argparse.Namespace, rs: Any) -> Any:
    """The history ``fuac titles`` reads: the file, or (``--import``, ``--from-store``) the store's."""
    if not (args.import_history or args.from_store):
        if args.history is None:
            raise Said("请给出获奖记录文件，或用 --from-store 读取记录库中的称号",
                       "give the history file, or --from-store to read the titles recorded in the store")
        return args.history
    from .serve import require

    require("store", "fuac titles --import/--from-store")
    from .serve.titles import cli_history

    return cli_history(rs, args.history, db=args.db, importing=args.import_history)


def _render_titles(table: Any, rs: Any, lang: str) -> None:
    from .decide.lifecycle import _LEVEL_WORDS

    zh, en = lang in ("zh", "both"), lang in ("en", "both")
    span = f"{table.cycle.first_year}–{table.cycle.last_year}"
    title = f"{rs.id} {rs.version}  {table.year}  " + (f"周期 {span}" if zh else f"cycle {span}")
    print(title)
    print("=" * width(title))
    heads = ("单位", "级别", "状态", "有效期至", "可申报", "理由") if zh else (
        "unit", "level", "state", "held until", "may apply", "reason")
    w = 0 if zh else 1
    cells = []
    for r in table:
        state = TITLE_STATE_WORDS.get(r.state, (r.state, r.state))[w]
        level = _LEVEL_WORDS.get(r.level, (r.level, r.level))[w] if r.level else "—"
        may = "—" if r.may_apply is None else (("是", "yes") if r.may_apply else ("否", "no"))[w]
        cells.append((r.unit or "—", level, state, str(r.held_until or "—"), may,
                      r.reason.zh if zh else r.reason.en, r.reason.en))
    widths = [max([width(h)] + [width(c[k]) for c in cells]) for k, h in enumerate(heads[:5])]
    print("  ".join(pad(h, w) for h, w in zip(heads, widths, strict=False)) + "  " + heads[5])
    for c in cells:
        line = "  ".join(pad(v, w) for v, w in zip(c, widths, strict=False))
        print(f"{line}  {c[5]}")
        if zh and en:
            print(f"{' ' * width(line)}  {c[6]}")


_TITLE_OUTPUTS = (".csv", ".xlsx", ".jsonl", ".ndjson")


def _write_titles(rows: list[dict[str, Any]], path: str) -> None:
    """The lines of a title table to ``path``: .csv, .jsonl or .xlsx (clauses one per line): ``render.tables``."""
    from .render.tables import write_title_table

    write_title_table(rows, path)


def _fmt_key(key: tuple[Any, ...]) -> str:
    vals = [key[k + 1] for k in range(0, len(key), 2) if key[k] == 0]
    return "  ".join(fmt_number(abs(v)) if hasattr(v, "is_finite") else str(v) for v in vals)


def _command(sub: Any, name: str, lang: str, parents: Sequence[argparse.ArgumentParser] = ()) -> Parser:
    """The parser of the command ``name``, its help from :data:`HELP`, in ``lang``."""
    zh, en = HELP[name]
    parser: Parser = sub.add_parser(name, parents=list(parents), help=said(lang, zh, en), lang=lang)
    return parser


def _batch_parser(sub: Any, lang: str) -> None:
    common = Parser(add_help=False, lang=lang)
    w = common.words
    common.add_argument("ruleset", help=w("ruleset"))
    common.add_argument("input", help=w("batch.input"))
    common.add_argument("--encoding", help=w("batch.encoding"))
    common.add_argument("--sheet", help=w("batch.sheet"))
    common.add_argument("--tier", help=w("batch.tier"))
    common.add_argument("--on", help=w("on"))
    common.add_argument("--backend", choices=("auto", "vector", "python"), default="auto", help=w("batch.backend"))
    common.add_argument("--chunk-size", type=int, default=0, help=w("batch.chunk-size"))
    common.add_argument("--no-progress", action="store_true", help=w("batch.no-progress"))
    common.add_argument("--json", action="store_true", help=w("json"))
    common.add_argument("--lang", choices=LANGS, help=w("lang"))

    s = _command(sub, "batch", lang, [common])
    s.add_argument("-o", "--output", help=w("batch.output"))
    s.add_argument("--exact", action="store_true", help=w("batch.exact"))
    s.set_defaults(func=cmd_batch)

    s = _command(sub, "rank", lang, [common])
    s.add_argument("--reserves", type=int, help=w("rank.reserves"))
    s.add_argument("--universe", type=int, help=w("rank.universe"))
    s.add_argument("--used", metavar="FILE", help=w("rank.used"))
    s.add_argument("--parent-sizes", metavar="FILE", help=w("rank.parent-sizes"))
    s.add_argument("--all", action="store_true", help=w("rank.all"))
    s.add_argument("-o", "--output", metavar="FILE", help=w("rank.output"))
    s.set_defaults(func=cmd_rank)


def _unit_parent(lang: str) -> Parser:
    """What ``evaluate`` and ``gaps`` read: one unit's input file."""
    unit = Parser(add_help=False, lang=lang)
    w = unit.words
    unit.add_argument("ruleset", help=w("ruleset"))
    unit.add_argument("input", help=w("unit.input"))
    unit.add_argument("--tier", help=w("unit.tier"))
    unit.add_argument("--on", help=w("on"))
    unit.add_argument("--assessor", help=w("unit.assessor"))
    unit.add_argument("--lang", choices=LANGS, help=w("lang"))
    return unit


def _evaluate_parser(sub: Any, lang: str, unit: Parser) -> None:
    s = _command(sub, "evaluate", lang, [unit])
    w = s.words
    s.add_argument("--json", action="store_true", help=w("evaluate.json"))
    s.add_argument("--report", metavar="FILE", help=w("evaluate.report"))
    s.add_argument("--record", action="store_true", help=w("evaluate.record"))
    s.add_argument("--db", metavar="URL", help=w("evaluate.db"))
    s.add_argument("--by", metavar="NAME", help=w("evaluate.by"))
    s.set_defaults(func=cmd_evaluate)


def _gaps_parser(sub: Any, lang: str, unit: Parser) -> None:
    s = _command(sub, "gaps", lang, [unit])
    w = s.words
    s.add_argument("--json", action="store_true", help=w("gaps.json"))
    s.add_argument("-o", "--output", metavar="FILE", help=w("gaps.output"))
    s.set_defaults(func=cmd_gaps)


def _rule_set_parsers(sub: Any, lang: str) -> None:
    """The commands that list, show and check rule sets."""
    s = _command(sub, "list", lang)
    s.set_defaults(func=cmd_list)

    s = _command(sub, "show", lang)
    s.add_argument("ruleset", help=s.words("ruleset"))
    s.set_defaults(func=cmd_show)

    s = _command(sub, "check", lang)
    s.add_argument("files", nargs="+", metavar="FILE", help=s.words("check.files"))
    s.set_defaults(func=cmd_check)


def _rule_tool_parsers(sub: Any, lang: str) -> None:
    """The commands that work with a rule set's files: schema, diff, test, docs, template."""
    s = _command(sub, "schema", lang)
    s.add_argument("ruleset", help=s.words("ruleset"))
    s.add_argument("--tier", help=s.words("schema.tier"))
    s.set_defaults(func=cmd_schema)

    s = _command(sub, "diff", lang)
    w = s.words
    s.add_argument("a", help=w("diff.a"))
    s.add_argument("b", help=w("diff.b"))
    s.add_argument("--replay", nargs="+", metavar="INPUT", help=w("diff.replay"))
    s.add_argument("--json", action="store_true", help=w("diff.json"))
    s.set_defaults(func=cmd_diff)

    s = _command(sub, "test", lang)
    w = s.words
    s.add_argument("paths", nargs="*", metavar="PATH", help=w("test.paths"))
    s.add_argument("-v", "--verbose", action="store_true", help=w("test.verbose"))
    s.add_argument("--mutants", action="store_true", help=w("test.mutants"))
    s.set_defaults(func=cmd_test)

    s = _command(sub, "docs", lang)
    w = s.words
    s.add_argument("ruleset", nargs="?", help=w("ruleset"))
    s.add_argument("--all", action="store_true", help=w("docs.all"))
    s.add_argument("-o", "--output", metavar="PATH", help=w("docs.output"))
    s.set_defaults(func=cmd_docs)

    s = _command(sub, "template", lang)
    w = s.words
    s.add_argument("ruleset", help=w("ruleset"))
    s.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help=w("template.output"))
    s.add_argument("--tier", help=w("template.tier"))
    s.add_argument("--unit", action="append", metavar="NAME", help=w("template.unit"))
    s.set_defaults(func=cmd_template)


def _titles_parser(sub: Any, lang: str) -> None:
    s = _command(sub, "titles", lang)
    w = s.words
    s.add_argument("ruleset", help=w("titles.ruleset"))
    s.add_argument("history", nargs="?", help=w("titles.history"))
    s.add_argument("--year", type=int, required=True, help=w("titles.year"))
    where = s.add_mutually_exclusive_group()
    where.add_argument("--import", dest="import_history", action="store_true", help=w("titles.import"))
    where.add_argument("--from-store", action="store_true", help=w("titles.from-store"))
    s.add_argument("--db", metavar="URL", help=w("titles.db"))
    s.add_argument("--level", help=w("titles.level"))
    s.add_argument("-o", "--output", metavar="OUT", help=w("titles.output"))
    s.add_argument("--json", action="store_true", help=w("titles.json"))
    s.add_argument("--lang", choices=LANGS, help=w("lang"))
    s.set_defaults(func=cmd_titles)


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The ``fuac`` command's parser, its help and usage errors in ``lang`` (``zh``, ``en``, ``both``)."""
    p = Parser(prog="fuac", description=said(lang, *HELP["fuac"], "\n"), lang=lang)
    p.add_argument("--version", action="version", version=f"fuac {__import__('fuac').__version__}",
                   help=p.words("version"))
    p.add_argument("--lang", dest="ui_lang", choices=LANGS, help=p.words("ui-lang"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", title=p.words("commands"))
    unit = _unit_parent(lang)
    _rule_set_parsers(sub, lang)
    _evaluate_parser(sub, lang, unit)
    _rule_tool_parsers(sub, lang)
    _gaps_parser(sub, lang, unit)
    _batch_parser(sub, lang)
    _titles_parser(sub, lang)
    _service_parser(sub, lang)
    return p


def _not_found(args: argparse.Namespace, exc: RulesetNotFound) -> tuple[str | None, str]:
    """No such rule set, in both languages, with the registered ids close to the one given."""
    if args.command == "log":  # its --ruleset filters the record; --cycle says its own error
        return None, str(exc)
    ids = _api.rulesets()
    for ref in (getattr(args, k, None) for k in ("ruleset", "a", "b")):
        if not isinstance(ref, str) or ref in ids:
            continue
        if ref.lower().endswith(".toml") and not Path(ref).is_file():
            return f"找不到规则文件 {ref}", str(exc)
        if not Path(ref).exists():
            mean_zh, mean_en = did_you_mean(close_names(ref, ids, 1))
            return (f"没有规则集 {ref}：它不是已登记的规则集编号，也不是规则文件。"
                    f"{mean_zh}（fuac list 列出全部规则集）",
                    f"no rule set {ref!r}: not a registered id nor a rule file. {_sentence(mean_en)}"
                    "(fuac list lists them all)")
    return None, str(exc)


def _tier_error(args: argparse.Namespace, exc: TierNotFound) -> tuple[str | None, str]:
    """No such tier (or none given where the rule set has several), said as :func:`check_tier` says it."""
    try:
        check_tier(_api.load(args.ruleset), getattr(args, "tier", None))
    except Said as said_it:
        return said_it.zh, said_it.en
    except (FuacError, AttributeError):
        pass
    return error_words(exc)


def error_words(exc: BaseException) -> tuple[str | None, str]:
    """What a command that could not run says: in Chinese (None where fuac has it in English only)
    and in English."""
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if isinstance(zh, str) and isinstance(en, str):
        return zh, en
    if isinstance(exc, TierNotFound):  # the API's words for a tier, said as the command takes it
        return None, str(exc).replace("pass tier=…", "give one with --tier")
    return None, str(exc)


def say_error(lang: str, zh: str | None, en: str) -> None:
    """An error line on standard error, ``fuac: …``, in ``lang`` (``both``: the Chinese, then the English)."""
    lines = []
    if lang in ("zh", "both"):
        lines.append(f"fuac：{zh}" if zh is not None else f"fuac: {en}")
    if lang in ("en", "both") and not (lang == "both" and zh is None):
        lines.append(f"fuac: {en}")
    print("\n".join(lines), file=sys.stderr)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command's arguments, with ``ui``, the language it speaks in, and (where the command has one)
    ``lang``, its output's: as given, else Chinese."""
    ui = message_lang(argv)
    args = build_parser(ui).parse_args(list(argv))
    args.ui = ui
    if hasattr(args, "lang"):
        args.lang = args.lang or args.ui_lang or "zh"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """``fuac …``: the command's messages in the language of its ``--lang``, else of the locale;
    a command's output (``--lang``) in Chinese unless it says otherwise."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ui = args.ui
    try:
        return int(args.func(args))
    except RulesetError as exc:
        for p in exc.problems or [exc]:
            print(str(p), file=sys.stderr)
        return 2
    except RulesetNotFound as exc:
        say_error(ui, *_not_found(args, exc))
        return 2
    except TierNotFound as exc:
        say_error(ui, *_tier_error(args, exc))
        return 2
    except (FuacError, FileNotFoundError) as exc:
        say_error(ui, *error_words(exc))
        return 2
    except BrokenPipeError:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
