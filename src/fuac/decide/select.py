"""Ranking a batch and applying the rule set's quotas: ``BatchResults.select()``.

1. Units that cannot be recommended are set aside, each with its reason: invalid
   input, a triggered veto, not eligible (or eligibility undecided), an incomplete
   score (missing input, an assessor's entry awaited), below the pass mark.
2. The others are ranked by the rule set's ``[selection] order`` (default: total,
   then completion, for a points scheme; completion, then total where there is one,
   for a checklist); units equal on every key keep their input order, and the
   tie is said.
3. In rank order, a unit is selected when every quota that applies to the tier
   still has room: a share of the eligible (or all, or applying) units, a fixed
   count, a range, and per parent region a count, a share of its units, or a
   number that depends on how many units it has. Otherwise it is left out, naming
   the quota that is full. The first ``reserves`` units left out by a quota are
   reserves (备选).

A quota runs over a cycle or a year (``per``) while a batch is one round of
review: ``used=`` says how many units were already named (or recommended) under a
quota in the current cycle or year, overall or per parent region, and only the
room left (cap − used) is given out.

Each unit's reason is given in Chinese and English.
"""

from __future__ import annotations

import decimal
import itertools
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..language.deprecation import renamed
from ..language.expressions import DECIMAL_CONTEXT
from ..language.models import LEVEL_DIGITS, Quota, Text
from ..language.words import fmt_number
from ..run.results import view

if TYPE_CHECKING:
    from ..run.batch.results import BatchResults

LEVELS = ("province", "city", "county", "township", "village")


@dataclass(slots=True)
class Pick:
    """One unit of a selection: its rank among the candidates, whether selected or a reserve, and why."""

    index: int
    unit: str
    region: str | None
    rank: int | None
    selected: bool
    reserve: bool
    reason: Text
    quota: str | None = None
    key: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "unit": self.unit, "region": self.region, "rank": self.rank,
                "selected": self.selected, "reserve": self.reserve, "quota": self.quota,
                "reason": {"zh": self.reason.zh, "en": self.reason.en},
                "key": [_plain(k) for k in self.key]}


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    return v


@dataclass(slots=True)
class QuotaUse:
    """A quota as applied: what it allows (overall, or per region) and how much of it is used."""

    id: str
    #: the quota's kind (``share``, ``count``, ``count_per_parent`` …)
    quota_kind: str
    per: str
    label: Text
    clause: str
    cap: int | None
    used: int = 0
    caps: dict[str, int] = field(default_factory=dict)  # per parent region
    usage: dict[str, int] = field(default_factory=dict)
    explanation: Text | None = None
    min_count: int | None = None
    #: named or recommended before this selection in the current cycle or year (``used=``):
    #: overall, and per parent region; ``used`` and ``usage`` include them
    before: int = 0
    usage_before: dict[str, int] = field(default_factory=dict)

    #: deprecated name of ``quota_kind``
    kind = renamed("quota_kind")

    @property
    def history(self) -> Text | None:
        """What was used before this selection, in words (None when nothing was)."""
        if self.cap is not None:
            if not self.before:
                return None
            words = _before_words(self, self.before, self.cap)
            return Text(zh=words.zh + "。", en=words.en + ".")
        period, verb = _period_words(self.per), _verb_words(self)
        regions = {r: k for r, k in sorted(self.usage_before.items()) if k}
        if not regions:
            return None
        return Text(zh=f"{period[0]}已{verb[0]}：" + "、".join(f"{r} {k}个" for r, k in regions.items()) + "。",
                    en=f"already {verb[1]} {period[1]}: " + ", ".join(f"{r} {k}" for r, k in regions.items()) + ".")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.quota_kind, "per": self.per,
                "label": {"zh": self.label.zh, "en": self.label.en},
                "clause": self.clause, "cap": self.cap, "used": self.used, "before": self.before,
                "min_count": self.min_count, "caps": dict(self.caps), "usage": dict(self.usage),
                "usage_before": dict(self.usage_before),
                "explanation": None if self.explanation is None else {"zh": self.explanation.zh,
                                                                      "en": self.explanation.en}}


