"""Titles across 3-year cycles, the public module: the code is in :mod:`fuac.decide.lifecycle`,
and ``fuac.lifecycle`` is that same module object (``from fuac import lifecycle``)."""

import sys

from .decide import lifecycle

sys.modules[__name__] = lifecycle
