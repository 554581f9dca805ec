"""The public surface: ``fuac.__all__`` and ``fuac.errors.__all__`` are sorted and complete,
and the exception classes match the tree drawn in the docstring of ``fuac.errors``."""

from __future__ import annotations
import __future__

import builtins
import inspect
import re
import subprocess
import sys
import types

import pytest

import fuac
import fuac.errors


def public_names(module: types.ModuleType) -> list[str]:
    """Names a user sees in ``module``: not private, not a submodule, not a __future__ feature."""
    return sorted(
        name
        for name in dir(module)  # the lazy names (the batch) included: fuac.__dir__ lists them
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(getattr(module, name), (types.ModuleType, __future__._Feature))
    )


def test_all_is_sorted() -> None:
    assert fuac.__all__ == sorted(fuac.__all__)
    assert fuac.errors.__all__ == sorted(fuac.errors.__all__)


def test_all_is_complete() -> None:
    assert fuac.__all__ == public_names(fuac)


def test_errors_all_is_complete() -> None:
    assert fuac.errors.__all__ == public_names(fuac.errors)
    classes = [n for n, v in vars(fuac.errors).items() if inspect.isclass(v) and v.__module__ == "fuac.errors"]
    assert sorted(classes) == fuac.errors.__all__


def test_everything_exported_exists() -> None:
    for name in fuac.__all__:
        assert getattr(fuac, name) is not None
    for name in fuac.errors.__all__:
        assert inspect.isclass(getattr(fuac.errors, name))


def test_import_fuac_stays_light() -> None:
    """numpy and the batch are imported on first use of a batch name, not by ``import fuac``."""
    code = ("import sys, fuac; print('numpy' in sys.modules, 'fuac.run.batch.runner' in sys.modules); "
            "fuac.evaluate_many; print('numpy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["False", "False", "True"], proc.stderr
    with pytest.raises(AttributeError, match="module 'fuac' has no attribute 'evaluate_mny'"):
        fuac.evaluate_mny  # noqa: B018


def test_rulesets_stays_a_function_after_the_engine_is_built() -> None:
    code = "import fuac; fuac.rulesets(); fuac.rulesets(); assert callable(fuac.rulesets); print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr
    fuac.reset_engine()
    fuac.rulesets()
    assert callable(fuac.rulesets)


# ---------------------------------------------------------------------------
# the exception tree


def tree() -> dict[str, tuple[str, str | None]]:
    """From the docstring of fuac.errors: class → (parent, builtin written beside it)."""
    out: dict[str, tuple[str, str | None]] = {}
    stack: list[tuple[int, str]] = []
    for line in (fuac.errors.__doc__ or "").splitlines():
        m = re.search(r"([A-Z]\w*(?:Error|NotFound))(?: \((\w+)\))?", line)
        if not m or line[: m.start()].strip(" │├└─"):
            continue  # not a line of the tree
        indent = m.start()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        out[m.group(1)] = (stack[-1][1] if stack else "Exception", m.group(2))
        stack.append((indent, m.group(1)))
    return out


def test_tree_is_drawn_for_every_class() -> None:
    drawn = tree()
    assert sorted(drawn) == fuac.errors.__all__
    assert drawn["FuacError"] == ("Exception", "Exception")
    assert drawn["RulesetSyntaxError"] == ("RulesetError", None)
    assert drawn["NameClashError"] == ("PluginError", None)
    assert drawn["TierNotFound"] == ("FuacError", "LookupError")


@pytest.mark.parametrize("name", fuac.errors.__all__)
def test_error_class_matches_the_tree(name: str) -> None:
    drawn = tree()
    cls = getattr(fuac.errors, name)
    assert drawn[name][0] in [b.__name__ for b in cls.__bases__]
    assert issubclass(cls, fuac.errors.FuacError)
    ancestor = name
    while ancestor in drawn:  # every builtin written on the way up to the root
        ancestor, builtin = drawn[ancestor]
        if builtin is not None:
            assert issubclass(cls, getattr(builtins, builtin)), (name, builtin)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (fuac.errors.RulesetError, ValueError),
        (fuac.errors.RulesetSyntaxError, ValueError),
        (fuac.errors.RulesetSchemaError, ValueError),
        (fuac.errors.RulesetCheckError, ValueError),
        (fuac.errors.ExpressionError, ValueError),
        (fuac.errors.RulesetNotFound, LookupError),
        (fuac.errors.TierNotFound, LookupError),
        (fuac.errors.PluginError, RuntimeError),
        (fuac.errors.NameClashError, RuntimeError),
        (fuac.errors.InputError, ValueError),
        (fuac.errors.EvaluationError, RuntimeError),
    ],
)
def test_error_is_also_the_builtin(cls: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(cls, fuac.errors.FuacError)
    assert issubclass(cls, builtin)
    try:
        raise cls("x")
    except builtin:
        pass


def test_ruleset_error_carries_where() -> None:
    err = fuac.errors.RulesetSchemaError("unknown key 'x'", path="a.toml", line=3, key="scheme.x")
    assert (err.path, err.line, err.key) == ("a.toml", 3, "scheme.x")
    assert str(err) == "a.toml:3: [scheme.x] unknown key 'x'"


# ---------------------------------------------------------------------------
# options are keyword-only


@pytest.mark.parametrize(
    ("func", "positional"),
    [
        (fuac.evaluate, ["ruleset", "data"]),
        (fuac.loads, ["text"]),
        (fuac.load, ["ref"]),
        (fuac.input_schema, ["ruleset"]),
        (fuac.compile_expression, ["source"]),
        (fuac.Engine.__init__, ["self"]),
    ],
)
def test_options_are_keyword_only(func: object, positional: list[str]) -> None:
    params = inspect.signature(func).parameters.values()  # type: ignore[arg-type]
    assert [p.name for p in params if p.kind is not p.KEYWORD_ONLY] == positional


def test_renamed_attributes_still_read_with_a_deprecation_warning() -> None:
    # one meaning per name: the scheme's kind, an item's rule kind and a quota's kind are named so;
    # the old name "kind" still reads each, and says what to use instead
    import datetime as dt

    from fuac.lifecycle import quota_count

    rs = fuac.load("wuhan-2017")
    ev = fuac.evaluate(rs, {}, tier="street", on=dt.date(2017, 6, 1))
    gap = ev.gaps(rs).unresolved[0]
    quota = quota_count(rs, "district_streets")
    units = [{"code": "420101001", "name": "u1"}]
    use = fuac.evaluate_many(rs, units, tier="street", on="2017-06-01").select(quotas=["district_streets"]).quotas[0]
    for obj, new, value in ((rs, "scheme_kind", "checklist"), (ev.items[0], "rule_kind", ev.items[0].rule_kind),
                            (gap, "rule_kind", gap.rule_kind), (quota, "quota_kind", "count_per_parent"),
                            (use, "quota_kind", "count_per_parent")):
        assert getattr(obj, new) == value
        with pytest.warns(DeprecationWarning, match=rf"^{type(obj).__name__}\.kind is deprecated: use "
                                                    rf"{type(obj).__name__}\.{new}$"):
            assert obj.kind == value
