"""Docs and code guard each other.

- every key of the rule-file format (every field of the pydantic models, every
  rule kind's ``Params``, the item and part keys) has a row in its table's
  section of ``docs/ruleset-format.md``;
- every hook is documented in ``docs/plugin_hooks.md`` under a heading with its
  exact signature;
- every command and option of ``fuac`` is in ``docs/cli.md``;
- every built-in expression function is in ``docs/expressions.md``;
- every key of a case file is in ``docs/case-files.md``;
- the pages in ``docs/schemes/`` are what ``fuac docs`` generates;
- the TOML examples marked ``# complete rule file`` load, and every TOML and
  JSON example in these docs parses.

A key is *documented* when a table row of its table's section starts with the
key in backticks: ``| `points` | decimal | required | … |``. A section is the
text between a heading and the next heading; it belongs to a table when the
heading holds the table's name in backticks (``## `[[sections]]` ``), or is
exactly that name (``## Top level``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import fuac
from fuac import hookspecs
from fuac.cases import runner as _cases
from fuac.cli import build_parser
from fuac.language.functions import BUILTIN_FUNCTIONS
from fuac.language.models import ITEM_COMMON_KEYS, ItemHead, RulesetDoc, Text
from fuac.plan.compose import COMPOSE_KEYS
from fuac.plan.engine import Engine
from fuac.plan.loader import PART_KEYS
from fuac.render.docgen import index_page, ruleset_page

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCHEMES = DOCS / "schemes"
REGENERATE = (
    "run `fuac docs --all -o docs/schemes` (with FUAC_PLUGINS= set empty if third-party rule packages are installed)"
)

#: The docs this test checks for well-formed examples.
OWN_DOCS = (
    "index.md",
    "ruleset-format.md",
    "expressions.md",
    "plugin_hooks.md",
    "cli.md",
    "evaluation.md",
    "case-files.md",
    "batch.md",
    "composition.md",
    "reports.md",
    "notebooks.md",
    "tutorial-rule-package.md",
)


# ---------------------------------------------------------------------------
# reading Markdown


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_TICKS = re.compile(r"`([^`]+)`")


class Section(typing.NamedTuple):
    level: int
    heading: str
    lines: list[str]  # the lines up to the next heading of any level
    nested: list[str]  # the lines up to the next heading of the same or a higher level

    @property
    def names(self) -> set[str]:
        return set(_TICKS.findall(self.heading)) | {self.heading}

    def row_keys(self) -> set[str]:
        """The backticked words in the first cell of each table row."""
        out: set[str] = set()
        for line in self.lines:
            if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|?\s*$", line):
                first = line.split("|")[1]
                out.update(_TICKS.findall(first))
        return out


def read_sections(text: str) -> list[Section]:
    """The sections of a Markdown text. Headings inside fenced code blocks do not count."""
    heads: list[tuple[int, int, str]] = []
    lines = text.splitlines()
    fence: str | None = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = None if fence == mark else (fence or mark)
            continue
        if fence is None:
            m = _HEADING.match(line)
            if m:
                heads.append((i, len(m.group(1)), m.group(2)))
    out = []
    for k, (i, level, heading) in enumerate(heads):
        nxt = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        end = next((j for j, lv, _ in heads[k + 1 :] if lv <= level), len(lines))
        out.append(Section(level, heading, lines[i + 1 : nxt], lines[i + 1 : end]))
    return out


def fenced_blocks(text: str, lang: str) -> Iterator[tuple[int, str]]:
    """(line number, content) of each fenced block in ``lang``."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(```+)\s*(\S*)", lines[i])
        if m:
            fence, info = m.group(1), m.group(2)
            j = i + 1
            while j < len(lines) and not lines[j].startswith(fence):
                j += 1
            if info == lang:
                yield i + 1, "\n".join(lines[i + 1 : j]) + "\n"
            i = j + 1
        else:
            i += 1


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def documented(sections: list[Section], anchor: str) -> set[str] | None:
    """Keys with a row in the sections named ``anchor``; None when no section has that name."""
    found = [s for s in sections if anchor in s.names]
    if not found:
        return None
    return set().union(*(s.row_keys() for s in found))


