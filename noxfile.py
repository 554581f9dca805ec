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
def mutants(session: nox.Session) -> None:
    """Mutation testing of the scoring core with mutmut (slow: hours for the whole core).

    The modules and the tests are set in pyproject's [tool.mutmut]; Hypothesis runs its
    short "mutation" profile. Prints the survivors; tests/README.md explains the
    equivalent ones. Arguments go to `mutmut run` (e.g. a mutant name pattern).
    """
    session.install("-e", ".[test]", "mutmut>=3.3")
    env = {"HYPOTHESIS_PROFILE": "mutation"}
    session.run("mutmut", "run", *session.posargs, env=env)
    session.run("mutmut", "results", env=env)


@nox.session(default=False)
def cases(session: nox.Session) -> None:
    """Run the *.test.toml cases of the built-in rule sets through the CLI."""
    session.install("-e", ".")
    session.run("fuac", "test", *session.posargs)