@dataclass
class Selection:
    """The result of :meth:`BatchResults.select`: every unit, with its rank and reason, in input order."""

    ruleset_id: str
    tier: str | None
    order: list[tuple[str, bool]]
    picks: list[Pick]
    quotas: list[QuotaUse]
    notes: list[Text] = field(default_factory=list)

    @property
    def recommended(self) -> list[Pick]:
        """The units selected, best first."""
        return sorted((p for p in self.picks if p.selected), key=lambda p: p.rank or 0)

    @property
    def reserves(self) -> list[Pick]:
        return sorted((p for p in self.picks if p.reserve), key=lambda p: p.rank or 0)

    @property
    def ranked(self) -> list[Pick]:
        """Every candidate, best first (units set aside have no rank and are left out)."""
        return sorted((p for p in self.picks if p.rank is not None), key=lambda p: p.rank or 0)

    def __len__(self) -> int:
        return len(self.picks)

    def __iter__(self) -> Any:
        return iter(self.picks)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.picks]

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset_id, "tier": self.tier,
                "order": [f"{k} {'desc' if d else 'asc'}" for k, d in self.order],
                "recommended": [p.index for p in self.recommended], "reserves": [p.index for p in self.reserves],
                "quotas": [q.to_dict() for q in self.quotas],
                "notes": [{"zh": n.zh, "en": n.en} for n in self.notes],
                "units": self.to_dicts()}

    def _repr_html_(self) -> str:
        """Jupyter's view: the quotas, the ranked units (selected, reserve or not, and why), those set aside."""
        return view("html.selection")(self)

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"index": p.index, "unit": p.unit, "region": p.region, "rank": p.rank,
                              "selected": p.selected, "reserve": p.reserve, "quota": p.quota,
                              "reason_zh": p.reason.zh, "reason_en": p.reason.en} for p in self.picks])


# ---------------------------------------------------------------------------


def _parse_order(order: Sequence[str]) -> list[tuple[str, bool]]:
    out = []
    for key in order:
        parts = key.split()
        if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise ValueError(f"sort key {key!r}: write '<key>', '<key> desc' or '<key> asc'")
        out.append((parts[0], len(parts) == 1 or parts[1] == "desc"))
    return out


def default_order(res: BatchResults) -> list[str]:
    sel = res.ruleset.doc.selection
    if sel is not None:
        return list(sel.order)
    if res.ruleset.scheme_kind == "points":
        return ["total desc", "completion desc"]
    return ["completion desc"]


def _key_values(res: BatchResults, key: str) -> list[Any]:
    """Exact values of a sort key for every row (None where a unit has none)."""
    if key == "total":
        return res.column("total_exact", exact=True).tolist()
    if key in ("completion", "met"):
        return [int(m) for m in res.column("met").tolist()]
    if key == "weighted_completion":
        return res.column(key, exact=True).tolist()
    if key.startswith(("section.", "item.")):
        return res.column(key, exact=True).tolist()
    return res.indicator(key)


def _parent_level(rs: Any, tier_id: str | None, q: Quota | None) -> str:
    if q is not None and q.parent_level is not None:
        return q.parent_level
    tier = rs.tier(tier_id) if tier_id else None
    unit_level = tier.level if tier is not None else rs.meta.jurisdiction[0].level
    top = min((LEVELS.index(j.level) for j in rs.meta.jurisdiction), default=0)
    below = LEVELS[min(top + 1, len(LEVELS) - 1)]
    if LEVELS.index(below) < LEVELS.index(unit_level):
        return below
    return LEVELS[max(LEVELS.index(unit_level) - 1, 0)]


def _region(code: Any, digits: int) -> str | None:
    from ..run.batch.cohort import _code

    c = _code(code)
    if c is None or len(c) < digits:
        return None
    return c[:digits]


def _applies(q: Quota, tier: str | None) -> bool:
    return q.tiers is None or tier in q.tiers


def _label(i: int, context: Mapping[str, Any]) -> str:
    """How a unit is named in a selection: its name, else its id, else its code, else its row (#3)."""
    for name in ("name", "id", "code"):
        col = context.get(name)
        if col is not None and col[i] is not None:
            return str(col[i])
    return f"#{i}"


