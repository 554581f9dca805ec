"""Task runner: `nox -s tests`, `nox -s lint`, `nox -s typecheck`."""

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "typecheck"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (arguments go to pytest)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy."""
    session.install("-e", ".", "mypy")
    session.run("mypy", *session.posargs)


@nox.session(default=False)
def cases(session: nox.Session) -> None:
    """Run the *.test.toml cases of the built-in rule sets through the CLI."""
    session.install("-e", ".")
    session.run("fuac", "test", *session.posargs)