# ---------------------------------------------------------------------------
# walking the models


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple, set, frozenset):
        return [m for a in typing.get_args(annotation) for m in _models_in(a)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return origin is list


def _is_dict(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_dict(a) for a in typing.get_args(annotation))
    return origin is dict


def format_tables() -> list[tuple[str, type[BaseModel], str]]:
    """(anchor, model, where) for every table of the rule-file format.

    A top-level or nested table ``path`` of a model is documented under `[path]`;
    an array of tables under `[[path]]`; a table of named tables under `[path.NAME]`.
    Texts are documented once, under `{ zh, en }`, and as `[[notes]]`.
    """
    out: list[tuple[str, type[BaseModel], str]] = [("Top level", RulesetDoc, "the top level of a rule file")]

    def walk(model: type[BaseModel], path: str) -> None:
        for name, f in model.model_fields.items():
            for sub in _models_in(f.annotation):
                full = f"{path}.{name}" if path else name
                if sub is Text:
                    if full == "notes":
                        out.append(("[[notes]]", Text, "[[notes]]"))
                    continue
                if _is_list(f.annotation):
                    anchor = f"[[{full}]]"
                elif _is_dict(f.annotation):
                    anchor = f"[{full}.NAME]"
                else:
                    anchor = f"[{full}]"
                out.append((anchor, sub, anchor))
                walk(sub, full)

    walk(RulesetDoc, "")
    out.append(("{ zh, en }", Text, "every text"))
    return out


def builtin_engine() -> Engine:
    """An engine with the built-in plugins only: what the docs describe."""
    return Engine(load_entry_points=False)


def kind_tables() -> list[tuple[str, type[BaseModel], str]]:
    """(anchor, model, where) for every rule kind's Params and the tables nested in them."""
    out: list[tuple[str, type[BaseModel], str]] = []
    for name, cls in sorted(builtin_engine().kinds.items()):
        anchor = f'kind = "{name}"'
        out.append((anchor, cls.Params, f"rule kind {name!r}"))
        for field_name, f in cls.Params.model_fields.items():
            for sub in _models_in(f.annotation):
                if sub is not Text:
                    out.append((field_name, sub, f"the {field_name!r} of rule kind {name!r}"))
    return out


# ---------------------------------------------------------------------------
# (a) the rule-file format


@pytest.fixture(scope="module")
def format_sections() -> list[Section]:
    return read_sections(doc("ruleset-format.md"))


@pytest.mark.parametrize(
    ("anchor", "model", "where"),
    [pytest.param(*t, id=t[0]) for t in format_tables() + kind_tables()],
)
def test_every_key_of_the_format_is_documented(
    format_sections: list[Section], anchor: str, model: type[BaseModel], where: str
) -> None:
    keys = documented(format_sections, anchor)
    assert keys is not None, (
        f"docs/ruleset-format.md has no section for {where} ({model.__module__}.{model.__name__}): "
        f"add a heading with `{anchor}` in backticks and a table of its keys"
    )
    missing = [k for k in model.model_fields if k not in keys]
    assert not missing, (
        f"docs/ruleset-format.md, section `{anchor}`: key(s) {missing} of {where} "
        f"({model.__module__}.{model.__name__}) are not documented: add a row "
        f"| `{missing[0]}` | type | required? | meaning | example | to the table under that heading"
    )


def test_every_table_of_the_format_has_its_section(format_sections: list[Section]) -> None:
    for name in RulesetDoc.model_fields:
        anchors = {f"[{name}]", f"[[{name}]]", f"[{name}.NAME]"}
        assert any(anchors & s.names for s in format_sections), (
            f"docs/ruleset-format.md: no section for the top-level key {name!r}: "
            f"add a heading with one of {sorted(anchors)}"
        )


def test_item_and_part_keys_are_documented(format_sections: list[Section]) -> None:
    assert set(ItemHead.model_fields) == set(ITEM_COMMON_KEYS), "ItemHead and ITEM_COMMON_KEYS disagree"
    for anchor, keys in (("[[sections.items]]", ITEM_COMMON_KEYS), ("[[sections.items.parts]]", PART_KEYS)):
        rows = documented(format_sections, anchor)
        assert rows is not None, f"docs/ruleset-format.md has no section `{anchor}`"
        missing = [k for k in keys if k not in rows]
        assert not missing, f"docs/ruleset-format.md, section `{anchor}`: key(s) {missing} are not documented"


def test_composition_keys_are_documented(format_sections: list[Section]) -> None:
    top = documented(format_sections, "Top level") or set()
    assert "extends" in top, "docs/ruleset-format.md, section 'Top level': document `extends`"
    rows = documented(format_sections, "extends") or set()
    missing = [k for k in COMPOSE_KEYS if k not in rows]
    assert not missing, f"docs/ruleset-format.md, section on `extends`: key(s) {missing} are not documented"


def test_every_rule_kind_is_mapped(format_sections: list[Section]) -> None:
    rows = documented(format_sections, "Rule kinds") or set()
    missing = [k for k in builtin_engine().kinds if k not in rows]
    assert not missing, f"docs/ruleset-format.md, table under 'Rule kinds': kind(s) {missing} are not listed"


def test_every_unit_is_documented(format_sections: list[Section]) -> None:
    from fuac.language.words import UNITS

    rows = documented(format_sections, "Units") or set()
    missing = [u for u in UNITS if u not in rows]
    assert not missing, f"docs/ruleset-format.md, section 'Units': unit(s) {missing} are not documented"


# ---------------------------------------------------------------------------
# (b) hooks


def hookspec_functions() -> list[tuple[str, Any]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if getattr(fn, "fuac_spec", None) is not None
    ]


def signature_heading(name: str, fn: Any) -> str:
    """The heading a hook is documented under: its exact signature (annotations without quotes)."""
    return f"### `{name}{inspect.signature(fn)}`".replace("'", "")


@pytest.mark.parametrize(("name", "fn"), hookspec_functions(), ids=[n for n, _ in hookspec_functions()])
def test_every_hook_is_documented_with_its_signature(name: str, fn: Any) -> None:
    expected = signature_heading(name, fn)
    lines = doc("plugin_hooks.md").splitlines()
    assert expected in lines, f"docs/plugin_hooks.md: add the heading\n{expected}"


def test_there_are_hooks_to_document() -> None:
    assert len(hookspec_functions()) >= 4


# ---------------------------------------------------------------------------
# (c) the command line


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("fuac has no subcommands")


def _ticked(text: str, word: str) -> bool:
    """``word`` in backticks, alone or followed by its metavar or a comma: `--tier TIER`, `-o PATH`."""
    return re.search(r"`" + re.escape(word) + r"(`|[ =,\[][^`]*`)", text) is not None


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_and_option_is_documented(command: str) -> None:
    sections = read_sections(doc("cli.md"))
    found = [s for s in sections if f"fuac {command}" in s.names]
    assert found, f"docs/cli.md: add a section with the heading ## `fuac {command}`"
    text = "\n".join(found[0].nested)
    sub = _subcommands()[command]
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            for opt in action.option_strings:
                assert _ticked(text, opt), f"docs/cli.md, section `fuac {command}`: option {opt} is not documented"
        else:
            name = action.metavar or action.dest
            assert _ticked(text, name), f"docs/cli.md, section `fuac {command}`: argument {name} is not documented"


def test_global_options_are_documented() -> None:
    text = doc("cli.md")
    for action in build_parser()._actions:
        for opt in action.option_strings:
            assert _ticked(text, opt), f"docs/cli.md: the global option {opt} is not documented"


# ---------------------------------------------------------------------------
# (d) expression functions


@pytest.mark.parametrize("name", sorted(BUILTIN_FUNCTIONS))
def test_every_builtin_function_is_documented(name: str) -> None:
    pattern = re.compile(r"^### `" + re.escape(name) + r"\(", re.M)
    assert pattern.search(doc("expressions.md")), (
        f"docs/expressions.md: add a section ### `{name}(…)` saying exactly what it does"
    )


def test_expression_limits_are_documented() -> None:
    from fuac.language import expressions as e

    text = doc("expressions.md")
    for value in (e.MAX_EXPRESSION_LENGTH, e.MAX_DEPTH, e.MAX_NODES, e.MAX_STRING_LITERAL, e.MAX_POWER_EXPONENT):
        assert f"{value:,}" in text or str(value) in text, f"docs/expressions.md: the limit {value} is not stated"


# ---------------------------------------------------------------------------
# the Python API and case files


@pytest.mark.parametrize("name", ["evaluate", "load", "loads", "compose", "rulesets", "input_schema", "rulesets_for"])
def test_every_api_function_is_documented(name: str) -> None:
    assert name in fuac.__all__
    assert re.search(r"^### `fuac\." + name + r"\(", doc("evaluation.md"), re.M), (
        f"docs/evaluation.md: add a section ### `fuac.{name}(…)`"
    )


CASE_TABLES = [
    ("Top level", _cases.CaseFile),
    ("[base]", _cases.Base),
    ("[[cases]]", _cases.Case),
    ("[cases.expect]", _cases.Expect),
    ("Expected item or part", _cases.ItemExpect),
    ("Expected section", _cases.SectionExpect),
]


@pytest.mark.parametrize(("anchor", "model"), CASE_TABLES, ids=[a for a, _ in CASE_TABLES])
def test_every_key_of_a_case_file_is_documented(anchor: str, model: type[BaseModel]) -> None:
    keys = documented(read_sections(doc("case-files.md")), anchor)
    assert keys is not None, f"docs/case-files.md: add a section `{anchor}` for {model.__name__}"
    missing = [k for k in model.model_fields if k not in keys]
    assert not missing, f"docs/case-files.md, section `{anchor}`: key(s) {missing} are not documented"


# ---------------------------------------------------------------------------
# (e) generated scheme pages


def _builtin_rulesets() -> list[str]:
    return builtin_engine().ids()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return builtin_engine()


@pytest.mark.parametrize("rid", _builtin_rulesets())
def test_scheme_page_is_up_to_date(engine: Engine, rid: str) -> None:
    page = SCHEMES / f"{rid}.md"
    assert page.is_file(), f"docs/schemes/{rid}.md is missing: {REGENERATE}"
    expected = ruleset_page(engine.load_id(rid))
    assert page.read_text(encoding="utf-8") == expected, (
        f"docs/schemes/{rid}.md differs from what `fuac docs {rid}` generates from the rule file: {REGENERATE}"
    )


def test_scheme_index_is_up_to_date(engine: Engine) -> None:
    expected = index_page([engine.load_id(rid) for rid in engine.ids()])
    page = SCHEMES / "index.md"
    assert page.is_file() and page.read_text(encoding="utf-8") == expected, (
        f"docs/schemes/index.md is missing or out of date: {REGENERATE}"
    )


def test_no_stale_scheme_pages(engine: Engine) -> None:
    known = set(engine.ids()) | {"index"}
    stale = sorted(p.name for p in SCHEMES.glob("*.md") if p.stem not in known)
    assert not stale, f"docs/schemes/ has pages for no built-in rule set: {stale}; delete them and {REGENERATE}"


def test_pages_are_deterministic(engine: Engine) -> None:
    for rid in engine.ids():
        a = ruleset_page(engine.load_id(rid))
        b = ruleset_page(Engine(load_entry_points=False).load_id(rid))
        assert a == b, f"the page of {rid} changes from one run to the next"


# ---------------------------------------------------------------------------
# (f) examples


def _complete_rule_files() -> list[tuple[str, int, str]]:
    out = []
    for name in OWN_DOCS:
        for line, block in fenced_blocks(doc(name), "toml"):
            if block.startswith("# complete rule file"):
                out.append((name, line, block))
    return out


@pytest.mark.parametrize(
    ("name", "line", "block"), _complete_rule_files(), ids=[f"{n}:{ln}" for n, ln, _ in _complete_rule_files()]
)
def test_complete_rule_file_examples_load(name: str, line: int, block: str) -> None:
    fuac.reset_engine(builtin_engine())
    try:
        rs = fuac.loads(block, name=f"docs/{name}, example at line {line}")
    finally:
        fuac.reset_engine()
    assert rs.plans


def test_there_are_complete_examples() -> None:
    names = {n for n, _, _ in _complete_rule_files()}
    assert "ruleset-format.md" in names
    assert len(_complete_rule_files()) >= 3


@pytest.mark.parametrize("name", OWN_DOCS)
def test_every_toml_and_json_example_parses(name: str) -> None:
    text = doc(name)
    for line, block in fenced_blocks(text, "toml"):
        try:
            tomllib.loads(block)
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"docs/{name}, TOML example at line {line}: {exc}")
    for line, block in fenced_blocks(text, "json"):
        try:
            json.loads(block)
        except ValueError as exc:
            pytest.fail(f"docs/{name}, JSON example at line {line}: {exc}")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for s in read_sections(path.read_text(encoding="utf-8")):
        base = _slug(s.heading)
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