def select(
    res: BatchResults,
    *,
    order: Sequence[str] | None = None,
    quotas: Sequence[str] | None = None,
    reserves: int | None = None,
    universe: int | None = None,
    parent_sizes: Mapping[str, int] | None = None,
    require_complete: bool = True,
    used: Mapping[str, int | Mapping[str, int]] | None = None,
) -> Selection:
    """Rank the units of ``res`` and apply the rule set's quotas.

    :param order: sort keys, overriding the rule set's ``[selection] order``.
    :param quotas: apply only these quota ids (default: every quota of the tier).
    :param reserves: how many reserves to name (default: the rule set's ``[selection] reserves``).
    :param universe: the number of all units a share ``of = "all"`` is taken of (default: the batch).
    :param parent_sizes: the number of units in each parent region (by its code), for
        ``by_parent_count`` and per-parent shares of all units (default: counted in the batch).
    :param require_complete: set aside units whose score is not complete (missing input,
        an assessor's entry awaited); with False they are ranked on what they have.
    :param used: by quota id, how many units were already named or recommended under it in
        the current cycle or year (as its ``per`` says): a count for a quota over the whole
        batch (share, count, range), or parent-region code → count for a per-parent quota;
        only the room left (cap − used, never below 0) is given out. See :func:`check_used`.
    """
    rs = res.ruleset
    n = res.n
    keys = _parse_order(order if order is not None else default_order(res))
    sel_doc = rs.doc.selection
    n_reserves = reserves if reserves is not None else (sel_doc.reserves if sel_doc is not None else 0)
    context: dict[str, Any] = {name: res.column(name) for name in ("id", "code", "name") if name in res.columns}
    eligible = res.column("eligible")

    # 1. units set aside
    aside = _units_set_aside(res, eligible, require_complete)
    # 2. rank
    ranked, keyed, tied = _rank(res, keys, [i for i in range(n) if i not in aside])
    # 3. quotas
    qs = _quotas_of(rs, res.tier, quotas)
    before = check_used(rs, res.tier, used) if used is not None else {}
    sizes = check_parent_sizes(rs, res.tier, parent_sizes) if parent_sizes is not None else None
    if universe is not None:
        universe = _check_universe(universe, n)
    uses, regions_of, notes = _apply_quotas(res, qs, before, sizes, universe, eligible, context.get("code"))
    # 4. in rank order, selected or left out; the reserves; the units set aside
    picks, left_by_quota = _pick_ranked(context, ranked, keyed, tied, uses, regions_of)
    _name_reserves(picks, left_by_quota, uses, n_reserves)
    for i, why in aside.items():
        picks[i] = Pick(i, _label(i, context), _first_region(regions_of, i), None, False, False, why)
    notes += _short_of_minimum(uses)
    return Selection(rs.id, res.tier, keys, [picks[i] for i in range(n)], uses, notes)


def _units_set_aside(res: BatchResults, eligible: Any, require_complete: bool) -> dict[int, Text]:
    """The units that cannot be recommended, by index, each with its reason."""
    status = res.column("status")
    vetoed = res.column("vetoed")
    complete = res.column("complete")
    passed = res.column("passed")
    rs = res.ruleset
    prog = res._runner.program
    cond_cols = [(c, res.column(f"{'eligibility' if c.group == 'eligibility' else 'veto'}.{c.id}"))
                 for c in prog.conds]
    aside: dict[int, Text] = {}
    for i in range(res.n):
        why = _set_aside(i, status[i], vetoed[i], eligible[i], complete[i], passed[i], cond_cols, rs, prog,
                         require_complete)
        if why is not None:
            aside[i] = _invalid_fields(res, i) if status[i] == "invalid_input" else why
    return aside


def _invalid_fields(res: BatchResults, i: int) -> Text:
    """Why unit ``i`` is set aside for invalid input, naming the values rejected (by their labels)."""
    inds = res.ruleset.doc.indicators
    labels = [inds[p.field].label if p.field in inds else Text(zh=p.field, en=p.field) for p in res.problems(i)]
    if not labels:  # a rule that could not be computed from valid values: its evaluation says which
        return Text(zh="输入无效，不能排名，不予推荐。", en="invalid input: cannot be ranked; not recommended.")
    zh, en = "、".join(t.zh for t in labels), "; ".join(t.en for t in labels)
    return Text(zh=f"输入无效（{zh}），不能排名，不予推荐。",
                en=f"invalid input ({en}): cannot be ranked; not recommended.")


