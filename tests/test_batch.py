"""fuac.evaluate_many: every input form, one row per record in input order, errors carried,
results as columns and frames, chunked and streamed evaluation, Dask partitions."""

from __future__ import annotations

import datetime as dt
import gc
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import fuac
from fuac.errors import InputError, TierNotFound

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini.toml"
ON = "2023-06-01"

GOOD = {"has_doc": True, "meetings": 2, "institutions": 8, "complaints": 1, "awareness": 92.5, "satisfaction": 88,
        "mmr": 10, "places": 4.5, "places_avg": 3.2, "falsified": False, "accidents": 0}
RECORDS = [
    {"id": "a", "code": "450204001", **GOOD, "assessments.7": 3},
    {"id": "b", **GOOD, "meetings": 1.5, "awareness": 101},  # two invalid values
    {"id": "c", "has_doc": False},  # mostly missing
    {"id": "d", **GOOD, "accidents": 2, "places_avg.source": "2022 yearbook"},  # vetoed
    {"id": "e", **GOOD, "has_doc": False, "meetings": 0, "assessments.7": 2.5,
     "assessments.7.rationale": "partly done"},
]


@pytest.fixture(scope="module")
def res() -> fuac.BatchResults:
    return fuac.evaluate_many(MINI, RECORDS, on=ON)


def test_one_row_per_record_in_order(res: fuac.BatchResults) -> None:
    assert len(res) == 5
    assert res.column("id").tolist() == ["a", "b", "c", "d", "e"]
    assert res.column("status").tolist() == ["scored", "invalid_input", "missing_input", "scored", "scored"]
    assert res.column("errors").tolist()[1] == "meetings: not_integer; awareness: out_of_range"
    assert res.column("vetoed").tolist() == [False, False, False, True, False]
    assert res.column("veto.8").tolist() == [False, False, None, True, False]
    # the valid part of an invalid record is still scored
    assert res.column("item.2.status")[1] == "scored" and res.column("item.1.status")[1] == "invalid_input"


def test_rows_equal_evaluate(res: fuac.BatchResults) -> None:
    for i in range(len(RECORDS)):
        r = res.record(i)
        ev = fuac.evaluate(MINI, r["data"], context=r["context"], assessments=r["assessments"],
                           on=dt.date(2023, 6, 1))
        assert res.evaluation(i).to_dict() == ev.to_dict()
        assert res.column("total", exact=True)[i] == ev.reported_total
        assert res.column("total_exact", exact=True)[i] == ev.total
    assert res.record(4)["assessments"] == {"7": {"value": 2.5, "rationale": "partly done"}}
    assert res.record(3)["data"]["places_avg"] == {"value": 3.2, "source": "2022 yearbook"}
    assert res.evaluation(4).item("7").parts == [] and "partly done" in res.evaluation(4).item("7").reason_zh


def test_columns_and_frames(res: fuac.BatchResults) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("polars")
    cols = res.columns
    assert cols[:4] == ["id", "code", "status", "total"]
    assert {"section.A", "section.B", "item.1", "item.1.status", "item.1.met", "veto.8", "errors"} <= set(cols)
    df = res.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == cols and len(df) == 5
    assert df["total"].dtype == np.float64 and str(df["eligible"].dtype) == "boolean"
    exact = res.to_pandas(exact=True)
    assert isinstance(exact["total_exact"][0], Decimal)
    assert res.to_polars().height == 5
    assert res.to_polars().columns == cols
    dicts = res.to_dicts()
    assert dicts[0]["id"] == "a" and dicts[2]["item.2"] is None
    assert res.status_counts() == {"scored": 3, "invalid_input": 1, "missing_input": 1}
    with pytest.raises(KeyError):
        res.column("nothing")
    assert pd.isna(df["item.2"][2])