@pytest.mark.parametrize("name", OWN_DOCS)
def test_links_resolve(name: str) -> None:
    """Every relative link points at a file of the repository, and at a heading of it when it names one."""
    text = re.sub(r"```.*?```", "", doc(name), flags=re.S)
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m.group(1)
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        path = (DOCS / file).resolve() if file else DOCS / name
        assert path.is_relative_to(ROOT) and path.exists(), f"docs/{name}: the link {target} points at no file"
        if frag and path.suffix == ".md":
            assert frag in _anchors(path), f"docs/{name}: the link {target} names no heading of {path.name}"


def test_kind_examples_are_valid_items(format_sections: list[Section]) -> None:
    """Each kind's example item, as written in its section, passes the kind's Params model."""
    kinds = builtin_engine().kinds
    for name, cls in kinds.items():
        sec = next(s for s in format_sections if f'kind = "{name}"' in s.names)
        blocks = [b for _, b in fenced_blocks("\n".join(sec.nested), "toml")]
        assert blocks, f"docs/ruleset-format.md, section `kind = \"{name}\"`: add a TOML example"
        sections = tomllib.loads(blocks[-1], parse_float=Decimal)["sections"]
        item = (sections[0] if isinstance(sections, list) else sections)["items"][0]
        params = {k: v for k, v in item.items() if k not in ITEM_COMMON_KEYS}
        if "label" in cls.Params.model_fields and "label" in item:
            params["label"] = item["label"]
        cls.Params.model_validate(params)
