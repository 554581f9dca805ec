"""``fuac evaluate --record``: an evaluation made on the command line kept in the record of
assessments the service keeps (SQLite here), listed by ``fuac log``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fuac
from fuac.cli import main
from fuac.language.toml import read_toml

ROOT = Path(__file__).resolve().parent.parent
LIUNAN = ROOT / "examples" / "data" / "liunan-2023-liunan.toml"


def test_an_evaluation_recorded_and_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sqlalchemy")
    from fuac.serve import exact

    db = str(tmp_path / "record.sqlite3")
    assert main(["evaluate", "liunan-2023", str(LIUNAN), "--record", "--db", db, "--by", "王评估"]) == 0
    out, _ = capsys.readouterr()
    assert "recorded: assessment 1 in" in out
    assert main(["log", "--db", db]) == 0
    out, _ = capsys.readouterr()
    assert "柳州市柳南区" in out and "王评估" in out and "liunan-2023" in out
    assert main(["log", "--db", db, "--json"]) == 0
    (rec,) = json.loads(capsys.readouterr().out)
    doc, _, _ = read_toml(LIUNAN)
    ev = fuac.evaluate("liunan-2023", doc["data"], context=doc.get("context"), assessments=doc.get("assessments"),
                       on=doc.get("on"))
    assert rec["total"] == str(ev.total) and rec["submitted_by"] == "王评估" and rec["source"] == "cli"
    assert rec["unit"] == {"code": "450204", "name": "柳州市柳南区"}
    assert rec["ruleset"]["id"] == "liunan-2023" and rec["ruleset"]["content_hash"] == ev.content_hash
    assert rec["assessments"] == json.loads(exact.dumps(doc["assessments"]))
    assert rec["data"] == json.loads(exact.dumps(doc["data"]))
    # --json still prints only the JSON on standard output; the id goes to standard error
    assert main(["evaluate", "liunan-2023", str(LIUNAN), "--json", "--record", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["total"] == str(ev.total) and "assessment 2" in err


def test_without_the_extra_one_line_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sqlalchemy" else real(name, *a))
    db = tmp_path / "record.sqlite3"
    assert main(["evaluate", "liunan-2023", str(LIUNAN), "--record", "--db", str(db)]) != 0
    out, err = capsys.readouterr()
    assert out == "" and not db.exists()
    assert err.strip().splitlines() == ["fuac: fuac evaluate --record needs SQLAlchemy: pip install 'fuac[serve]'"]


def test_fuac_log_keeps_the_assessments_of_one_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # wuhan-2017's cycles are 2017–2019 and 2020–2022: one assessment dated in each, only the second listed
    pytest.importorskip("sqlalchemy")
    db = str(tmp_path / "record.sqlite3")
    unit = tmp_path / "u.json"
    unit.write_text('{"street_district_target_advanced_3y": true}', encoding="utf-8")
    for on in ("2018-06-01", "2021-06-01"):
        main(["evaluate", "wuhan-2017", str(unit), "--tier", "street", "--on", on, "--record", "--db", db])
    capsys.readouterr()
    assert main(["log", "--db", db, "--ruleset", "wuhan-2017", "--cycle", "2020", "--json"]) == 0
    assert [r["on"] for r in json.loads(capsys.readouterr().out)] == ["2021-06-01"]
    assert main(["log", "--db", db, "--ruleset", "wuhan-2017", "--cycle", "2019", "--json"]) == 0
    assert [r["on"] for r in json.loads(capsys.readouterr().out)] == ["2018-06-01"]
    assert main(["log", "--db", db, "--cycle", "2020"]) == 2
    assert "--cycle needs --ruleset" in capsys.readouterr().err