def _rank(res: BatchResults, keys: list[tuple[str, bool]], candidates: list[int]
          ) -> tuple[list[int], dict[int, tuple[Any, ...]], dict[int, int]]:
    """The candidates best first (input order between equals), each one's sort key, and for each unit equal
    to the one before it the rank of the first of those equals."""
    columns = [_key_values(res, k) for k, _ in keys]
    with decimal.localcontext(DECIMAL_CONTEXT):
        keyed = {i: _sort_key(keys, columns, i) for i in candidates}
    ranked = sorted(candidates, key=lambda i: (keyed[i], i))
    rank_of = {i: r + 1 for r, i in enumerate(ranked)}
    tied: dict[int, int] = {}
    for a, b in itertools.pairwise(ranked):
        if keyed[a] == keyed[b]:
            tied[b] = tied.get(a, rank_of[a])
    return ranked, keyed, tied


def _sort_key(keys: list[tuple[str, bool]], columns: list[list[Any]], i: int) -> tuple[Any, ...]:
    """Unit ``i``'s sort key: by each key in turn, a unit without a value after those with one."""
    out: list[Any] = []
    for (_, desc), col in zip(keys, columns, strict=True):
        v = col[i]
        if v is None:
            out += [1, 0]
        else:
            num = Decimal(v) if not isinstance(v, Decimal) else v
            out += [0, -num if desc else num]
    return tuple(out)


def _quotas_of(rs: Any, tier: str | None, quotas: Sequence[str] | None) -> list[Quota]:
    """The quotas of ``tier`` to apply: all of them, or those named in ``quotas`` (each one the rule set has)."""
    qs = [q for q in rs.doc.quotas if _applies(q, tier) and (quotas is None or q.id in quotas)]
    if quotas is not None:
        unknown = set(quotas) - {q.id for q in rs.doc.quotas}
        if unknown:
            raise KeyError(f"rule set {rs.id!r} has no quota {sorted(unknown)}")
    return qs


def _check_universe(universe: Any, n: int) -> int:
    """``universe=`` checked: a count, no smaller than the batch of ``n`` units."""
    universe = _count("universe", universe)
    if universe < n:
        raise ValueError(f"universe: {universe} units in all, but the batch alone has {n}")
    return universe


def _apply_quotas(res: BatchResults, qs: list[Quota], before: Mapping[str, int | dict[str, int]],
                  sizes: Mapping[str, int] | None, universe: int | None, eligible: Any, codes: Any
                  ) -> tuple[list[QuotaUse], dict[str, list[str | None]], list[Text]]:
    """Each quota's room: its cap (overall, or in each region) and what was used before; each unit's region
    for a per-region quota, by quota id; the notes on how the caps were found."""
    rs, n = res.ruleset, res.n
    n_eligible = sum(1 for i in range(n) if eligible[i] is True)
    uses: list[QuotaUse] = []
    regions_of: dict[str, list[str | None]] = {}
    notes: list[Text] = []
    for q in qs:
        use = QuotaUse(q.id, q.kind, q.per, q.label, q.clause, None, min_count=q.min_count)
        given = before.get(q.id)
        if q.kind in _BATCH_WIDE:
            notes += _batch_wide_cap(rs, q, use, n, n_eligible, universe)
            if isinstance(given, int):
                use.before = use.used = given
        else:
            regions_of[q.id] = regions = _regions(rs, res.tier, q, codes, n)
            notes += _per_parent_caps(rs, res.tier, q, use, regions, eligible, sizes)
            if isinstance(given, dict):
                use.usage_before = dict(given)
                use.usage = dict(given)
        notes += _over_cap(use)
        uses.append(use)
    return uses, regions_of, notes


