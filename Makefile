# Rapport: `make run` to try it, `make test` to check it. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run test lint bench screenshots clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Rapport needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) $(BIN)/python -m config.devrun

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var *.egg-info

# The benchmark database: beside DATABASE_URL's (its name + _bench), or a SQLite file in var/.
BENCH_DATABASE_URL ?= $(if $(DATABASE_URL),$(DATABASE_URL)_bench,sqlite:///var/bench.sqlite3)

bench: $(BIN)/.installed
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench

# The README's pictures: the demo dashboard and a client page at 1280 and 390 px, in docs/screenshots/.
screenshots: $(BIN)/.installed
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_screenshots.py -q $(PYTEST_ARGS)
