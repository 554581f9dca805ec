# The two commands of the README: `make example` and `make test`.
# Each sets up .venv on first use (Python >= 3.10 from the machine, packages from PyPI).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Score the bundled example unit against liunan-2023, print the score table and write the printable score sheet.
example: $(STAMP)
	$(BIN)/fuac evaluate liunan-2023 examples/data/liunan-2023-liunan.toml --report example-report.html
	@echo "Open example-report.html in a browser (prints on A4; button top right switches 中文/English)."

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff import-linter radon
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	@over="$$($(BIN)/radon cc --min E -s src/fuac)"; if [ -n "$$over" ]; then \
	  echo "functions above cyclomatic complexity 30 (radon):"; echo "$$over"; exit 1; fi

typecheck: $(STAMP)
	$(BIN)/python -m pip install --quiet mypy
	$(BIN)/mypy

clean:
	rm -rf $(VENV)
