"""The one exception tree of fuac.

Every error is a :class:`FuacError` and also a subclass of the matching builtin,
so callers may catch either::

    FuacError (Exception)
    ├── RulesetError (ValueError)             a rule file is wrong
    │   ├── RulesetSyntaxError                 not valid TOML
    │   ├── RulesetSchemaError                 unknown key, wrong type, missing key
    │   ├── RulesetCheckError                  a static check failed (totals, names, ids)
    │   └── ExpressionError                    an expression is not allowed or does not parse
    ├── RulesetNotFound (LookupError)          no rule set with that id or path
    ├── TierNotFound (LookupError)             the rule set has no such tier
    ├── PluginError (RuntimeError)             a plugin misbehaved
    │   ├── NameClashError                     two plugins registered the same name
    │   └── PluginCodeError (ValueError)       plugin code raised while a unit was scored: that rule, not the batch
    ├── InputError (ValueError)                input data could not be read at all
    ├── ParameterNotInForceError (ValueError)  a rule asked for a parameter on a date before its first value
    └── EvaluationError (RuntimeError)         fuac's own code failed, or a rule kind broke its contract (a bug), named

Errors about a rule file carry ``path``, ``line`` and ``key`` (the dotted key or item
id); ``str(error)`` starts with ``path:line:`` so editors can jump to it.
"""

from __future__ import annotations

__all__ = [
    "EvaluationError",
    "ExpressionError",
    "FuacError",
    "InputError",
    "NameClashError",
    "ParameterNotInForceError",
    "PluginCodeError",
    "PluginError",
    "RulesetCheckError",
    "RulesetError",
    "RulesetNotFound",
    "RulesetSchemaError",
    "RulesetSyntaxError",
    "TierNotFound",
]


class FuacError(Exception):
    """Base of every fuac error."""


class RulesetError(FuacError, ValueError):
    """A rule file is wrong. Carries ``path``, ``line`` and ``key``.

    ``problems`` lists every problem found (each itself a :class:`RulesetError`)
    when loading found more than one; the message then shows them all.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
        problems: list[RulesetError] | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        self.problems: list[RulesetError] = problems or []
        super().__init__(self._render())

    def _render(self) -> str:
        if self.problems:
            head = f"{len(self.problems)} problem(s) in {self.path or '<rule set>'}:"
            return "\n".join([head, *(f"  {p}" for p in self.problems)])
        where = self.path or "<rule set>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" [{self.key}]" if self.key else ""
        return f"{where}:{key} {self.message}"


class RulesetSyntaxError(RulesetError):
    """The rule file is not valid TOML."""


class RulesetSchemaError(RulesetError):
    """A key is unknown, missing or of the wrong type."""


class RulesetCheckError(RulesetError):
    """A static check failed: totals do not add up, an id repeats, a name is undeclared."""


class ExpressionError(RulesetError):
    """An expression does not parse or uses something that is not allowed."""


class RulesetNotFound(FuacError, LookupError):
    """No rule set is registered under that id, and no file exists at that path."""


class TierNotFound(FuacError, LookupError):
    """The rule set has no tier of that name."""


class PluginError(FuacError, RuntimeError):
    """A plugin failed to load or returned something unusable."""


class NameClashError(PluginError):
    """Two plugins registered the same name. Names both owners."""


class PluginCodeError(PluginError, ValueError):
    """Plugin code (an expression function, a rule kind's ``score`` or ``check_entry``, a veto
    check) raised while one unit was scored.

    It does not reach the caller of :func:`fuac.evaluate` or :func:`fuac.evaluate_many`: the
    evaluator makes the rule, guard or condition the plugin code served ``invalid_input`` (cannot
    tell) for that unit, in these words (``zh``, ``en``), and goes on with the next rule and the
    next unit. ``plugin`` is the plugin's name, ``what`` the code that failed (``function 'f'``,
    ``rule kind 'k' (score)``, ``veto check 'c'``), ``error`` the exception it raised. Being a
    ``ValueError``, it is handled wherever a computation that fails on a unit's inputs is.
    """

    #: the longest error text quoted from the plugin's exception
    LIMIT = 200

    def __init__(self, plugin: str, what: str, what_zh: str, error: BaseException) -> None:
        self.plugin, self.what, self.error = plugin, what, error
        if isinstance(error, RecursionError):  # its words depend on where the stack ran out: not a result's
            text = "maximum recursion depth exceeded"
        elif error.args and isinstance(error.args[0], list):  # decimal's signals print as a list of classes
            text = ""
        else:
            try:
                text = " ".join(str(error).split())  # one line
            except Exception:  # an exception that cannot say itself
                text = "(its message cannot be read)"
        if len(text) > self.LIMIT:
            text = text[: self.LIMIT] + "…"
        detail = f"{type(error).__name__}: {text}" if text else type(error).__name__
        self.en = f"plugin {plugin} failed: {what} raised {detail}"
        self.zh = f"插件 {plugin} 出错：{what_zh}引发 {detail}"
        super().__init__(self.en)


class InputError(FuacError, ValueError):
    """Input data could not be read at all (not a mapping, unreadable file).

    Problems with single fields never raise: they are reported in the evaluation.
    """


class EvaluationError(FuacError, RuntimeError):
    """An unexpected failure inside the evaluator: fuac's own code raised for a reason not the unit's
    inputs', or a rule kind gave something that is not an outcome (a status fuac does not know).
    It names the rule and, in a batch, the record. What a plugin's code raises is not one: see
    :class:`PluginCodeError`."""


class ParameterNotInForceError(FuacError, ValueError):
    """A rule asked for a parameter on a date before any of its values is in force: the item
    cannot be scored on that date (the evaluator says so in ``zh`` and ``en``)."""

    def __init__(self, name: str, on: str) -> None:
        self.name, self.on = name, on
        self.zh = f"参数 {name} 在 {on} 尚无生效的取值"
        self.en = f"parameter {name!r} has no value in force on {on}"
        super().__init__(self.en)
