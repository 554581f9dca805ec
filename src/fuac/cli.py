"""The ``fuac`` command. See ``docs/cli.md``.

Exit status: 0 success; 1 a check, case or evaluation found problems; 2 the
command could not run (bad arguments, no such rule set or file).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import _api
from .cases.runner import find_case_files, registered_case_files, run_file, summarize
from .errors import FuacError, InputError, RulesetError
from .language.statuses import STATUS_WORDS
from .language.toml import read_toml
from .language.words import fmt_number, section_heading
from .run.files import read_json, read_json_file
from .run.inputs import as_date
from .run.results import Evaluation, ItemResult


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(0, n - width(s))


# ---------------------------------------------------------------------------
# input files


def read_input(path: str) -> dict[str, Any]:
    """Read a unit's input: TOML or JSON. With a ``data`` table the file may also hold
    ``assessments``, ``context``, ``tier`` and ``on``; otherwise the whole file is data."""
    p = Path(path)
    if path == "-":  # `fuac evaluate ID -`: the unit from standard input, JSON or TOML
        doc = read_stdin()
    elif not p.is_file():
        raise InputError(f"no input file at {path!r}")
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
        raise InputError(f"{path}: the input must be an object/table")
    if "data" not in doc:
        return {"data": doc}
    allowed = {"data", "assessments", "context", "tier", "on", "assessor"}
    extra = set(doc) - allowed
    if extra:
        raise InputError(f"{path}: unknown top-level key(s) {sorted(extra)}; allowed: {sorted(allowed)}")
    return doc


def read_stdin() -> Any:
    """A unit's input from standard input: JSON when it starts with ``{``, else TOML."""
    raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise InputError("<stdin>: no input; give the unit as JSON or TOML")
    if raw.lstrip()[:1] in (b"{", b"["):
        return read_json(raw, "<stdin>")
    try:
        doc, _, _ = read_toml(text=raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("<stdin>: not UTF-8 text") from None
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
        print(f"ok  {f}  ({rs.id} {rs.version}, {len(rs.plans)} tier(s), {n} item(s))")
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
        raise InputError(f"nothing was recorded: {exc}") from None
    finally:
        store.close()
    print(f"记录 / recorded: assessment {', '.join(str(i) for i in ids)} in {store.where}",
          file=sys.stderr if args.json else sys.stdout)


def evaluate_input(args: argparse.Namespace, units: list[dict[str, Any]] | None = None) -> list[Evaluation]:
    """Score every unit of ``args.input`` (a workbook may hold several, side by side); ``units``,
    when given, gets each unit read."""
    doc = read_input(args.input)
    meta = doc.get("_meta") or {}
    for p in doc.get("_problems") or []:
        said = {"zh": p.message_zh, "en": p.message}.get(args.lang, f"{p.message_zh}（{p.message}）")
        print(f"fuac: [{p.severity}] {said}", file=sys.stderr)
    evs = []
    for unit in doc.get("units") or [doc]:
        ev = _evaluate_doc(args, unit)
        if meta.get("ruleset") and meta["ruleset"] != ev.ruleset_id:
            print(
                f"fuac: warning: {args.input} was made for rule set {meta['ruleset']!r}, "
                f"scored against {ev.ruleset_id!r}",
                file=sys.stderr,
            )
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
    return _api.evaluate(
        args.ruleset,
        doc["data"],
        tier=args.tier or doc.get("tier"),
        context=context,
        assessments=doc.get("assessments"),
        assessor=args.assessor or doc.get("assessor"),
        on=as_date(on) if on is not None else None,
    )


def cmd_template(args: argparse.Namespace) -> int:
    from .render.workbook import write_template

    if not args.output.lower().endswith(".xlsx"):
        raise InputError(f"-o: {args.output!r} must end in .xlsx")
    write_template(args.ruleset, args.output, tier=args.tier, units=args.unit or ())
    print(f"填报表 / fill-in workbook: {args.output}")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    if args.output:
        from .render.lists import check_list_output

        check_list_output(args.output, "the rectification list")  # before anything is scored
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
        raise InputError(f"no record of assessments at {url.removeprefix('sqlite:///')} "
                         "(`fuac serve` makes it; --db or $FUAC_DB names another)")
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
        print(f"{write_log(records, args.output):,} assessment(s) → {args.output}")
    elif args.json:
        print(exact.dumps(records))
    else:
        for r in records:
            unit = r["unit"]["name"] or r["unit"]["code"] or "—"
            revises = f"  revises {r['revises']}" if r["revises"] else ""
            print(f"{r['id']:>6}  {r['recorded_at'][:19].replace('T', ' ')}  {pad(unit, 24)} "
                  f"{r['ruleset']['id']} {r['ruleset']['version']}  {r['tier'] or '-'}  "
                  f"{r['total'] or '—'}  {r['submitted_by']}{revises}")
        print(f"{len(records):,} assessment(s)", file=sys.stderr)
    return 0


def _log_cycle(args: argparse.Namespace) -> tuple[int, int] | None:
    """``fuac log --cycle YEAR``: the first and last year of the rule set's cycle holding YEAR."""
    if args.cycle is None:
        return None
    if not args.ruleset:
        raise InputError("--cycle needs --ruleset: the rule set's [cycle] says which years a cycle holds")
    from .decide.lifecycle import cycle_of

    try:
        span = cycle_of(args.ruleset, args.cycle)
    except (ValueError, FuacError) as exc:
        raise InputError(f"--cycle {args.cycle}: {exc}") from None
    return span.first_year, span.last_year


def _service_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="serve the JSON API on 127.0.0.1, recording every assessment")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.add_argument("--db", metavar="URL", help="the record: a SQLite file or a postgresql:// URL "
                                               "(default: $FUAC_DB, else the user's data folder)")
    s.add_argument("--tokens", metavar="FILE", help="API tokens, name:token a line (also $FUAC_TOKENS)")
    s.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    s.add_argument("--max-body", metavar="SIZE", help="largest request body (default 1M)")
    s.add_argument("--max-upload", metavar="SIZE", help="largest batch upload (default 64M)")
    s.add_argument("--max-seconds", type=float, metavar="S",
                   help="longest a request may take before its answer starts (default 60; a body may stall 30)")
    s.add_argument("--root-path", metavar="PATH", default="", help="the path prefix a reverse proxy serves it under")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("log", help="list or export the recorded assessments")
    s.add_argument("--db", metavar="URL", help="the record (default: $FUAC_DB, else the user's data folder)")
    s.add_argument("--unit", help="only this unit (its code or its name)")
    s.add_argument("--ruleset", help="only assessments against this rule-set id")
    s.add_argument("--since", metavar="DATE", help="recorded on or after (YYYY-MM-DD or an ISO time)")
    s.add_argument("--until", metavar="DATE", help="recorded on or before (a date: the whole day)")
    s.add_argument("--cycle", type=int, metavar="YEAR",
                   help="only assessments whose date in force is in the cycle holding YEAR (needs --ruleset)")
    s.add_argument("--limit", type=int, help="at most this many (the oldest first)")
    s.add_argument("-o", "--output", metavar="FILE", help="write them to .csv, .xlsx or .jsonl")
    s.add_argument("--json", action="store_true", help="print them, every field, as JSON")
    s.set_defaults(func=cmd_log)


