# Relais — the two commands of README: `make run` and `make test`.
# Both create .venv and install the pinned dependencies the first time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint demo clean axe

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

# axe-core (accessibility scan of the public pages in the browser tests), from the npm registry.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1

$(AXE):
	npm install --silent --no-audit --no-fund --no-save --prefix .cache/axe axe-core@$(AXE_VERSION)

axe: $(AXE)

test: $(STAMP) lint $(AXE)
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV)
