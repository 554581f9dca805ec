"""The notebook displays (``_repr_html_``) of every result, the section metadata of a batch's frames,
the charts (``fuac.render.plot``), and ``examples/notebook.ipynb`` run by nbclient in the venv's kernel.

Without matplotlib, nbclient or ipykernel the tests that need them are skipped locally; under CI
(``CI=true``, where the ``test`` extra installs them) they fail instead.
"""

from __future__ import annotations

import base64
import html
import os
import random
import re
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fuac
from fuac.cli import read_input
from fuac.errors import InputError
from fuac.explain.diff import RuleChanges, diff, replay
from fuac.language.words import fmt_number, section_heading
from fuac.run.batch.results import row_status

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "data" / "liunan-2023-liunan.toml"
NOTEBOOK = EXAMPLES / "notebook.ipynb"
HOSTILE = '<script>alert("$1$")</script>&'
LEFT = "text-align:left !important"


def need(module: str) -> Any:
    """``module``, imported; skipped when missing, except under CI, where the test extra installs it."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{module} is not installed; CI installs the test extra (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed (pip install 'fuac[plot]' / the test extra)")


@pytest.fixture(scope="module")
def unit() -> dict[str, Any]:
    return read_input(str(EXAMPLE))


def evaluate(unit: dict[str, Any], name: str) -> fuac.Evaluation:
    return fuac.evaluate("liunan-2023", unit["data"], context={**unit["context"], "name": name},
                         assessments=unit["assessments"], on=unit["on"])


@pytest.fixture(scope="module")
def rules() -> fuac.RuleSet:
    """liunan-2023 with a regional average computed over each city, and two quotas."""
    return fuac.compose("liunan-2023", {
        "scheme": {"id": "liunan-2023-nb", "version": "t"},
        "indicators": {"childcare_places_per_1000_regional_avg": {
            "cohort": {"of": "childcare_places_per_1000", "parent_level": "city"}}},
        "quotas": [
            {"id": "share", "kind": "share", "per": "cycle", "share": 0.15, "of": "eligible", "rounding": "floor",
             "label": {"zh": "不超过15%<b>", "en": "At most 15 %"}, "clause": "c"},
            {"id": "per_city", "kind": "count_per_parent", "per": "cycle", "count": 2, "parent_level": "city",
             "label": {"zh": "每市最多2个", "en": "At most 2 a city"}, "clause": "c"},
        ],
    })


@pytest.fixture(scope="module")
def records(unit: dict[str, Any]) -> list[dict[str, Any]]:
    """40 units made from the example (a fixed seed): one named with markup, one invalid cell, one
    missing value, one assessor's entry not given, one vetoed."""
    rnd = random.Random(16)
    out = []
    for k in range(40):
        row: dict[str, Any] = {"code": f"45{1 + k % 3:02d}{1 + k // 3:02d}", "name": f"县{k}"}
        for name, value in unit["data"].items():
            if name == "childcare_places_per_1000_regional_avg":
                continue
            if isinstance(value, dict):
                row[name] = value["value"]
            elif isinstance(value, (bool, int)):
                row[name] = value
            else:
                row[name] = min(100.0, round(float(value) * rnd.uniform(0.9, 1.06), 1))
        for key, entry in unit["assessments"].items():
            row[f"assessments.{key}"] = entry["points"]
        out.append(row)
    out[0]["name"] = HOSTILE
    out[1]["premarital_exam_rate"] = "约95"
    out[2]["infant_mortality_rate"] = None
    del out[3]["assessments.1"]
    out[4]["major_safety_accidents_3y"] = 1
    return out


@pytest.fixture(scope="module")
def batch(rules: fuac.RuleSet, records: list[dict[str, Any]], unit: dict[str, Any]) -> fuac.BatchResults:
    return fuac.evaluate_many(rules, records, on=unit["on"])


def cells(fragment: str, row_attr: str) -> list[str]:
    """The texts of the cells of the row with ``row_attr`` (tags dropped)."""
    m = re.search(f"<tr {re.escape(row_attr)}>(.*?)</tr>", fragment)
    assert m, row_attr
    return [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))]


# ---------------------------------------------------------------------------
# the displays


def test_evaluation_table_is_left_aligned_under_jupyters_css(unit: dict[str, Any]) -> None:
    frag = evaluate(unit, HOSTILE)._repr_html_()
    assert frag.startswith('<div class="fuac-ev">')
    assert ".fuac-ev th,.fuac-ev td{" in frag and LEFT in frag
    assert HOSTILE not in frag and html.escape(HOSTILE) in frag