def cmd_test(args: argparse.Namespace) -> int:
    files = find_case_files(args.paths) if args.paths else registered_case_files()
    if not files:
        print("no *.test.toml files found", file=sys.stderr)
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
    print(f"{passed} passed, {failed} failed" + (f", {unreadable} file(s) unreadable" if unreadable else ""))
    return 1 if failed or unreadable else 0


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
        print("fuac docs: give a rule set or --all (not both)", file=sys.stderr)
        return 2
    if not args.all:
        page = ruleset_page(_api.load(args.ruleset))
        if args.output is None:
            sys.stdout.write(page)
        else:
            Path(args.output).write_text(page, encoding="utf-8", newline="\n")
        return 0
    if args.output is None:
        print("fuac docs --all: give the folder to write to with -o DIR", file=sys.stderr)
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
        print(f"wrote {folder / f'{rid}.md'}")
        loaded.append(rs)
    (folder / "index.md").write_text(index_page(loaded), encoding="utf-8", newline="\n")
    print(f"wrote {folder / 'index.md'}")
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
                raise InputError(f"{path}: 'units' must be a list of tables, each with 'data'")
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
    progress = Progress(enabled=not args.no_progress)
    counts: dict[str, int] = {}
    report: dict[str, Any] = {}
    rows = 0
    state: dict[str, Any] = {}
    tally = ProblemTally()
    try:
        for k, res in enumerate(evaluate_chunks(args.ruleset, _input_file(args), progress=progress,
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
        raise InputError(f"{path}: {option} takes a TOML or JSON file")
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


def cmd_rank(args: argparse.Namespace) -> int:
    """Exit 1 when no unit could be ranked and some were set aside for invalid input."""
    from .run.batch.results import ProblemTally

    if args.output:
        from .render.lists import check_list_output

        check_list_output(args.output, "the recommended list")  # before anything is scored
    rs = _api.load(args.ruleset)
    tier = rs.plan(args.tier).tier
    used, sizes = _rank_mappings(args, rs, tier)
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
        raise InputError(f"{args.output}: write the title table to .csv, .xlsx or .jsonl")
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
        print(f"{len(table):,} rows → {args.output}")
    else:
        _render_titles(table, rs, args.lang)
    if table.errors:
        print(f"fuac: {len(table.errors)} unit(s) with errors in {args.history or 'the store'}", file=sys.stderr)
    return 1 if table.errors else 0


def _titles_history(args: argparse.Namespace, rs: Any) -> Any:
    """The history ``fuac titles`` reads: the file, or (``--import``, ``--from-store``) the store's."""
    if not (args.import_history or args.from_store):
        if args.history is None:
            raise InputError("give the history file, or --from-store to read the titles recorded in the store")
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


def _batch_parser(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("ruleset", help="rule-set id or path to a rule file")
    common.add_argument("input", help="units: .csv, .jsonl, .xlsx, .parquet or .json (a list of records)")
    common.add_argument("--encoding", help="a CSV file's text encoding (default: detected: UTF-8, UTF-16, GB18030)")
    common.add_argument("--sheet", help="a workbook's sheet (default: the active one, else one with known columns)")
    common.add_argument("--tier", help="tier every unit is scored at")
    common.add_argument("--on", help="date whose parameters apply (YYYY-MM-DD)")
    common.add_argument("--backend", choices=("auto", "vector", "python"), default="auto",
                        help="compiled (default) or the single-unit path for every row")
    common.add_argument("--chunk-size", type=int, default=0, help="rows scored at a time")
    common.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    common.add_argument("--json", action="store_true", help="print JSON")
    common.add_argument("--lang", choices=("zh", "en", "both"), default="zh", help="language (default zh)")

    s = sub.add_parser("batch", parents=[common], help="score many units (a table) and write one row per unit")
    s.add_argument("-o", "--output", help="write the result rows to .csv, .jsonl, .parquet or .xlsx, chunk by chunk")
    s.add_argument("--exact", action="store_true", help="points as exact decimals (text) instead of numbers")
    s.set_defaults(func=cmd_batch)

    s = sub.add_parser("rank", parents=[common], help="score many units, rank them and apply the quotas")
    s.add_argument("--reserves", type=int, help="how many reserves to name (default: the rule set's)")
    s.add_argument("--universe", type=int, help="the number of all units a share of all units is taken of")
    s.add_argument("--used", metavar="FILE",
                   help="TOML or JSON: by quota id, units already named this cycle or year (per region: a table)")
    s.add_argument("--parent-sizes", metavar="FILE",
                   help="TOML or JSON: parent-region code → its number of units, for caps that depend on it")
    s.add_argument("--all", action="store_true", help="list every unit with the reason it is in or out")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="write the recommended list to FILE.xlsx or FILE.html (printable) instead of printing it")
    s.set_defaults(func=cmd_rank)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fuac", description="Score places against advanced-unit evaluation schemes.")
    p.add_argument("--version", action="version", version=f"fuac {__import__('fuac').__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("list", help="list the rule sets available")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("show", help="show a rule set: metadata, tiers, sections, items, vetoes")
    s.add_argument("ruleset", help="rule-set id or path to a rule file")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("check", help="check rule files; exit 1 if any has an error")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.set_defaults(func=cmd_check)

    # what evaluate and gaps read: one unit's input file
    unit = argparse.ArgumentParser(add_help=False)
    unit.add_argument("ruleset", help="rule-set id or path to a rule file")
    unit.add_argument("input", help="input file (.toml, .json, or .xlsx from 'fuac template'); - reads stdin")
    unit.add_argument("--tier", help="tier to score (district, street, village …)")
    unit.add_argument("--on", help="date whose parameters apply (YYYY-MM-DD)")
    unit.add_argument("--assessor", help="use this assessor's entries (e.g. self, verification)")
    unit.add_argument("--lang", choices=("zh", "en", "both"), default="zh", help="language (default zh)")

    s = sub.add_parser("evaluate", parents=[unit],
                       help="score one unit from a TOML or JSON input file (or the units of a workbook)")
    s.add_argument("--json", action="store_true", help="print the full result as JSON")
    s.add_argument("--report", metavar="FILE", help="also write the score sheet: FILE.html (printable) or FILE.xlsx")
    s.add_argument("--record", action="store_true",
                   help="also keep each evaluation in the record of assessments (fuac log; needs fuac[serve])")
    s.add_argument("--db", metavar="URL", help="with --record: a SQLite file or a postgresql:// URL "
                                               "(default: $FUAC_DB, else the user's data folder)")
    s.add_argument("--by", metavar="NAME", help="with --record: who submitted it (default: the user's login name)")
    s.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("schema", help="print the JSON Schema of a rule set's input")
    s.add_argument("ruleset")
    s.add_argument("--tier")
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("diff", help="what changed between two rule sets; --replay shows totals and ranks")
    s.add_argument("a", help="rule set A (id or path)")
    s.add_argument("b", help="rule set B (id or path)")
    s.add_argument("--replay", nargs="+", metavar="INPUT", help="input files of units to score with both")
    s.add_argument("--json", action="store_true", help="print the changes (and replay) as JSON")
    s.set_defaults(func=cmd_diff)

    s = sub.add_parser("test", help="run *.test.toml cases (default: those beside the registered rule sets)")
    s.add_argument("paths", nargs="*", metavar="PATH")
    s.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    s.add_argument("--mutants", action="store_true",
                   help="change each threshold, comparator and point value of the rule file in turn; "
                        "list the changes no case catches")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("docs", help="write the Markdown page of a rule set (or of all of them)")
    s.add_argument("ruleset", nargs="?", help="rule-set id or path to a rule file")
    s.add_argument("--all", action="store_true", help="every registered rule set, into the folder given by -o")
    s.add_argument("-o", "--output", metavar="PATH", help="file (or, with --all, folder) to write; default stdout")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("template", help="write a fill-in workbook (.xlsx) for a rule set")
    s.add_argument("ruleset", help="rule-set id or path to a rule file")
    s.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="workbook to write")
    s.add_argument("--tier", help="tier whose indicators and items to include")
    s.add_argument("--unit", action="append", metavar="NAME", help="a unit's value column (repeat for several)")
    s.set_defaults(func=cmd_template)

    s = sub.add_parser("gaps", parents=[unit], help="rectification list: where points were lost and what recovers them")
    s.add_argument("--json", action="store_true", help="print the list as JSON")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="write the list to FILE.xlsx or FILE.html (printable) instead of printing it")
    s.set_defaults(func=cmd_gaps)

    _batch_parser(sub)

    s = sub.add_parser("titles", help="title status (held, extended, lapsed, revoked) of every unit of a history")
    s.add_argument("ruleset", help="rule-set id or path to a rule file (with a [cycle])")
    s.add_argument("history", nargs="?", help="awards, one per row (unit, year, level[, revoked, revoked_year, "
                                              "extended_until]): .csv, .jsonl, .xlsx, .parquet or .json")
    s.add_argument("--year", type=int, required=True, help="the year whose status to give")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--import", dest="import_history", action="store_true",
                       help="record the history's awards, revocations and extensions in the store (all or none), "
                            "then give the status of every title the store holds")
    where.add_argument("--from-store", action="store_true", help="read the titles recorded in the store (no file)")
    s.add_argument("--db", metavar="URL", help="the store (default: $FUAC_DB, else the user's data folder)")
    s.add_argument("--level", help="only this level's titles (default: each level a unit has)")
    s.add_argument("-o", "--output", metavar="OUT", help="write the table to .csv, .xlsx or .jsonl")
    s.add_argument("--json", action="store_true", help="print the table as JSON")
    s.add_argument("--lang", choices=("zh", "en", "both"), default="zh", help="language (default zh)")
    s.set_defaults(func=cmd_titles)

    _service_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RulesetError as exc:
        for p in exc.problems or [exc]:
            print(str(p), file=sys.stderr)
        return 2
    except (FuacError, FileNotFoundError) as exc:
        print(f"fuac: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
