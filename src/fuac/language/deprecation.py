"""Old public names kept working while they are phased out: each reads its new name and says so."""

from __future__ import annotations

import warnings
from typing import Any


class renamed:
    """A deprecated attribute that reads the attribute it was renamed to, with a DeprecationWarning."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = ""
        self.owner = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.old, self.owner = name, owner.__name__

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        warnings.warn(f"{self.owner}.{self.old} is deprecated: use {self.owner}.{self.new}",
                      DeprecationWarning, stacklevel=2)
        return getattr(obj, self.new)
