# Relais — the two commands of README: `make run` and `make test`.
# Both create .venv and install the pinned dependencies the first time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint demo clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/relais run

demo: $(STAMP)
	$(BIN)/relais demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy relais bot mailer scheduler web

test: $(STAMP) lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV)
