"""``fuac serve``: ranking with quotas and the difference between two rule sets over HTTP, and the
JSON Schema of an evaluation's answer, checked against real answers of every built-in rule set.

Each answer is compared with what the library gives for the same input (``BatchResults.select``,
``explain.diff``), as ``fuac rank --json`` and ``fuac diff --json`` print it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

import fuac
from fuac.cli import main
from fuac.explain.diff import diff
from fuac.language.toml import read_toml
from fuac.serve import exact
from test_select import counties, unit
from test_serve import ROOT, client, error_of, post, store_of

jsonschema = pytest.importorskip("jsonschema")

RANK = "/v1/rulesets/guangdong-2020/rank"
ON = "2023-10-01"


@pytest.fixture
def c(tmp_path: Path) -> Iterator[Any]:
    with client(tmp_path) as tc:
        yield tc


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(exact.dumps(r) + "\n" for r in records).encode("utf-8")


# ---------------------------------------------------------------------------
# rank


def test_rank_is_the_library_s_selection_within_the_quotas(c: Any, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    units = counties("4401", 7)  # 7 eligible counties of one city: 15 % of 7 is 1.05, floor 1
    resp = post(c, f"{RANK}?tier=county&on={ON}", jsonl(units), "application/x-ndjson")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    sel = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON).select()
    assert body["recommended"] == [0] and body["units"][0]["unit"] == "u440101"
    assert {k: v for k, v in body.items() if k not in ("invalid_input", "assessments")} == sel.to_dict()
    assert body["invalid_input"] == {"units": 0, "problems": []}
    # every unit scored is recorded, in one transaction, as the batch records them
    assert body["assessments"] == [1, 2, 3, 4, 5, 6, 7]
    assert store_of(c).count() == 7 and store_of(c).get(1)["source"] == "api-rank"  # type: ignore[index]
    # what fuac rank --json prints for the same file
    path = tmp_path / "units.jsonl"
    path.write_bytes(jsonl(units))
    assert main(["rank", "guangdong-2020", str(path), "--tier", "county", "--on", ON, "--json", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out) == {k: v for k, v in body.items() if k != "assessments"}


def test_rank_with_used_places_reserves_and_one_language(c: Any) -> None:
    units = counties("4401", 7)
    used = exact.dumps({"named_share": 1})
    resp = post(c, f"{RANK}?tier=county&on={ON}&record=false&reserves=2&lang=en&used={used}", jsonl(units),
                "application/x-ndjson")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    sel = fuac.evaluate_many("guangdong-2020", units, tier="county", on=ON).select(reserves=2,
                                                                                   used={"named_share": 1})
    assert body["recommended"] == [p.index for p in sel.recommended]
    assert body["reserves"] == [p.index for p in sel.reserves] and len(body["reserves"]) == 2
    assert body["units"][0]["reason"] == sel.picks[0].reason.en
    assert "assessments" not in body and store_of(c).count() == 0


def test_rank_of_a_csv_upload_sets_invalid_units_aside(c: Any) -> None:
    rows = [unit("wuhan-2017", "street", f"42010200{j}", 10 - j) for j in range(3)]
    rows[2]["one_vote_veto_3y"] = "maybe"
    header = list(rows[0])
    text = ",".join(header) + "\n" + "".join(",".join(str(r[h]).lower() if isinstance(r[h], bool) else str(r[h])
                                                      for h in header) + "\n" for r in rows)
    resp = c.post(f"/v1/rulesets/wuhan-2017/rank?tier=street&on={ON}",
                  files={"file": ("streets.csv", text.encode("utf-8"), "text/csv")})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["invalid_input"]["units"] == 1
    assert body["invalid_input"]["problems"][0]["field"] == "one_vote_veto_3y"
    assert body["units"][2]["rank"] is None and body["assessments"][2] is None
    assert [u["rank"] for u in body["units"][:2]] == [1, 2]
    assert store_of(c).count() == 2


@pytest.mark.parametrize(("query", "status", "code", "field"), [
    ("tier=county&used={\"nope\": 1}", 422, "invalid_parameter", "query.used"),
    ("tier=county&used=[1]", 422, "invalid_parameter", "query.used"),
    ("tier=county&parent_sizes={\"4401\": -1}", 422, "invalid_parameter", "query.parent_sizes"),
    ("", 422, "tier_not_found", "query.tier"),
    ("tier=county&reserves=-1", 422, "invalid_parameter", "query.reserves"),
])
def test_rank_refuses_bad_parameters_before_reading_the_body(c: Any, query: str, status: int, code: str,
                                                             field: str) -> None:
    resp = post(c, f"{RANK}?{query}", jsonl(counties("4401", 2)), "application/x-ndjson")
    assert resp.status_code == status, resp.text
    err = error_of(resp)
    assert err["code"] == code and field in [p["field"] for p in err["problems"]]
    assert store_of(c).count() == 0


def test_rank_errors_are_one_json_error(c: Any) -> None:
    assert error_of(post(c, "/v1/rulesets/nope/rank?tier=county", b"{}\n", "application/x-ndjson"))["code"] == \
        "ruleset_not_found"
    err = error_of(post(c, f"{RANK}?tier=county", b'{"code": "440101"}\n{oops\n', "application/x-ndjson"))
    assert err["code"] == "unreadable_input" and "/tmp" not in json.dumps(err)
    assert error_of(post(c, f"{RANK}?tier=county", b"%PDF", "application/pdf"))["code"] == "unsupported_media_type"
    assert store_of(c).count() == 0


# ---------------------------------------------------------------------------
# diff


def test_diff_of_two_rule_sets_is_the_library_s(c: Any, capsys: pytest.CaptureFixture[str]) -> None:
    resp = c.get("/v1/diff?a=liunan-2023&b=wuhan-2017")
    assert resp.status_code == 200
    body = resp.json()
    a, b = fuac.load("liunan-2023"), fuac.load("wuhan-2017")
    changes = diff(a, b)
    assert body["a"] == {"id": "liunan-2023", "version": a.version, "content_hash": a.content_hash}
    assert [ch["description"] for ch in body["changes"]] == [ch.describe() for ch in changes]
    assert main(["diff", "liunan-2023", "wuhan-2017", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [{k: v for k, v in ch.items() if k != "description"} for ch in body["changes"]] == printed["changes"]
    assert body["changes"][0]["description"] == "scheme total changed: total: 100 → —"
    assert c.get("/v1/diff?a=wuhan-2017&b=wuhan-2017").json()["changes"] == []


def test_diff_names_the_unknown_rule_set(c: Any) -> None:
    err = error_of(c.get("/v1/diff?a=liunan-2023&b=liunan-2099"))
    assert err["status"] == 404 and err["code"] == "ruleset_not_found"
    assert [p["field"] for p in err["problems"]] == ["query.b"]
    assert error_of(c.get("/v1/diff?b=liunan-2023"))["problems"][0]["field"] == "query.a"


# ---------------------------------------------------------------------------
# the output JSON Schema


EXAMPLES = sorted((ROOT / "examples" / "data").glob("*.toml"))


def answers(c: Any, lang: str, view: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Real answers of evaluate: each bundled example, and a unit of each rule set and tier with no data."""
    for path in EXAMPLES:
        rid = path.stem.rsplit("-", 1)[0]
        resp = post(c, f"/v1/rulesets/{rid}/evaluate?lang={lang}&view={view}", path.read_bytes(), "application/toml")
        assert resp.status_code == 200, (path, resp.text)
        yield path.name, resp.json()
    for rid in fuac.rulesets():
        for tier in fuac.load(rid).tiers:
            doc = {"data": {}, "tier": tier, "context": {"code": "420106003"}, "on": "2023-08-31"}
            resp = post(c, f"/v1/rulesets/{rid}/evaluate?lang={lang}&view={view}&record=false",
                        exact.dumps(doc).encode())
            assert resp.status_code == 200, resp.text
            yield f"{rid}/{tier}", resp.json()