def test_gaps_show_each_item_with_the_points_at_stake_and_what_to_change(unit: dict[str, Any]) -> None:
    gaps = evaluate(unit, HOSTILE).gaps()
    frag = gaps._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="gaps">') and LEFT in frag
    assert "<script>" not in frag and html.escape(HOSTILE) in frag
    assert "整改清单" in frag and "Rectification list" in frag
    assert "逐项整改可挽回 10.4 分" in frag and "recover 10.4 points" in frag
    for g in gaps:
        assert html.escape(g.action_zh) in frag and html.escape(g.action_en) in frag
    assert frag.count('<td class="n">') == 2 * len(gaps)  # points at stake and points now, one row per gap
    row = re.search(r"<tr><td class=\"n\">\+2</td><td>14 (.*?)</tr>", frag)
    assert row and "2 / 4" in row.group(1) and "增加1家" in row.group(1)
    assert [m for m in re.findall(r'data-group="(\w+)"', frag)] == ["changes", "judgement"]


def test_batch_counts_by_status_are_those_of_each_unit_evaluated_alone(batch: fuac.BatchResults) -> None:
    frag = batch._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="batch">') and LEFT in frag
    assert f'data-rows="{batch.n}"' in frag and "40 个单位" in frag
    by_hand = Counter(row_status(batch.evaluation(i)) for i in range(batch.n))
    assert set(by_hand) == {"scored", "invalid_input", "missing_input", "awaiting_assessor"}
    shown = {m: int(n) for m, n in re.findall(r'<tr data-count="status-(\w+)">.*?<td class="n">(\d+)</td>', frag)}
    assert shown == dict(by_hand)
    assert cells(frag, 'data-count="status-invalid_input"')[1:] == ["输入无效 invalid input", "1", "2.5%"]


