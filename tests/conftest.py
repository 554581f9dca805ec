"""Hypothesis profiles: quick for a developer, deep in CI.

``dev`` (the default) keeps a run of the whole suite short; ``ci`` (chosen when the
environment has ``CI`` set, as ``.ci/run`` does) draws several times as many examples.
``HYPOTHESIS_PROFILE=ci`` (or ``dev``) chooses one by hand. Both are derandomized, so a
run is repeatable: the deep profile explores further, not differently each time.
Property tests size themselves with :func:`batchgen.examples`, a multiple of the profile's.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
# mutation testing (`nox -s mutants`) runs the tests that reach each changed function: a few examples each
settings.register_profile("mutation", max_examples=10, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