@pytest.mark.parametrize("lang", ["both", "zh", "en"])
@pytest.mark.parametrize("view", ["full", "compact"])
def test_every_answer_of_every_rule_set_fits_the_output_schema(c: Any, lang: str, view: str) -> None:
    schema = c.get(f"/v1/schema/evaluation?view={view}&lang={lang}").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    seen = 0
    for name, body in answers(c, lang, view):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(body)]
        assert errors == [], name
        seen += 1
    assert seen == len(EXAMPLES) + sum(len(fuac.load(r).tiers) for r in fuac.rulesets())
    # the no-data wuhan-2017 units had their "revoked last cycle" filled in from the (empty) store
    assert "filled" in body or not fuac.lifecycle.revoked_indicator(body["ruleset"]["id"])


def test_the_output_schema_refuses_what_an_evaluation_never_is(c: Any) -> None:
    schema = c.get("/v1/schema/evaluation").json()
    check = jsonschema.Draft202012Validator(schema)
    doc, _, _ = read_toml(EXAMPLES[0])
    good = post(c, "/v1/rulesets/guangdong-2020/evaluate?record=false", exact.dumps(doc).encode()).json()
    assert check.is_valid(good)
    for change in ({"total": 86.1}, {"total": "8.10"}, {"colour": 1}, {"vetoed": None},
                   {"items": [{**good["items"][0], "status": "great"}]}, {"sections": [{"id": "1"}]},
                   {"title": "only one language"}):
        assert not check.is_valid({**good, **change}), change
    del good["problems"]
    assert not check.is_valid(good)
    zh = c.get("/v1/schema/evaluation?lang=zh&view=compact").json()
    assert "items" not in zh["properties"] and zh["properties"]["grade"]["anyOf"][0]["type"] == "string"
    assert error_of(c.get("/v1/schema/evaluation?view=short"))["problems"][0]["field"] == "query.view"
