"""Every hook a fuac plugin can implement. Documented in ``docs/plugin_hooks.md``.

A plugin is a module (or object) with functions named like these hooks and marked
with :data:`hookimpl`; it is found through the ``fuac`` entry-point group::

    [project.entry-points.fuac]
    my_province = "fuac_my_province"

The built-in rule sets and rule kinds are registered through these same hooks.
Hooks may gain arguments later (pluggy's opt-in arguments); none will be renamed
or removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .kinds.base import Rule

hookspec = pluggy.HookspecMarker("fuac")
#: Marker for a plugin's hook implementations: ``@fuac.hookimpl``.
hookimpl = pluggy.HookimplMarker("fuac")


@hookspec
def fuac_rulesets() -> Iterable[str | os.PathLike[str]]:
    """Return the rule files (TOML) this plugin provides.

    Each file's ``[scheme] id`` becomes a rule-set id; two plugins giving the same
    id is an error that names both. Files are read in full only when first used.
    A file of an installed plugin that cannot be read (or has no id) is left out with
    a warning naming the plugin; the plugin's other files, and other plugins, are used.
    A file's ``extends`` names a registered id, or a rule file inside the file's own
    directory or the plugin's package.
    """
    raise NotImplementedError


@hookspec
def fuac_functions() -> Mapping[str, Callable[..., Any]]:
    """Return functions that rule-file expressions may call, by name.

    Arguments arrive as :class:`decimal.Decimal` (numbers), ``bool`` or ``str``;
    a function returns one of those. It must be pure and fast.
    """
    raise NotImplementedError


@hookspec
def fuac_rule_kinds() -> Iterable[type[Rule]]:
    """Return new rule kinds: subclasses of :class:`fuac.Rule` with a unique ``kind``.

    A rule file uses one with ``kind = "<its name>"`` and the keys of its ``Params``.
    """
    raise NotImplementedError


@hookspec
def fuac_vetoes() -> Mapping[str, Callable[[Mapping[str, Any], Mapping[str, Any]], bool]]:
    """Return eligibility veto checks by name, used in a rule file as ``check = "<name>"``.

    A check is called with the unit's validated input values and the parameters in
    force, and returns True when the veto is triggered. Give it a ``reads`` attribute
    (the indicator names it needs) so that missing input is reported, not guessed.
    """
    raise NotImplementedError
