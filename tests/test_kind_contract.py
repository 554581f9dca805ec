"""A rule kind is one class (docs/architecture.md): every part of the contract is provided by
each built-in kind or declined with a reason, and a plugin kind that writes only ``score`` works
everywhere a kind is used, through the defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.kinds import BUILTIN_KINDS
from fuac.kinds.base import Rule
from test_plugins import engine, plugin
from test_recovery import rules

#: what a kind knows besides its parameters (docs/architecture.md, "A rule kind is one class")
PARTS = ("score", "describe", "columns", "points_bounds", "recovery")

#: the parts a built-in kind declines, each with its reason
DECLINED = {
    ("formula", "recovery"): "points from an arbitrary expression: no inverse is sought; the rectification list "
                             "says there is no automatic suggestion",
}


@pytest.mark.parametrize("kind", BUILTIN_KINDS, ids=lambda k: k.kind)
def test_every_built_in_kind_provides_each_part_or_declines_it(kind: type[Rule]) -> None:
    missing = [p for p in PARTS if getattr(kind, p) is getattr(Rule, p) and (kind.kind, p) not in DECLINED]
    assert missing == []
    # what an assessor enters: a kind that reads an entry says what it is
    assert (kind.entry is not Rule.entry) == kind.assessable


def test_what_is_declined_is_not_provided() -> None:
    by_name = {k.kind: k for k in BUILTIN_KINDS}
    for kind, part in DECLINED:
        assert getattr(by_name[kind], part) is getattr(Rule, part), (kind, part)


class OnlyScore(fuac.Rule):
    """3 points when ``n`` is at least 5: a kind that writes nothing but its score."""

    kind = "only_score"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(3)
        self.reads = frozenset({"n"})

    def score(self, inputs: Any) -> fuac.Outcome:
        ok = inputs.values["n"] >= 5
        return fuac.Outcome(Decimal(3) if ok else Decimal(0), "scored", "n≥5" if ok else "n<5",
                            "n ≥ 5" if ok else "n < 5", met=ok)


def test_a_kind_with_only_a_score_works_everywhere(tmp_path: Path) -> None:
    from fuac.render.docgen import ruleset_page
    from fuac.render.report import report_html
    from fuac.render.workbook import write_template

    rs = engine(plugin("only_pkg", fuac_rule_kinds=[OnlyScore])).load_text(rules("only_score"), name="only.toml")
    # one unit, and a batch handed back to the single-unit path with the reason
    ev = fuac.evaluate(rs, {"n": 2})
    assert (ev.item("1").points, ev.total) == (0, 0)
    res = fuac.evaluate_many(rs, [{"n": 2}, {"n": 5}])
    assert res.column("item.1", exact=True).tolist() == [0, 3]
    assert res.backend_report["fallback"] == {"1": "rule kind 'only_score' (OnlyScore) is not compiled"}
    # the rectification list: the lost points, with no automatic suggestion
    (gap,) = ev.gaps(rs)
    assert (gap.item, gap.changes, gap.verified) == ("1", [], False)
    # the scheme page: described by its parameters, of which it has none
    page = ruleset_page(rs)
    assert "  - 规则类型 `only_score`（无参数）。\n  - Rule kind `only_score` (no parameters).\n" in page
    # the fill-in workbook and the score sheet
    write_template(rs, tmp_path / "only.xlsx", units=["u1"])
    assert (tmp_path / "only.xlsx").stat().st_size > 0
    assert "n&lt;5" in report_html(ev) or "n<5" in report_html(ev)


class Noted(OnlyScore):
    """OnlyScore with a parameter of words, which it does not describe itself."""

    kind = "only_score_noted"

    class Params(fuac.Model):
        basis: str
        steps: list[int]


def test_a_kind_described_by_its_parameters_writes_them_as_the_rule_file_does() -> None:
    from fuac.render.docgen import ruleset_page

    text = rules("only_score_noted") + 'basis = "以县级统计为准"\nsteps = [1, 2]\n'
    rs = engine(plugin("noted_pkg", fuac_rule_kinds=[Noted])).load_text(text, name="noted.toml")
    # Chinese words as written, not \u escapes; lists in JSON
    params = "`basis` = `\"以县级统计为准\"`, `steps` = `[1, 2]`"
    page = ruleset_page(rs)
    assert f"  - 规则类型 `only_score_noted`：{params}。\n  - Rule kind `only_score_noted`: {params}.\n" in page


@pytest.mark.parametrize("kind", BUILTIN_KINDS, ids=lambda k: k.kind)
def test_every_built_in_kind_says_its_score_reads_only_its_reads(kind: type[Rule]) -> None:
    # the batch then hands a unit scored one by one only those values (run/vector.py)
    assert kind.reads_only_reads()


class ReadsMore(fuac.kinds.Threshold):
    """A threshold whose score also reads ``bonus``, which its reads do not name: it must not inherit
    the promise that its score reads only its reads."""

    kind = "threshold_reads_more"

    def score(self, inputs: Any) -> fuac.Outcome:
        out = super().score(inputs)
        extra = inputs.values.get("bonus") or 0
        return fuac.Outcome(out.points + extra, out.status, "extra", "extra", met=out.met)


def test_a_subclass_that_scores_otherwise_does_not_inherit_reads_only_reads() -> None:
    assert not OnlyScore.reads_only_reads() and not ReadsMore.reads_only_reads()
    assert fuac.kinds.Threshold.reads_only_reads()  # its score is all or nothing's, which says so
    keys = 'indicator = "n"\ncomparator = ">="\nthreshold = 5\nunit = "count"\npoints = 3'
    kind = 'kind = "threshold_reads_more"'
    text = rules("threshold_reads_more").replace(kind, f"{kind}\n{keys}")
    text = text.replace("[[sections]]", '[indicators.bonus]\ntype = "integer"\nunit = "count"\n'
                                        'label = { zh = "加分", en = "Bonus" }\n\n[[sections]]')
    rs = engine(plugin("more_pkg", fuac_rule_kinds=[ReadsMore])).load_text(text, name="more.toml")
    recs = [{"n": 5, "bonus": 0}, {"n": 2, "bonus": 1}]
    res = fuac.evaluate_many(rs, recs)
    assert "1" in res.backend_report["fallback"]  # handed back: it scores differently from its parent
    # the handed-back unit got bonus too, though the rule's reads name only n
    assert res.column("item.1", exact=True).tolist() == [3, 1]
    assert [fuac.evaluate(rs, r).item("1").points for r in recs] == [3, 1]


class NotForThisUnit(fuac.Rule):
    """A part that says it does not apply (status not_applicable, no points) when ``n`` is 0."""

    kind = "not_for_this_unit"

    class Params(fuac.Model):
        pass

    def __init__(self, rule_id: str, params: Any, ctx: Any) -> None:
        super().__init__(rule_id, params, ctx)
        self.max_points = Decimal(1)
        self.reads = frozenset({"n"})

    def score(self, inputs: Any) -> fuac.Outcome:
        if inputs.values["n"] == 0:
            return fuac.Outcome(None, "not_applicable", "不适用", "not applicable")
        return fuac.Outcome(Decimal(1), "scored", "适用", "applies", met=True)


@pytest.mark.parametrize(("order", "status"), [(("a", "b"), "scored"), (("b", "a"), "not_applicable")])
def test_parts_of_equal_rank_give_the_item_the_first_ones_status(order: tuple[str, str], status: str) -> None:
    # "scored" and "not_applicable" rank alike when an item's parts are summed up: the first part's
    # status is the item's, in one unit and in a batch (the plugin part is scored unit by unit there)
    parts = {"a": '[[sections.items.parts]]\nid = "a"\nkind = "all_or_nothing"\npoints = 2\ncondition = "n >= 0"\n',
             "b": '[[sections.items.parts]]\nid = "b"\nkind = "not_for_this_unit"\n'}
    text = rules("x").replace('max = 3\nkind = "x"\n', "max = 3\n" + "".join(parts[p] for p in order))
    rs = engine(plugin("na_pkg", fuac_rule_kinds=[NotForThisUnit])).load_text(text, name="na.toml")
    ev = fuac.evaluate(rs, {"n": 0})
    assert (ev.item("1").status, ev.item("1").points) == (status, 2)
    for backend in ("python", "vector"):
        res = fuac.evaluate_many(rs, [{"n": 0}], backend=backend)
        assert res.column("item.1.status").tolist() == [status], backend
