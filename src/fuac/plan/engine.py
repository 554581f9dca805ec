"""One object owns the PluginManager and the registries built from the hooks.

It is built on first use, never at ``import fuac``. ``FUAC_PLUGINS`` limits which
third-party plugins (entry points of group ``fuac``) are loaded: unset, all of them;
empty, none; otherwise a comma-separated list of entry-point names (a name that is no
installed entry point is a :class:`PluginWarning`). An installed plugin's rule file that
cannot be read is left out with a warning; the other rule sets are used.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from .. import hookspecs
from ..errors import FuacError, NameClashError, PluginError, RulesetCheckError, RulesetError, RulesetNotFound
from ..kinds.base import Rule
from ..language.functions import own
from ..language.toml import read_toml
from .loader import BaseResolver, RuleSet, load_file, load_mapping

#: Modules registered before any entry point: the built-in kinds and functions, then one
#: plugin for each built-in scheme.
DEFAULT_PLUGINS = ("fuac._builtins", "fuac.rulesets.guangdong_2020", "fuac.rulesets.liunan_2023",
                   "fuac.rulesets.longnan_2021", "fuac.rulesets.wuhan_2017")
ENV_PLUGINS = "FUAC_PLUGINS"
#: plugins left out, by name (built-in schemes and entry points alike): ``FUAC_BLOCK=fuac.rulesets.wuhan_2017``
ENV_BLOCK = "FUAC_BLOCK"
#: what cannot be left out: without it no rule file has a kind to score with
ESSENTIAL = "fuac._builtins"


class PluginWarning(UserWarning):
    """An installed plugin is used without a rule file of it that cannot be read (the others go on),
    or ``FUAC_PLUGINS`` names no installed plugin. :attr:`Engine.warnings` keeps each one's line."""


@dataclass(frozen=True, slots=True)
class RulesetSource:
    id: str
    path: Path
    owner: str


