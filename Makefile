# One venv, made from nothing but Python 3.11: `make demo` and `make test` both build it
# (`make test` adds pyspark, for the Spark engine's tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	@touch $(STAMP)

# the tests also run the Spark engine (pyspark, and Java 17 on PATH; skipped without Java)
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,plot,spark]'
	@touch $(TEST_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/linkage demo --out demo-output

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check linkage tests benchmarks
	$(BIN)/ruff format --check linkage tests benchmarks
	$(BIN)/mypy linkage

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
