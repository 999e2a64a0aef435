# The two commands of the README: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test check system-packages bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job on the embedded default: the example inbox, the local warehouse,
# both builds, then a local preview until Ctrl+C.
demo: $(STAMP)
	$(BIN)/drcooper run --once
	$(BIN)/drcooper submissions
	$(BIN)/drcooper export --format csv -o var/projets.csv
	@echo "Public export written to var/projets.csv"
	$(BIN)/drcooper build
	$(BIN)/drcooper serve --port $(PORT)

system-packages:
	scripts/install-system-packages

# The gate run before every commit and in CI.
check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) system-packages check
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/read_workbook.py

clean:
	rm -rf var
