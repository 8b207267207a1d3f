# Filón — the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
PG_URL ?= postgres://postgres@127.0.0.1:5432/filon

.PHONY: env demo test test-sqlite test-postgres browser-deps bench-deps lint typecheck format bench lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

env: $(VENV)/.synced  ## create the environment from the lock file

demo: env  ## migrate SQLite, load rules and demo data, serve on 127.0.0.1:8000 with the worker (Ctrl-C stops both)
	$(BIN)/filon demo run --address 127.0.0.1:8000

test: env lint typecheck test-sqlite test-postgres  ## every test tier on SQLite and (when reachable) PostgreSQL
	@echo "Bases de datos probadas: $$(cat var/test-databases.txt | xargs)"

# $(call apt_ensure,purpose,packages): the Debian packages that are missing, installed with apt (as root or
# with sudo without a password); otherwise a message saying what to install.
define apt_ensure
	@missing=""; \
	for package in $(2); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
		else \
			echo "Faltan paquetes del sistema para $(1):$$missing. Instálelos como administrador con «apt-get install -y$$missing» (este usuario no es root y no puede usar sudo)." >&2; \
			exit 1; \
		fi; \
		echo "Instalando con apt:$$missing"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright); the PDF tests need
# the libraries and fonts WeasyPrint renders with. Installed with apt when missing.
BROWSER_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

browser-deps:  ## Debian's chromium and WeasyPrint's libraries and fonts, with apt when missing
	$(call apt_ensure,las pruebas,$(BROWSER_PACKAGES))

# The load benchmarks drive the server with wrk (a load generator in C, from Debian), so that the clients
# take little of the machine's CPU from the server they measure.
bench-deps:  ## Debian's wrk, with apt when missing
	$(call apt_ensure,las mediciones,wrk)

test-sqlite: env browser-deps
	@mkdir -p var && echo "sqlite" > var/test-databases.txt
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/pytest -p no:cacheprovider -n 2 --dist loadgroup -q -m "not postgresql"

test-postgres: env browser-deps
	@if $(BIN)/python -m filon.dbcheck "$(PG_URL)"; then \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -n 2 --dist loadgroup -q -m "not pure" && \
		echo "postgresql" >> var/test-databases.txt; \
	else \
		if [ -n "$$CI" ]; then echo "PostgreSQL no está disponible en 127.0.0.1:5432 y CI lo requiere" >&2; exit 1; fi; \
		echo "PostgreSQL no disponible: se omitió esa base de datos"; \
	fi

lint: env  ## ruff, and the import contract of docs/architecture.md
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: env
	$(BIN)/mypy

format: env
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: env bench-deps  ## benchmarks (figures, not pass/fail)
	$(BIN)/python bench/schedule.py
	$(BIN)/python bench/first_pdf.py
	$(BIN)/python bench/close.py --loans 100000 --database sqlite
	$(BIN)/python bench/close.py --loans 100000 --database postgres
	$(BIN)/python bench/loan_detail.py --database sqlite --quiet
	$(BIN)/python bench/loan_detail.py --database postgres --quiet

lock: $(UV)
	$(UV) lock --python $(PYTHON)

clean:
	rm -rf $(VENV) $(TOOLS) var staticfiles
