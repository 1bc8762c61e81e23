# Relais — the two commands of README: `make run` and `make test`.
# Both create .venv and install the pinned dependencies the first time.
# `make install` / `make upgrade`: the production install (deploy/, docs/production.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Operators read French: pip stays silent unless something fails.
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=0 $(BIN)/pip install -qq

.PHONY: run test lint demo clean axe install upgrade

$(STAMP): pyproject.toml constraints.txt
	@echo "Installation de l'environnement Python dans $(VENV) (première fois : 1 à 3 minutes)…"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip
	@$(PIP) -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/relais run

demo: $(STAMP)
	@$(BIN)/relais demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy relais bot mailer scheduler web wiring
	$(BIN)/lint-imports --no-cache

# axe-core (accessibility scan of the public pages in the browser tests), from the npm registry.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1

$(AXE):
	npm install --silent --no-audit --no-fund --no-save --prefix .cache/axe axe-core@$(AXE_VERSION)

axe: $(AXE)

test: $(STAMP) lint $(AXE)
	$(BIN)/pytest -q

install:
	deploy/install.sh

upgrade:
	deploy/upgrade.sh

clean:
	rm -rf $(VENV)