class Engine:
    """The plugin manager and everything registered through it."""

    def __init__(self, *, plugins: Iterable[Any] = (), load_entry_points: bool = True,
                 block: Iterable[str] | None = None) -> None:
        """``block``: names of plugins to leave out (default: ``FUAC_BLOCK``, comma-separated)."""
        self.pm = pluggy.PluginManager("fuac")
        self.pm.add_hookspecs(hookspecs)
        #: one line for each thing left out, as warned (a PluginWarning): an installed plugin's rule
        #: file that cannot be read, a name in FUAC_PLUGINS that is no installed plugin
        self.warnings: list[str] = []
        #: the installed plugins (entry points) registered: a rule file of theirs that cannot be read is
        #: left out with a warning; a plugin given in ``plugins`` is the caller's own, and raises
        self.installed: set[str] = set()
        #: each installed plugin's rule files left out, and why: (plugin, the error in one line)
        self.unreadable: list[tuple[str, str]] = []
        if block is None:
            block = [n.strip() for n in os.environ.get(ENV_BLOCK, "").split(",") if n.strip()]
        for name in block:
            if name == ESSENTIAL:
                raise PluginError(f"{ESSENTIAL} cannot be blocked: it registers the built-in rule kinds and functions")
            self.pm.set_blocked(name)
        for name in DEFAULT_PLUGINS:
            if not self.pm.is_blocked(name):
                self.pm.register(importlib.import_module(name), name=name)
        if load_entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self.pm.register(plugin)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
        self.kinds: dict[str, type[Rule]] = {}
        self.functions: dict[str, Callable[..., Any]] = {}
        self.veto_checks: dict[str, Callable[..., Any]] = {}
        self.sources: dict[str, RulesetSource] = {}
        self._owners: dict[tuple[str, str], str] = {}
        self._cache: dict[str, RuleSet] = {}
        self._lock = threading.RLock()
        self._loading: list[str] = []  # ids and paths being loaded: an 'extends' cycle shows up here
        self._collect()

    # -- plugins
    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        # shown as one line, "fuac:0: PluginWarning: …": no source line of fuac's under it
        warnings.warn_explicit(message, PluginWarning, filename="fuac", lineno=0)

    def _load_entry_points(self) -> None:
        allow = os.environ.get(ENV_PLUGINS)
        wanted = None if allow is None else {n.strip() for n in allow.split(",") if n.strip()}
        eps = list(entry_points(group="fuac"))
        for name in sorted((wanted or set()) - {ep.name for ep in eps}):
            installed = ", ".join(sorted({ep.name for ep in eps})) or "none"
            self._warn(f"{ENV_PLUGINS} names {_quoted(name)}, which is no installed plugin (installed: {installed}); "
                       "it is ignored")
        for ep in eps:
            if wanted is not None and ep.name not in wanted:
                continue
            if self.pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin must say who it is
                dist = getattr(ep, "dist", None)
                who = f"{ep.name} ({dist.name})" if dist is not None else ep.name
                raise PluginError(f"plugin {who} failed to load: {type(exc).__name__}: {exc}") from exc
            self.pm.register(plugin, name=ep.name)
            self.installed.add(ep.name)

    def plugin_names(self) -> list[str]:
        return sorted(n for n, _ in self.pm.list_name_plugin())

    def _impls(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each implementation of ``hook`` on its own, so that results keep their owner.

        Like pluggy's own calls, each implementation receives only the arguments it names
        (hooks may gain arguments later without breaking older plugins).
        """
        out = []
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                result = impl.function(*(kwargs[a] for a in impl.argnames))
            except Exception as exc:
                raise PluginError(f"plugin {name}: hook {hook} failed: {type(exc).__name__}: {exc}") from exc
            if result is not None:
                out.append((name, result))
        return out

    def _claim(self, what: str, key: str, owner: str) -> None:
        prev = self._owners.get((what, key))
        if prev is not None and prev != owner:
            raise NameClashError(f"{what} {key!r} is registered by two plugins: {prev} and {owner}")
        self._owners[(what, key)] = owner

    def _collect(self) -> None:
        for owner, kinds in self._impls("fuac_rule_kinds"):
            with _unusable(owner, "fuac_rule_kinds"):
                for cls in kinds:
                    if not (isinstance(cls, type) and issubclass(cls, Rule)) or not cls.kind:
                        raise PluginError(f"plugin {owner}: fuac_rule_kinds must return Rule subclasses with a 'kind'")
                    self._claim("rule kind", cls.kind, owner)
                    own(cls, owner)  # a failure of its code names the plugin
                    self.kinds[cls.kind] = cls
        for owner, funcs in self._impls("fuac_functions"):
            with _unusable(owner, "fuac_functions"):
                for fname, fn in dict(funcs).items():
                    if not callable(fn) or not fname.isidentifier() or fname.startswith("_"):
                        raise PluginError(f"plugin {owner}: function {fname!r} is not a callable with a plain name")
                    self._claim("function", fname, owner)
                    own(fn, owner)
                    self.functions[fname] = fn
        for owner, checks in self._impls("fuac_vetoes"):
            with _unusable(owner, "fuac_vetoes"):
                for vname, fn in dict(checks).items():
                    if not callable(fn):
                        raise PluginError(f"plugin {owner}: veto check {vname!r} is not callable")
                    self._claim("veto check", vname, owner)
                    own(fn, owner)
                    self.veto_checks[vname] = fn
        for owner, paths in self._impls("fuac_rulesets"):
            with _unusable(owner, "fuac_rulesets"):
                for p in paths:
                    path = Path(p)
                    try:
                        rid = _peek_id(path, owner)
                    except PluginError as exc:
                        if owner not in self.installed:
                            raise
                        self.unreadable.append((owner, str(exc)))
                        self._warn(f"{exc}; the file is left out, the rest is used")
                        continue
                    self._claim("rule set", rid, owner)
                    self.sources[rid] = RulesetSource(rid, path, owner)

    # -- rule sets
    def ids(self) -> list[str]:
        return sorted(self.sources)

    def load_each(self) -> tuple[dict[str, RuleSet], list[str]]:
        """Every registered rule set that loads, by id; and, for each that does not, one line naming
        its plugin and the (first) problem: one broken rule package does not hide the others
        (``fuac list``). Loading that one by id raises its error in full."""
        loaded: dict[str, RuleSet] = {}
        failed: list[str] = []
        for rid in self.ids():
            try:
                loaded[rid] = self.load_id(rid)
            except Exception as exc:  # a plugin's rule file, or its kind's code: that rule set, not the list
                failed.append(f"plugin {self.sources[rid].owner}: rule set {rid!r} cannot be loaded: "
                              f"{_first_problem(exc, rid)}")
        return loaded, failed

    def load_id(self, rid: str) -> RuleSet:
        with self._lock:
            rs = self._cache.get(rid)
            if rs is None:
                src = self.sources[rid]
                rs = self.load_path(src.path, owner=src.owner)
                if rs.id != rid:  # pragma: no cover - the id was peeked from the same file
                    raise PluginError(f"{src.path}: id changed from {rid!r} to {rs.id!r}")
                self._cache[rid] = rs
            return rs

    def load_path(
        self, path: str | os.PathLike[str], *, owner: str | None = None, base: RuleSet | None = None
    ) -> RuleSet:
        key = str(Path(path).resolve())
        with self._lock:
            if key in self._loading:
                chain = " → ".join([*self._loading[self._loading.index(key):], key])
                raise RulesetCheckError(f"'extends' goes round in a circle: {chain}", path=str(path), key="extends")
            self._loading.append(key)
            try:
                return load_file(
                    Path(path), kinds=self.kinds, functions=self.functions, veto_checks=self.veto_checks,
                    owner=owner, resolve_base=self._base_resolver(owner), base=base,
                )
            finally:
                self._loading.pop()

    def load_text(self, text: str, *, name: str = "<string>", base: RuleSet | None = None) -> RuleSet:
        return load_file(
            name, text=text, kinds=self.kinds, functions=self.functions, veto_checks=self.veto_checks,
            resolve_base=self._base_resolver(None), base=base,
        )

    def load_mapping(self, data: Any, *, name: str = "<mapping>", base: RuleSet | None = None) -> RuleSet:
        return load_mapping(
            data, name=name, kinds=self.kinds, functions=self.functions, veto_checks=self.veto_checks, base=base
        )

    def _base_resolver(self, owner: str | None) -> BaseResolver:
        """What finds the bases of a rule file of ``owner`` (a plugin's name; None: the user's)."""

        def resolve_base(ref: str, beside: Path, line: int | None) -> RuleSet:
            return self._resolve_base(ref, beside, line, owner)

        return resolve_base

    def _resolve_base(self, ref: str, beside: Path, line: int | None, owner: str | None) -> RuleSet:
        """The base named by ``extends``: a registered id, or a rule file that resolves (symbolic links
        followed) inside the overlay's own directory, or inside the package of the plugin that owns it.
        Anything else is refused before it is opened, so nothing of another file is ever quoted."""
        if ref in self.sources:
            src = self.sources[ref]
            if str(src.path.resolve()) in self._loading:
                return self.load_path(src.path)  # raises the cycle error
            return self.load_id(ref)
        roots = [beside.absolute().parent, *self._package_dirs(owner)]
        p = Path(ref)
        try:
            if "\x00" in ref:
                raise ValueError("a NUL character")
            target = (p if p.is_absolute() else beside.parent / p).resolve()
            inside = any(target.is_relative_to(root.resolve()) for root in roots)
        except (OSError, RuntimeError, ValueError) as exc:  # a loop of links, a name the system refuses
            raise RulesetCheckError(
                f"'extends' {_quoted(ref)} cannot be followed: {exc}", path=str(beside), line=line, key="extends"
            ) from None
        if not inside:
            places = "this file's directory" + (f" or its plugin's package ({owner})" if len(roots) > 1 else "")
            raise RulesetCheckError(
                f"'extends' {_quoted(ref)} is outside {places}: name a registered rule set, or a rule file "
                "in this directory or below it", path=str(beside), line=line, key="extends",
            )
        if target.is_file():
            return self.load_path(target, owner=owner)
        known = ", ".join(self.ids()) or "none"
        at = f"{beside}:{line}" if line is not None else str(beside)
        raise RulesetNotFound(f"{at}: [extends] {_quoted(ref)} is neither a registered id ({known}) nor a rule file")

    def _package_dirs(self, owner: str | None) -> list[Path]:
        """The folders of the package the plugin ``owner`` is (or is a module of); none for a plugin
        that is a single module or an object."""
        plugin = self.pm.get_plugin(owner) if owner else None
        name = getattr(plugin, "__name__", None)
        if not isinstance(name, str):
            return []
        package = name if hasattr(plugin, "__path__") else name.rpartition(".")[0]
        module = sys.modules.get(package) if package else None
        return [Path(d) for d in getattr(module, "__path__", None) or ()]

    def resolve(self, ref: Any) -> RuleSet:
        if isinstance(ref, RuleSet):
            return ref
        if isinstance(ref, str) and ref in self.sources:
            return self.load_id(ref)
        if isinstance(ref, (str, os.PathLike)):
            p = Path(ref)
            if p.suffix == ".toml" or p.exists():
                if not p.is_file():
                    raise RulesetNotFound(f"no rule file at {str(p)!r}")
                return self.load_path(p)
        known = ", ".join(self.ids()) or "none"
        left_out = "".join(f"; left out: {why}" for _, why in self.unreadable)
        raise RulesetNotFound(f"no rule set {ref!r}: not a registered id ({known}) nor a rule file{left_out}")


def _quoted(ref: str) -> str:
    """What an overlay's 'extends' names, quoted for a message: at most 200 characters."""
    r = repr(ref)
    return r if len(r) <= 200 else r[:197] + "..."


@contextmanager
def _unusable(owner: str, hook: str) -> Iterator[None]:
    """A hook's result of the wrong shape (not a mapping, not a list, a name that is not a
    string…) is a PluginError that names the plugin, not a bare TypeError."""
    try:
        yield
    except (TypeError, ValueError, AttributeError) as exc:
        raise PluginError(f"plugin {owner}: {hook} returned something unusable: {type(exc).__name__}: {exc}") from exc


def _peek_id(path: Path, owner: str) -> str:
    """The ``[scheme] id`` of a plugin's rule file, read as any rule file is (its size limited)."""
    try:
        doc = read_toml(path)[0]
    except RulesetError as exc:  # unreadable, not UTF-8, not TOML: one line, naming the file (and the line)
        raise PluginError(f"plugin {owner}: rule file {_one_line(str(exc))}") from exc
    rid = doc.get("scheme", {}).get("id") if isinstance(doc.get("scheme"), dict) else None
    if not isinstance(rid, str):
        raise PluginError(f"plugin {owner}: rule file {path} has no [scheme] id")
    return rid


def _first_problem(exc: Exception, rid: str) -> str:
    """A rule set's load failure in one line: its first problem, and how many there are in all."""
    if isinstance(exc, RulesetError) and exc.problems:
        total = str(exc).split(" ", 1)[0]  # "N problem(s) in …", N counting those not listed too
        return f"{_one_line(str(exc.problems[0]))} ({total} problems in all: `fuac show {rid}` lists them)"
    return _one_line(str(exc) if isinstance(exc, FuacError) else f"{type(exc).__name__}: {exc}")


def _one_line(text: str, limit: int = 600) -> str:
    """``text`` on one line, cut at ``limit`` characters (a plugin's error is quoted, not its whole file)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine, built on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine


def reset_engine(engine: Engine | None = None) -> None:
    """Drop the process-wide engine (tests, or after installing a plugin); or install ``engine``."""
    global _engine
    with _engine_lock:
        _engine = engine