def test_every_input_form_gives_the_same(tmp_path: Path, res: fuac.BatchResults) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    flat = [{k: v for k, v in r.items() if not k.startswith("assessments.") and k != "places_avg.source"}
            for r in RECORDS]
    flat[1]["awareness"] = 100.5  # still out of range; a float column for the files
    base = fuac.evaluate_many(MINI, flat, on=ON)
    frame = pd.DataFrame(flat)
    frame.to_csv(tmp_path / "u.csv", index=False)
    frame.to_parquet(tmp_path / "u.parquet")
    frame.to_excel(tmp_path / "u.xlsx", index=False)
    with open(tmp_path / "u.jsonl", "w", encoding="utf-8") as fh:
        for r in flat:
            fh.write(json.dumps(r) + "\n")
    (tmp_path / "u.json").write_text(json.dumps(flat), encoding="utf-8")
    structured = [{"data": {k: v for k, v in r.items() if k not in ("id", "code")},
                   "context": {k: r[k] for k in ("id", "code") if k in r}} for r in flat]
    forms = [iter(flat), structured, frame, pl.from_pandas(frame),
             {c: [r.get(c) for r in flat] for c in frame.columns},
             *(tmp_path / f"u.{s}" for s in ("csv", "parquet", "xlsx", "jsonl", "json"))]
    for form in forms:
        other = fuac.evaluate_many(MINI, form, on=ON)
        for c in ("status", "total", "item.1", "item.4", "veto.8", "errors", "id"):
            got, want = other.column(c).tolist(), base.column(c).tolist()
            assert [None if isinstance(x, float) and x != x else x for x in got] == \
                   [None if isinstance(x, float) and x != x else x for x in want], (type(form), c)


def test_chunks_do_not_change_anything(res: fuac.BatchResults) -> None:
    for size in (1, 2, 3):
        other = fuac.evaluate_many(MINI, RECORDS, on=ON, chunk_size=size)
        for c in res.columns:
            assert other.column(c, exact=True).tolist() == res.column(c, exact=True).tolist(), c


def test_assessments_given_apart() -> None:
    recs = [{k: v for k, v in r.items() if not k.startswith("assessments.")} for r in RECORDS]
    per_record = fuac.evaluate_many(MINI, recs, on=ON, assessments=[{"7": 3}, {}, {}, {}, {"7": 2.5}])
    by_column = fuac.evaluate_many(MINI, recs, on=ON, assessments={"7": [3, None, None, None, 2.5]})
    several = fuac.evaluate_many(MINI, recs, on=ON, assessor="verification", assessments=[
        {}, {}, {}, {}, {"7": [{"points": 1, "assessor": "self"}, {"points": 2.5, "assessor": "verification"}]}])
    for r in (per_record, by_column, several):
        assert r.column("item.7", exact=True)[4] == Decimal("2.5")
        assert r.column("item.7.status")[4] == "scored"
    bad = fuac.evaluate_many(MINI, recs[4:], on=ON, assessments={"7": [9]})
    assert bad.column("errors")[0] == "assessments.7: invalid_assessment"
    assert bad.column("item.7.status")[0] == "awaiting_assessor"


def test_context_date_and_tier() -> None:
    base = {**GOOD, "institutions": 9}
    # the institutions target is 8 from 2023, 10 from 2024 (a parameter by date)
    assert fuac.evaluate_many(MINI, [base], on="2023-06-01").column("item.4", exact=True)[0] == 4
    assert fuac.evaluate_many(MINI, [base], context={"on": "2024-02-01"}).column("item.4", exact=True)[0] == 2
    res = fuac.evaluate_many(MINI, [base], context={"source": "2023 report"}, on=ON)
    assert res.evaluation(0).context == {"source": "2023 report"}
    with pytest.raises(TierNotFound):
        fuac.evaluate_many(DATA / "tiers.toml", [base])
    with pytest.raises(ValueError):
        fuac.evaluate_many(MINI, [base], backend="gpu")
    with pytest.raises(InputError):
        fuac.evaluate_many(MINI, [1, 2])
    with pytest.raises(InputError):
        fuac.evaluate_many(MINI, "nowhere.csv")


def test_empty_input() -> None:
    res = fuac.evaluate_many(MINI, [], on=ON)
    assert len(res) == 0 and res.column("total").tolist() == []
    assert len(res.to_pandas()) == 0