def _batch_wide_cap(rs: Any, q: Quota, use: QuotaUse, n: int, n_eligible: int, universe: int | None) -> list[Text]:
    """A quota over the whole batch: its cap and the reason for it (into ``use``); a note when a share of all
    units is taken of the batch, for want of their number."""
    from . import lifecycle

    notes: list[Text] = []
    base = None
    if q.kind == "share":
        base = {"eligible": n_eligible, "applicants": n, "all": universe if universe is not None else n}[q.of or "all"]
        if q.of == "all" and universe is None:
            notes.append(Text(zh=f"{q.label.zh}：未给出单位总数，以本批{n}个单位计。",
                              en=f"{q.label.en}: the number of all units was not given; the batch's {n} are taken."))
    r = lifecycle.quota_count(rs, q.id, base)
    use.cap = r.count
    use.explanation = r.reason
    return notes


def _pick_ranked(context: Mapping[str, Any], ranked: list[int], keyed: Mapping[int, tuple[Any, ...]],
                 tied: Mapping[int, int], uses: list[QuotaUse], regions_of: Mapping[str, list[str | None]]
                 ) -> tuple[dict[int, Pick], list[int]]:
    """In rank order, each unit selected while every quota has room for it, else left out naming the quota
    that is full; with the units left out by a quota, in rank order."""
    picks: dict[int, Pick] = {}
    left_by_quota: list[int] = []
    for rank, i in enumerate(ranked, 1):
        full, region = _first_full(uses, regions_of, i)
        tie = _tie_words(tied.get(i))
        if full is None:
            _take_place(uses, regions_of, i)
            words = _within(uses)
            picks[i] = Pick(i, _label(i, context), _first_region(regions_of, i), rank, True, False,
                            Text(zh=f"第{rank}名{tie[0]}，在名额内{words[0]}，入选。",
                                 en=f"ranked {rank}{tie[1]}, within the quotas{words[1]}: selected."),
                            None, keyed[i])
        else:
            left_by_quota.append(i)
            zh, en = _left_out_words(full, region, rank, tie)
            picks[i] = Pick(i, _label(i, context), region or _first_region(regions_of, i), rank, False, False,
                            Text(zh=zh, en=en), full.id, keyed[i])
    return picks, left_by_quota


def _take_place(uses: list[QuotaUse], regions_of: Mapping[str, list[str | None]], i: int) -> None:
    """Unit ``i`` counted under every quota: overall, or in its region."""
    for use in uses:
        if use.cap is not None:
            use.used += 1
        else:
            r_ = regions_of[use.id][i]
            assert r_ is not None
            use.usage[r_] = use.usage.get(r_, 0) + 1


def _name_reserves(picks: Mapping[int, Pick], left_by_quota: list[int], uses: list[QuotaUse], n_reserves: int
                   ) -> None:
    """The first ``n_reserves`` units left out by a quota (not for want of a region code) made reserves."""
    k = 0
    for i in left_by_quota:
        if k >= n_reserves:
            break
        p = picks[i]
        if p.region is None and any(u.cap is None for u in uses):
            continue
        k += 1
        p.reserve = True
        p.reason = Text(zh=p.reason.zh.rstrip("。") + f"；列为备选第{k}位。",
                        en=p.reason.en.rstrip(".") + f"; reserve no. {k}.")


_BATCH_WIDE = ("share", "count", "range")


def check_used(rs: Any, tier: str | None, used: Mapping[str, Any]) -> dict[str, int | dict[str, int]]:
    """``used=`` of :meth:`BatchResults.select` checked, by quota id: a count (a whole number
    ≥ 0) for a quota over the whole batch, a mapping of parent-region code → count for a
    per-parent quota, the codes of the quota's parent level (for the quotas of ``tier``).

    :raises KeyError: a quota the rule set does not have.
    :raises ValueError: a count that is not a whole number ≥ 0, a mapping for a quota over the
        whole batch or a count for a per-parent one, a code that is not one of a parent region.
    """
    by_id = {q.id: q for q in rs.doc.quotas}
    unknown = set(used) - set(by_id)
    if unknown:
        raise KeyError(f"used: rule set {rs.id!r} has no quota {sorted(unknown)}")
    out: dict[str, int | dict[str, int]] = {}
    for qid, given in used.items():
        q = by_id[qid]
        where = f"used[{qid!r}]"
        if q.kind in _BATCH_WIDE:
            if isinstance(given, Mapping):
                raise ValueError(f"{where}: quota {qid!r} ({q.kind}) is over the whole batch: give one count, "
                                 "not counts by region")
            out[qid] = _count(where, given)
            continue
        level = _parent_level(rs, tier, q)
        if not isinstance(given, Mapping):
            raise ValueError(f"{where}: quota {qid!r} ({q.kind}) counts per {level}: give a mapping of "
                             f"{level} code → count")
        digits = LEVEL_DIGITS[level]
        out[qid] = _by_region(where, given, {digits} if _applies(q, tier) else set(), f"a {level} ({digits} digits)")
    return out


