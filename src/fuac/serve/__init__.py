"""``fuac serve``: a versioned JSON API over the public functions, and a record of every assessment.

The service is one more caller of the library (``fuac.evaluate``, ``fuac.evaluate_chunks``,
``Evaluation.to_dict()``, ``.gaps()``, ``fuac.input_schema``, ``fuac.rulesets_for``, the score
sheet): it re-derives nothing. Its pieces (docs/service.md):

* :mod:`.store`: the record of assessments (SQLAlchemy 2; SQLite by default, PostgreSQL from a
  ``postgresql://`` URL; the schema made and upgraded by Alembic, :mod:`.migrations`);
* :mod:`.titles`: the units' titles in the same store (awards, revocations, extensions), and the
  title status a rule set's veto "revoked in the previous cycle" reads, filled in from them;
* :mod:`.app`: the FastAPI application, its errors and limits; :mod:`.run`: uvicorn;
* :mod:`.schemas`: the JSON Schema of an evaluation's answer;
* :mod:`.exact`: JSON whose numbers keep every digit; :mod:`.export`: ``fuac log``'s files.

Importing this package imports none of FastAPI, uvicorn or SQLAlchemy (``fuac serve`` and
``fuac log`` import them when they run); :func:`require` says in one line what to install.
"""

from __future__ import annotations

import importlib.util

from ..errors import FuacError

#: the one line that says how to get the service's dependencies
INSTALL = "pip install 'fuac[serve]'"

#: the modules each part needs (import name → package name)
NEEDS = {
    "store": {"sqlalchemy": "SQLAlchemy", "alembic": "Alembic"},
    "app": {
        "sqlalchemy": "SQLAlchemy", "alembic": "Alembic", "fastapi": "FastAPI", "fastapi_offline": "fastapi-offline",
        "uvicorn": "uvicorn", "multipart": "python-multipart",
    },
}


class MissingServeExtra(FuacError, ModuleNotFoundError):
    """A dependency of ``fuac serve`` or ``fuac log`` is not installed; the message says what to install."""


def require(part: str, what: str) -> None:
    """Raise :class:`MissingServeExtra` naming ``what`` (``fuac serve``) when a module ``part``
    needs (:data:`NEEDS`) is missing."""
    missing = [pkg for mod, pkg in NEEDS[part].items() if importlib.util.find_spec(mod) is None]
    if missing:
        raise MissingServeExtra(f"{what} needs {', '.join(missing)}: {INSTALL}", name=missing[0])