def test_progress_is_reported() -> None:
    calls: list[tuple[int, int | None]] = []
    fuac.evaluate_many(MINI, RECORDS, on=ON, chunk_size=2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_evaluate_chunks_streams(tmp_path: Path, res: fuac.BatchResults) -> None:
    parts = list(fuac.evaluate_chunks(MINI, RECORDS, on=ON, chunk_size=2))
    assert [len(p) for p in parts] == [2, 2, 1]
    assert [p.offset for p in parts] == [0, 2, 4]
    got = [v for p in parts for v in p.column("total_exact", exact=True).tolist()]
    assert got == res.column("total_exact", exact=True).tolist()
    assert parts[2].evaluation(0).to_dict() == res.evaluation(4).to_dict()
    recs = [{k: v for k, v in r.items() if not k.startswith("assessments.")} for r in RECORDS]
    apart = [{"7": 3}, {}, {}, {}, {"7": 2.5}]
    parts = list(fuac.evaluate_chunks(MINI, recs, on=ON, chunk_size=2, assessments=apart))
    assert [v for p in parts for v in p.column("item.7", exact=True).tolist()][4] == Decimal("2.5")


def _csv(path: Path, n: int) -> None:
    pd = pytest.importorskip("pandas")
    rows = [dict(GOOD, id=i, complaints=i % 7) for i in range(n)]
    pd.DataFrame(rows).to_csv(path, index=False)


def _peak(path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        total = 0
        for part in fuac.evaluate_chunks(MINI, path, on=ON, chunk_size=2_000):
            total += int(np.nansum(part.column("total")))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _csv(small, 10_000)
    _csv(large, 60_000)
    a, b = _peak(small), _peak(large)
    assert b < 1.5 * a, (a, b)  # six times the rows, not six times the memory


def test_dask_partitions(res: fuac.BatchResults) -> None:
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame([{k: v for k, v in r.items() if not k.endswith(".source")} for r in RECORDS])
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("assessments.")])
    # Dask turns object columns into text by default: a column of yes/no with gaps would
    # become "True"/"False" strings, which a boolean indicator rejects. Keep a typed column.
    frame["falsified"] = frame["falsified"].astype("boolean")
    ddf = dd.from_pandas(frame, npartitions=3)
    meta = fuac.evaluate_partition(frame.head(0), MINI, on=ON)
    out = ddf.map_partitions(fuac.evaluate_partition, MINI, on=ON, meta=meta)
    for scheduler in ("synchronous", "threads"):
        got = out.compute(scheduler=scheduler)
        want = fuac.evaluate_partition(frame, MINI, on=ON)
        assert got["total"].tolist() == want["total"].tolist()
        assert got["status"].tolist() == want["status"].tolist()


def test_dask_with_a_cohort() -> None:
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    from fuac.run.batch.runner import cohort_table

    rules = DATA / "cohort.toml"
    frame = pd.DataFrame({"code": ["450102", "450103", "450104", "450201"], "population": [100, 300, 0, 50],
                          "places": [2.0, 4.0, 9.0, 3.0], "enrolment": [10.0, 10.0, 11.0, 40.0]})
    ddf = dd.from_pandas(frame, npartitions=2)
    table = cohort_table(rules, ddf, tier="county", on=ON)
    assert table.value("places_avg", "4501") == (Decimal("3.5"), 3)
    meta = fuac.evaluate_partition(frame.head(0), rules, tier="county", on=ON, cohorts=table)
    got = ddf.map_partitions(fuac.evaluate_partition, rules, tier="county", on=ON, cohorts=table,
                             meta=meta).compute(scheduler="threads")
    whole = fuac.evaluate_many(rules, frame, tier="county", on=ON)
    assert got["item.1"].tolist() == whole.column("item.1").tolist()
    assert got["cohort.places_avg"].tolist() == whole.column("cohort.places_avg").tolist()


def test_the_batch_page_links_and_examples() -> None:
    import re

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    root = Path(__file__).parents[1]
    page = (root / "docs" / "batch.md").read_text(encoding="utf-8")
    for m in re.finditer(r"\]\(([^)#\s]+)(#[^)\s]*)?\)", re.sub(r"```.*?```", "", page, flags=re.S)):
        target = m.group(1)
        if not re.match(r"^[a-z]+:", target):
            assert (root / "docs" / target).resolve().exists(), target
    for block in re.findall(r"```toml\n(.*?)```", page, flags=re.S):
        tomllib.loads(block)