def check_parent_sizes(rs: Any, tier: str | None, sizes: Mapping[Any, Any]) -> dict[str, int]:
    """``parent_sizes=`` of :meth:`BatchResults.select` checked: region code → number of units
    (a whole number ≥ 0), each code of the parent level of a per-region quota of ``tier``.

    :raises ValueError: a code that is not one of a parent region, a region given twice, a size
        that is not a whole number ≥ 0.
    """
    if not isinstance(sizes, Mapping):
        raise ValueError("parent_sizes: give a mapping of parent-region code → number of units")
    levels = {_parent_level(rs, tier, q) for q in rs.doc.quotas
              if q.kind not in _BATCH_WIDE and _applies(q, tier)}
    what = " or ".join(f"a {lv} ({LEVEL_DIGITS[lv]} digits)" for lv in sorted(levels)) or "a region"
    return _by_region("parent_sizes", sizes, {LEVEL_DIGITS[lv] for lv in levels}, what)


def _by_region(where: str, given: Mapping[Any, Any], lengths: set[int], what: str) -> dict[str, int]:
    """Counts by region code (``used=`` of a per-region quota, ``parent_sizes=``): each key a
    code of one of ``lengths`` digits (any, when empty), given once, each value a count."""
    from ..run.batch.cohort import _code

    out: dict[str, int] = {}
    for key, v in given.items():
        code = _code(key)
        if code is None or (lengths and len(code) not in lengths):
            raise ValueError(f"{where}: {key!r} is not the code of {what}")
        if code in out:
            raise ValueError(f"{where}: region {code} is given twice")
        out[code] = _count(f"{where}[{key!r}]", v)
    return out


