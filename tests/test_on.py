"""The evaluation date ``on``, read the same way by every entry point (docs/evaluation.md, "The
evaluation date"): a date, a datetime (its calendar date), or a text YYYY-MM-DD; anything else is one
InputError naming the argument (``on``, or ``context['on']``) and the value.

mini.toml's parameter institutions_target is 8 from 2023-01-01 and 10 from 2024-01-01; item 4 takes
2 points for each institution short of it, from 4: a unit with 9 institutions gets 4 points on
2023-11-30 and 2 on 2024-06-01.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.errors import InputError

MINI = Path(__file__).parent / "data" / "mini.toml"
UNIT = {"institutions": 9}
DAY = dt.date(2023, 11, 30)
WANT = "must be a date (a datetime.date or a text YYYY-MM-DD), not "

SAME_DAY = [DAY, dt.datetime(2023, 11, 30, 23, 59), "2023-11-30", " 2023-11-30\n"]
BAD = [
    ("yesterday", "'yesterday'"),
    ("20231130", "'20231130'"),  # an ISO form, but not the one fuac reads
    ("2023-11-30T00:00", "'2023-11-30T00:00'"),
    ("30/11/2023", "'30/11/2023'"),
    ("２０２３-１１-３０", "'２０２３-１１-３０'"),  # full-width digits
    ("", "''"),
    ("2023-02-30", "'2023-02-30': day is out of range for month"),
    (20231130, "20231130 (int)"),
    (True, "True (bool)"),
    (Decimal("2023.11"), "Decimal('2023.11') (Decimal)"),
]


@pytest.mark.parametrize("on", SAME_DAY)
def test_a_date_a_datetime_and_a_text_are_the_same_date(on: Any) -> None:
    ev = fuac.evaluate(MINI, UNIT, on=on)
    assert (type(ev.on), ev.on, ev.to_dict()["on"]) == (dt.date, DAY, "2023-11-30")
    assert ev.item("4").points == 4  # the target in force on that date: 8
    assert fuac.evaluate(MINI, UNIT, context={"on": on}).on == DAY
    res = fuac.evaluate_many(MINI, [UNIT], on=on)
    assert (res.on, res.column("item.4", exact=True).tolist()) == (DAY, [4])
    assert fuac.evaluate_many(MINI, [UNIT], context={"on": on}).on == DAY


def test_a_text_date_takes_that_dates_parameters_everywhere() -> None:
    # 2024-06-01: the target is 10, one short: 4 − 2 (a raw TypeError before, for a text date)
    ev = fuac.evaluate(MINI, UNIT, on="2024-06-01")
    assert (ev.on, ev.item("4").points) == (dt.date(2024, 6, 1), 2)
    assert fuac.evaluate_many(MINI, [UNIT], on="2024-06-01").column("item.4", exact=True).tolist() == [2]
    # the rectification list re-evaluates on the same date: one more institution recovers the 2 points
    (gap,) = [g for g in ev.gaps(MINI) if g.item == "4"]
    assert ([(c.field, c.after) for c in gap.changes], gap.recoverable) == ([("institutions", 10)], 2)
    # given both, the argument is the date, not the context's
    assert fuac.evaluate(MINI, UNIT, on="2024-06-01", context={"on": "2023-11-30"}).on == dt.date(2024, 6, 1)


@pytest.mark.parametrize("on", SAME_DAY)
def test_rulesets_for_reads_on_alike(on: Any) -> None:
    # a raw TypeError before, for a text or a datetime
    assert [(a.id, a.tier) for a in fuac.rulesets_for("420102003", level="township", on=on)] == [
        ("wuhan-2017", "street")]
    assert fuac.rulesets_for("420102003", level="township", on="2017-01-01") == []  # before its validity


ENTRY_POINTS = {
    "evaluate": lambda on: fuac.evaluate(MINI, UNIT, on=on),
    "evaluate_many": lambda on: fuac.evaluate_many(MINI, [UNIT], on=on),
    "evaluate_chunks": lambda on: next(fuac.evaluate_chunks(MINI, [UNIT], on=on)),
    "evaluate_partition": lambda on: fuac.evaluate_partition(_frame(), MINI, on=on),
    "cohort_table": lambda on: fuac.cohort_table(MINI, [UNIT], on=on),
    "rulesets_for": lambda on: fuac.rulesets_for("450204", on=on),
    "diff replay": lambda on: _replay(on),
}


def _frame() -> Any:
    pd = pytest.importorskip("pandas")
    return pd.DataFrame([UNIT])


def _replay(on: Any) -> Any:
    from fuac.explain.diff import replay

    rs = fuac.load(MINI)
    return replay(rs, rs, [{"data": UNIT, "on": on}])


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(("on", "shown"), BAD)
def test_a_bad_date_is_one_error_naming_the_argument_and_the_value(entry: str, on: Any, shown: str) -> None:
    with pytest.raises(InputError) as info:
        ENTRY_POINTS[entry](on)
    assert str(info.value) == f"on {WANT}{shown}"


@pytest.mark.parametrize("entry", ["evaluate", "evaluate_many", "evaluate_chunks", "cohort_table"])
def test_a_bad_date_in_the_context_names_the_context(entry: str) -> None:
    calls = {
        "evaluate": lambda: fuac.evaluate(MINI, UNIT, context={"on": "yesterday"}),
        "evaluate_many": lambda: fuac.evaluate_many(MINI, [UNIT], context={"on": "yesterday"}),
        "evaluate_chunks": lambda: next(fuac.evaluate_chunks(MINI, [UNIT], context={"on": "yesterday"})),
        "cohort_table": lambda: fuac.cohort_table(MINI, [UNIT], context={"on": "yesterday"}),
    }
    with pytest.raises(InputError) as info:
        calls[entry]()
    assert str(info.value) == f"context['on'] {WANT}'yesterday'"


def test_a_context_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InputError) as info:
        fuac.evaluate(MINI, UNIT, context=["on", "2023-11-30"])  # type: ignore[arg-type]
    assert str(info.value) == "context must be a mapping, not list"


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(InputError) as info:
        fuac.evaluate(MINI, UNIT, on="x" * 500)
    assert str(info.value) == f"on {WANT}{repr('x' * 500)[:79]}…"


def test_the_command_line_refuses_a_bad_date_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from fuac.cli import main

    unit = tmp_path / "unit.json"
    unit.write_text('{"data": {"institutions": 9}}', encoding="utf-8")
    assert main(["evaluate", str(MINI), str(unit), "--on", "yesterday"]) == 2
    assert capsys.readouterr().err == f"fuac: on {WANT}'yesterday'\n"
    assert main(["evaluate", str(MINI), str(unit), "--on", "2024-06-01", "--json"]) == 1  # inputs missing
    assert '"on": "2024-06-01"' in capsys.readouterr().out