def test_batch_sections_carry_number_title_maximum_and_the_range_of_points(batch: fuac.BatchResults) -> None:
    frag = batch._repr_html_()
    assert "<script>" not in frag and html.escape(HOSTILE) in frag  # the first rows
    evs = [batch.evaluation(i) for i in range(batch.n)]
    for sec in batch.plan.sections:
        row = re.search(rf"<tr>((?:(?!</tr>).)*?<td>section\.{sec.id}</td>)</tr>", frag)
        assert row, sec.id
        texts = [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]
        points = [ev.reported(ev.section(sec.id).points) for ev in evs]
        assert texts[0] == html.escape(sec.number or "")
        assert texts[1] == f"{sec.title.zh} {sec.title.en}" and texts[2] == fmt_number(sec.max)
        assert Decimal(texts[4]) == min(points) and Decimal(texts[5]) == max(points), sec.id
        assert texts[7] == str(batch.n)
        mean = sum(points, Decimal(0)) / len(points)
        assert abs(Decimal(texts[3]) - mean) <= Decimal("0.005"), sec.id
    assert "（三）（26）" in frag  # the first rows' header: number and maximum
    total = re.search(r'<tr><td class="k"></td>(.*?)</tr>', frag)
    assert total
    texts = [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", total.group(1))]
    totals = [ev.reported_total for ev in evs]
    assert texts[:2] == ["合计 total", "100"] and texts[-1] == "total"
    assert (Decimal(texts[3]), Decimal(texts[4])) == (min(totals), max(totals))


def test_a_checklist_batch_shows_the_share_of_requirements_met() -> None:
    records = [{"code": f"4401{k:02d}", "name": f"县{k}", **{f"assessments.{key}": True for key in keys}}
               for k, keys in enumerate([["1.1"], ["1.1", "1.2", "2.1"], []])]
    res = fuac.evaluate_many("guangdong-2020", records, tier="county", on="2023-10-01")
    frag = res._repr_html_()
    assert all(v["max"] is None for v in res.section_labels().values())
    row = re.search(r'<tr><td class="k"></td>(.*?)</tr>', frag)
    assert row
    texts = [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]
    done = [100 * v for v in res.column("completion").tolist()]
    assert done[2] < done[0] < done[1]
    assert texts[0] == "落实比例 completion" and texts[3:5] == [f"{min(done):.1f}%", f"{max(done):.1f}%"]


def test_frames_keep_their_columns_and_carry_the_sections(batch: fuac.BatchResults) -> None:
    pd = need("pandas")
    labels = batch.section_labels()
    assert list(labels) == [c for c in batch.columns if c.startswith("section.")]
    assert labels["section.3"] == {"number": "（三）", "title_zh": "托育服务发展领先",
                                   "title_en": "Leading childcare services", "max": Decimal("26")}
    assert sum(v["max"] for v in labels.values()) == 100
    df = batch.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == batch.columns
    assert df.attrs["fuac_sections"] == labels
    assert df["section.3"].tolist() == batch.column("section.3").tolist()
    assert batch.to_pandas(exact=True).attrs["fuac_sections"] == labels
    assert df[df["code"].str.startswith("4502")].attrs["fuac_sections"] == labels  # rows of it keep them
    pl = need("polars")
    assert pl.DataFrame is not None and batch.to_polars().columns == batch.columns


def test_selection_lists_the_ranked_units_and_why(batch: fuac.BatchResults) -> None:
    sel = batch.select(reserves=2)
    frag = sel._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="selection">') and LEFT in frag
    assert "<script>" not in frag and "不超过15%<b>" not in frag
    assert html.escape("不超过15%<b>") in frag and "At most 2 a city" in frag
    ranked = sel.ranked
    assert len(sel.recommended) >= 1 and len(sel.reserves) == 2 and len(ranked) < batch.n
    rows = re.findall(r'<tr(?: class="(sel|res)")?><td class="n">(\d+)</td><td class="k">(.*?)</td>', frag)
    shown = ranked[:30]  # the first 30, then how many more
    assert len(ranked) > 30 and f"另有 {len(ranked) - 30} 行" in frag
    assert [(int(r), u) for _, r, u in rows] == [(p.rank, html.escape(p.unit)) for p in shown]
    assert [c for c, _, _ in rows] == ["sel" if p.selected else ("res" if p.reserve else "") for p in shown]
    for p in [*shown, *(p for p in sel.picks if p.rank is None)]:
        assert html.escape(p.reason.zh) in frag and html.escape(p.reason.en) in frag
    aside = [p for p in sel.picks if p.rank is None]
    assert f"未排名 {len(aside)} 个" in frag and f"{len(aside)} set aside" in frag


def test_cohort_table_shows_each_region_with_its_units_and_mean(rules: fuac.RuleSet, records: list[dict[str, Any]],
                                                                unit: dict[str, Any]) -> None:
    table = fuac.cohort_table(rules, records, on=unit["on"])
    frag = table._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="cohort">') and LEFT in frag
    assert "childcare_places_per_1000_regional_avg" in frag
    for region in ("4501", "4502", "4503"):
        value, n = table.value("childcare_places_per_1000_regional_avg", region)
        assert n == sum(1 for r in records if r["code"].startswith(region))
        assert f'<td>{region}</td><td class="n">{n}</td><td class="n">{fmt_number(value)}</td>' in frag


def test_rule_changes_and_replays_show_as_tables(rules: fuac.RuleSet, unit: dict[str, Any]) -> None:
    changes = diff(fuac.load("liunan-2023"), rules)
    assert isinstance(changes, RuleChanges) and isinstance(changes, list)
    frag = changes._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="changes">') and LEFT in frag
    assert "修改" in frag and "childcare_places_per_1000_regional_avg" in frag and "cohort" in frag
    assert changes[0]._repr_html_().count("<tr>") == 2
    moved = replay(fuac.load("liunan-2023"), rules, [{"name": HOSTILE, "data": unit["data"],
                                                      "assessments": unit["assessments"], "on": unit["on"]}])
    frag = moved._repr_html_()
    assert frag.startswith('<div class="fuac-nb" data-fuac="replay">')
    assert html.escape(HOSTILE) in frag and "<script>" not in frag
    assert f"<td>{html.escape(HOSTILE)}</td>" + '<td class="n">86.1</td>' * 2 + '<td class="n">0</td>' in frag


# ---------------------------------------------------------------------------
# the charts


def test_plot_sections_uses_a_cjk_font_for_its_texts_only(batch: fuac.BatchResults) -> None:
    matplotlib = need("matplotlib")
    from fuac.render.plot import cjk_font, plot_sections

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    before = dict(matplotlib.rcParams)
    fig = plot_sections(batch)
    fig.canvas.draw()  # tick labels are made when drawn: after the function has returned
    assert dict(matplotlib.rcParams) == before
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == f"{section_heading('（一）', '组织领导保障有力')}（17分）"
    assert labels[2] == "（三）托育服务发展领先（26分）" and len(labels) == 7
    assert ax.get_title() == "各部分得分率（40个单位）"
    for text in [*ax.get_yticklabels(), *ax.get_xticklabels(), ax.title, ax.xaxis.label]:
        assert text.get_fontfamily()[0] == font
    later = ax.yaxis.get_major_ticks(12)[-1]  # a tick made afterwards (a resize, a tick of the user's)
    assert later.label1.get_fontfamily()[0] == font
    assert matplotlib.rcParams["font.family"] == before["font.family"]


def test_plot_unit_marks_the_units_shares_against_its_cohort(batch: fuac.BatchResults) -> None:
    need("matplotlib")
    from fuac.render.plot import cjk_font, plot_unit

    df = batch.to_pandas()
    city = df[df["code"].str.startswith("4502")]
    fig = plot_unit(city, "县7", lang="en")
    (ax,) = fig.axes
    assert ax.get_title() == f"县7: section scores against {len(city)} units"
    marks = [line for line in ax.lines if line.get_marker() == "D"]
    row = df[df["name"] == "县7"].iloc[0]
    labels = batch.section_labels()
    expected = [row[c] / float(lab["max"]) for c, lab in labels.items()]
    assert [line.get_xdata()[0] for line in marks] == pytest.approx(expected)
    assert [line.get_ydata()[0] for line in marks] == list(range(7, 0, -1))  # the first section at the top
    if cjk_font() is not None:
        assert plot_unit(batch, 7).axes[0].get_title().startswith("县7：各部分得分率与40个单位对比")
    with pytest.raises(InputError, match="no unit 'nobody'"):
        plot_unit(batch, "nobody")
    fig = plot_unit(batch, HOSTILE)  # shown as written: "$1$" is not math text
    fig.canvas.draw()
    assert fig.axes[0].get_title().startswith(HOSTILE.replace("$", r"\$"))


def test_without_a_cjk_font_the_labels_are_english(batch: fuac.BatchResults, records: list[dict[str, Any]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    need("matplotlib")
    from fuac.render import plot

    monkeypatch.setattr(plot, "cjk_font", lambda: None)
    with pytest.warns(plot.PlotFontWarning, match="no CJK font"):
        fig = plot.plot_unit(batch, 7)
    ax = fig.axes[0]
    assert ax.get_title() == f"{records[7]['code']}: section scores against 40 units"  # not its Chinese name
    assert ax.get_yticklabels()[2].get_text() == "Leading childcare services (26)"


def test_without_matplotlib_the_error_names_the_extra(batch: fuac.BatchResults,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from fuac.render import plot
    from fuac.render.workbook import MissingExtra

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtra, match=re.escape("pip install 'fuac[plot]'")):
        plot.plot_sections(batch)


# ---------------------------------------------------------------------------
# the example notebook, run


def kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``python3`` when it starts this interpreter (the venv's); else a kernel spec of this interpreter
    written for the test (found first through JUPYTER_PATH)."""
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_client.manager import KernelManager

    try:
        cmd = KernelManager(kernel_name="python3").format_kernel_cmd()
        if os.path.abspath(cmd[0]) == os.path.abspath(sys.executable):
            return "python3"
    except NoSuchKernel:
        pass
    import json

    spec = tmp_path / "kernels" / "fuac-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fuac test", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    return "fuac-test"


def outputs(nb: Any) -> list[tuple[int, dict[str, Any]]]:
    """(cell index, output data) of every output with data."""
    return [(k, o["data"]) for k, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if "data" in o]


def test_the_example_notebook_runs_and_shows_the_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("ipykernel")
    need("matplotlib")
    nbformat = need("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "keep the notebook without outputs"
    client = NotebookClient(nb, kernel_name=kernel_name(tmp_path, monkeypatch), timeout=300,
                            resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    data = outputs(nb)
    htmls = [d["text/html"] for _, d in data if "text/html" in d]
    texts = [d.get("text/plain", "") for _, d in data]

    def shown(kind: str) -> str:
        found = [h for h in htmls if h.startswith(f'<div class="fuac-nb" data-fuac="{kind}">')]
        assert len(found) == 1, kind
        return found[0]

    (evaluation,) = [h for h in htmls if h.startswith('<div class="fuac-ev">')]
    assert "柳州市柳南区 · liunan-2023 1.0</b> — 86.1 / 100" in evaluation
    assert "逐项整改可挽回 10.4 分" in shown("gaps")
    batch = shown("batch")
    assert 'data-rows="300"' in batch and "300 个单位" in batch
    assert "托育服务发展领先 <span class=\"en\">Leading childcare services</span>" in batch
    counts = {m: int(n) for m, n in re.findall(r'<tr data-count="status-(\w+)">.*?<td class="n">(\d+)</td>', batch)}
    assert sum(counts.values()) == 300 and counts["invalid_input"] >= 1 and counts["missing_input"] >= 1
    assert '<td class="k">450204</td><td class="k">柳州市柳南区</td>' in batch and "<td class=\"n\">86.1</td>" in batch
    assert "'title_zh': '托育服务发展领先'" in "".join(texts) and "'max': Decimal('26')" in "".join(texts)
    assert "排名与名额" in shown("selection") and "每市最多推荐2个" in shown("selection")
    assert "<td>4502</td>" in shown("cohort")
    assert "childcare_places_per_1000_regional_avg" in shown("changes")
    pngs = [base64.b64decode(d["image/png"]) for _, d in data if "image/png" in d]
    assert len(pngs) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") and len(p) > 10_000 for p in pngs)
    assert not any(o.get("name") == "stderr" and "Warning" in o.get("text", "")
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)
