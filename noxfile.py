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
    """Lint with ruff (a complexity bound of 30 included, and radon's measure of it too); check the
    layers' import direction with import-linter (pyproject's [tool.importlinter]: each layer
    imports only those below it)."""
    session.install("-e", ".", "ruff", "import-linter", "radon")
    session.run("ruff", "check", "src", "tests", *session.posargs)
    session.run("lint-imports")
    # radon counts boolean operators and comprehensions too: no function of grade E or F (above 30)
    over = session.run("radon", "cc", "--min", "E", "-s", "src/fuac", silent=True) or ""
    if over.strip():
        session.error(f"functions above cyclomatic complexity 30 (radon):\n{over}")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy."""
    session.install("-e", ".", "mypy")
    session.run("mypy", *session.posargs)


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Mutation testing of the scoring core with mutmut (slow: days for the whole core on 2 cores).

    The modules and the tests are set in pyproject's [tool.mutmut]; Hypothesis runs its
    short "mutation" profile. Prints the survivors; tests/README.md explains the
    equivalent ones. Arguments go to `mutmut run` (e.g. a mutant name pattern), except
    `--sample N [--seed S]`: a seeded uniform sample of N mutants of the whole core, and
    its kill rate with a 95 % margin (tests/mutation.py).
    """
    session.install("-e", ".[test]", "mutmut>=3.3")
    env = {"HYPOTHESIS_PROFILE": "mutation"}
    args = list(session.posargs)
    if args[:1] == ["--sample"]:
        n, seed = args[1], args[args.index("--seed") + 1] if "--seed" in args else "1"
        # generates the mutants and the test map, then stops: the name matches none (mutmut exits 1)
        session.run("mutmut", "run", "fuac.no-such-mutant", env=env, success_codes=[0, 1])
        names = session.run("python", "tests/mutation.py", "sample", n, "--seed", seed, silent=True, env=env)
        with open("mutants/sample.txt", "w", encoding="utf-8") as fh:
            fh.write(names)
        session.run("mutmut", "run", *names.split(), env=env)
        session.run("python", "tests/mutation.py", "tally", "mutants/sample.txt", env=env)
        return
    session.run("mutmut", "run", *args, env=env)
    session.run("mutmut", "results", env=env)


@nox.session(default=False)
def cases(session: nox.Session) -> None:
    """Run the *.test.toml cases of the built-in rule sets through the CLI."""
    session.install("-e", ".")
    session.run("fuac", "test", *session.posargs)