def _count(where: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        shown = v if isinstance(v, Decimal) else repr(v)
        raise ValueError(f"{where}: {shown} is not a count (a whole number, 0 or more)")
    return int(v)


def _period_words(per: str) -> tuple[str, str]:
    return {"cycle": ("本周期", "this cycle"), "year": ("本年", "this year")}.get(per, (per, per))


def _verb_words(use: QuotaUse) -> tuple[str, str]:
    """Recommended (推荐) where the quota's text speaks of recommending, else named (命名)."""
    if "推荐" in use.label.zh or "推荐" in use.clause:
        return "推荐", "recommended"
    return "命名", "named"


def _places(k: int) -> str:
    return f"{k} place{'' if k == 1 else 's'}"


def _before_words(use: QuotaUse, before: int, cap: int) -> Text:
    """“本周期已命名12个，剩余名额8个” / “12 already named this cycle, 8 places left”."""
    (pz, pe), (vz, ve), room = _period_words(use.per), _verb_words(use), max(cap - before, 0)
    return Text(zh=f"{pz}已{vz}{before}个，" + (f"剩余名额{room}个" if room else "没有剩余名额"),
                en=f"{before} already {ve} {pe}, " + (f"{_places(room)} left" if room else "no places left"))


def _full_words(use: QuotaUse, before: int, cap: int) -> tuple[str, str]:
    """Why a full quota is full, when some of it was used before this selection."""
    if not before:
        return "", ""
    words, taken = _before_words(use, before, cap), cap > before
    return f"（{words.zh}{'已用完' if taken else ''}）", f"; {words.en}{', now taken' if taken else ''}"


def _over_cap(use: QuotaUse) -> list[Text]:
    """Notes for a quota (or a region of it) already used beyond its cap before this selection."""
    (pz, pe), (vz, ve) = _period_words(use.per), _verb_words(use)
    over = [("", use.before, use.cap)] if use.cap is not None and use.before > use.cap else []
    over += [(r, k, use.caps[r]) for r, k in sorted(use.usage_before.items()) if r in use.caps and k > use.caps[r]]
    return [Text(zh=f"{use.label.zh}：{r}{pz}已{vz}{k}个，超过名额{cap}个。",
                 en=f"{use.label.en}: {k} already {ve} {pe}{' in ' + r if r else ''}, more than its {cap}.")
            for r, k, cap in over]


_LEVEL_ZH = {"province": "省", "city": "市", "county": "县（市、区）", "township": "乡镇（街道）",
             "village": "村（社区）"}


def _first_region(regions_of: Mapping[str, list[str | None]], i: int) -> str | None:
    for regions in regions_of.values():
        if regions[i] is not None:
            return regions[i]
    return None


def _tie_words(with_rank: int | None) -> tuple[str, str]:
    if with_rank is None:
        return "", ""
    return (f"（与第{with_rank}名各项排序依据均相同，按输入顺序排后）",
            f" (equal to rank {with_rank} on every sort key; placed after it by input order)")


def _within(uses: list[QuotaUse]) -> tuple[str, str]:
    if not uses:
        return "（本规则集未规定名额）", " (the rule set sets no quota)"
    return "", ""




def _first_full(uses: list[QuotaUse], regions_of: Mapping[str, list[str | None]], i: int
                ) -> tuple[QuotaUse | None, str | None]:
    """The first quota unit ``i`` cannot fit in (and its region), or (None, None) when it fits in all."""
    for use in uses:
        if use.cap is not None:
            if use.used >= use.cap:
                return use, None
        else:
            r_ = regions_of[use.id][i]
            if r_ is None:
                return use, None
            if use.usage.get(r_, 0) >= use.caps[r_]:  # every ranked unit's region has its cap
                return use, r_
    return None, None


def _left_out_words(full: QuotaUse, region: str | None, rank: int, tie: tuple[str, str]) -> tuple[str, str]:
    """Why a ranked unit is left out by ``full``."""
    if full.cap is not None:
        h = _full_words(full, full.before, full.cap)
        return (f"第{rank}名{tie[0]}，“{full.label.zh}”名额（{full.cap}个）已满{h[0]}，未入选。",
                f"ranked {rank}{tie[1]}: “{full.label.en}” is full ({full.cap}{h[1]}): not selected.")
    if region is None:
        return (f"第{rank}名{tie[0]}，没有地区代码，无法计入“{full.label.zh}”，不予推荐。",
                f"ranked {rank}{tie[1]}, but without a region code it cannot count under “{full.label.en}”: "
                "not recommended.")
    cap = full.caps[region]
    h = _full_words(full, full.usage_before.get(region, 0), cap)
    return (f"第{rank}名{tie[0]}，“{full.label.zh}”在{region}的名额（{cap}个）已满{h[0]}，未入选。",
            f"ranked {rank}{tie[1]}: “{full.label.en}” is full in {region} ({cap}{h[1]}): not selected.")


def _short_of_minimum(uses: list[QuotaUse]) -> list[Text]:
    """Notes for ranges whose minimum is not reached (counting what was used before this selection)."""
    notes = []
    for use in uses:
        if use.min_count is None or use.used >= use.min_count:
            continue
        if not use.before:
            notes.append(Text(zh=f"{use.label.zh}：只有{use.used}个单位可推荐，少于下限{use.min_count}个。",
                              en=f"{use.label.en}: only {use.used} unit(s) can be recommended, fewer than the "
                                 f"minimum {use.min_count}."))
            continue
        (pz, pe), (vz, ve) = _period_words(use.per), _verb_words(use)
        now = use.used - use.before
        notes.append(Text(zh=f"{use.label.zh}：{pz}已{vz}{use.before}个，本批可{vz}{now}个，合计{use.used}个，"
                             f"少于下限{use.min_count}个。",
                          en=f"{use.label.en}: {use.before} already {ve} {pe} and {now} can be {ve} from the "
                             f"batch, {use.used} in all, fewer than the minimum {use.min_count}."))
    return notes

def _regions(rs: Any, tier: str | None, q: Quota, codes: Any, n: int) -> list[str | None]:
    """Each unit's region at the quota's parent level (None without a region code)."""
    digits = LEVEL_DIGITS[_parent_level(rs, tier, q)]
    return [_region(codes[i], digits) if codes is not None else None for i in range(n)]


def _per_parent_caps(rs: Any, tier: str | None, q: Quota, use: QuotaUse, regions: list[str | None], eligible: Any,
                     sizes: Mapping[str, int] | None) -> list[Text]:
    """A per-parent quota's cap in each region (into ``use.caps``), from the region's size given
    or counted in the batch; the notes saying which sizes were counted."""
    from . import lifecycle

    notes: list[Text] = []
    level = _parent_level(rs, tier, q)
    counts: dict[str, int] = {}
    for i, r_ in enumerate(regions):
        if r_ is None:
            continue
        if q.kind == "share_per_parent" and q.of == "eligible" and eligible[i] is not True:
            continue
        counts[r_] = counts.get(r_, 0) + 1
    sized = q.kind == "by_parent_count" or q.of == "all"  # the cap depends on the region's size
    counted: list[str] = []  # regions whose size is not given: counted in the batch
    for r_ in sorted(counts):
        size = counts[r_]
        if sized and sizes is not None and r_ in sizes:
            if sizes[r_] < size:
                raise ValueError(f"parent_sizes[{r_!r}]: {sizes[r_]} units in all, but the batch alone "
                                 f"has {size} of {r_}")
            size = sizes[r_]
        elif sized:
            counted.append(r_)
        if q.kind == "count_per_parent":
            use.caps[r_] = int(q.count or 0)
        else:
            use.caps[r_] = lifecycle.quota_count(rs, q.id, size).count
    if sized and sizes is None:
        notes.append(Text(zh=f"{q.label.zh}：各{_LEVEL_ZH[level]}的单位数按本批计。",
                          en=f"{q.label.en}: each {level}'s number of units is counted in the batch."))
    elif counted:
        notes.append(Text(zh=f"{q.label.zh}：未给出{'、'.join(counted)}的单位数，按本批计。",
                          en=f"{q.label.en}: the number of units of {', '.join(counted)} was not given; "
                             "the batch's are counted."))
    return notes

def _set_aside(i: int, status: str, vetoed: bool, eligible: bool | None, complete: bool, passed: bool | None,
               cond_cols: list[tuple[Any, Any]], rs: Any, prog: Any, require_complete: bool) -> Text | None:
    if status == "invalid_input":
        return Text(zh="输入无效，不能排名，不予推荐。", en="invalid input: cannot be ranked; not recommended.")
    if vetoed:
        labels = [c for c, col in cond_cols if c.group == "veto" and col[i] is True]
        names_zh = "、".join(_cond_label(c, prog).zh for c in labels)
        names_en = "; ".join(_cond_label(c, prog).en for c in labels)
        return Text(zh=f"一票否决（{names_zh}），不予推荐。", en=f"vetoed ({names_en}): never recommended.")
    if eligible is False:
        failed = [c for c, col in cond_cols if c.group == "eligibility" and col[i] is False]
        failed += [c for c, col in cond_cols if c.group == "veto" and c.scope == "eligibility" and col[i] is True]
        names_zh = "、".join(_cond_label(c, prog).zh for c in failed)
        names_en = "; ".join(_cond_label(c, prog).en for c in failed)
        return Text(zh=f"不符合申报条件（{names_zh}），不予推荐。", en=f"not eligible ({names_en}): never recommended.")
    if eligible is None:
        return Text(zh="申报资格待定（缺少输入），不予推荐。",
                    en="eligibility undecided (missing input): not recommended.")
    if require_complete and not complete:
        words = {"missing_input": ("缺少输入", "missing input"),
                 "awaiting_assessor": ("待评估人评分", "awaiting an assessor")}.get(status, (status, status))
        return Text(zh=f"评分未完成（{words[0]}），不能排名。",
                    en=f"score not complete ({words[1]}): cannot be ranked.")
    if passed is False:
        pm = fmt_number(rs.meta.pass_mark)
        return Text(zh=f"未达到合格线{pm}分，不予推荐。", en=f"below the pass mark of {pm}: not recommended.")
    return None


def _cond_label(c: Any, prog: Any) -> Text:
    if c.pc is not None:
        return c.pc.cond.label
    rule = prog.items[c.item].rule
    label = getattr(rule.params, "label", None)
    return label if isinstance(label, Text) else Text(zh=c.id, en=c.id)
