# LiveTrader — the two commands of the README are `make run` and `make test`.
# Both create or update the virtual environment from requirements.lock by themselves,
# with uv when it is on PATH and pip otherwise.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The compiled per-tick formula path (packaging/native.py): its digest file is written last, so it
# stands for a build of the current sources. LIVETRADER_PURE_PYTHON=1 skips it (no C compiler).
COMPILED := livetrader_gui/processing/_compiled
NATIVE := $(COMPILED)/sources.sha256
NATIVE_SOURCES := livetrader_gui/processing/stream.py livetrader_gui/processing/stream_indicators.py \
	$(COMPILED)/__init__.py packaging/native.py
ARGS ?=

# uv does not read the system CA store on every machine (STACK.md); point it at Debian's bundle.
CA_BUNDLE := /etc/ssl/certs/ca-certificates.crt
ifneq ($(wildcard $(CA_BUNDLE)),)
export SSL_CERT_FILE ?= $(CA_BUNDLE)
endif
# Imports of the stack take ~9 s instead of ~2.5 s without precompiled bytecode.
export UV_COMPILE_BYTECODE := 1

.PHONY: run screenshots package test lint typecheck imports unit coverage-check mutation clean venv

venv: $(NATIVE)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if command -v uv >/dev/null 2>&1; then \
		echo "installing with uv"; \
		uv pip sync --python $(BIN)/python --only-binary ta-lib requirements.lock && \
		uv pip install --python $(BIN)/python --no-deps -e . ; \
	else \
		echo "installing with pip"; \
		$(BIN)/python -m pip install --quiet --only-binary ta-lib -r requirements.lock && \
		$(BIN)/python -m pip install --quiet --no-deps -e . ; \
	fi
	@touch $(STAMP)

$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	$(BIN)/python packaging/native.py

run: $(NATIVE)
	$(BIN)/livetrader-gui $(ARGS)

screenshots: $(NATIVE)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m livetrader_gui.app.screenshots docs/screenshots

# The PyInstaller bundle dist/livetrader-gui/, the release archive beside it, and one JSON line
# with their sizes and the bundle's cold start (packaging/README.md; tests/packaging builds it too).
package: $(NATIVE)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/build.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check livetrader_gui tests bench packaging
	$(BIN)/ruff format --check livetrader_gui tests bench packaging

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(NATIVE)
	rm -f .coverage .coverage.*
	QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 $(BIN)/pytest --cov --cov-report=term $(ARGS)

# The whole package above 85 % (the seed's acceptance checklist); domain and persistence, the
# ground everything stands on, above 90 %.
coverage-check: $(STAMP)
	$(BIN)/coverage report --fail-under=85 --format=total > /dev/null || \
		(echo "overall coverage is below 85 %"; $(BIN)/coverage report --format=total; exit 1)
	$(BIN)/coverage report --fail-under=90 --skip-covered \
		--include='livetrader_gui/domain/*,livetrader_gui/adapters/persistence/*'
	@# The risk rules are safety critical: every branch is tested.
	$(BIN)/coverage report --fail-under=100 --include='livetrader_gui/domain/risk_rules.py'

# Mutation test of the risk rules ([tool.mutmut] in pyproject.toml): any surviving mutant fails.
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run > mutants.log 2>&1 || (cat mutants.log; exit 1)
	@$(BIN)/mutmut results --all true > mutants.txt
	@killed=$$(grep -c ': killed$$' mutants.txt); total=$$(wc -l < mutants.txt); \
	echo "mutation test: $$killed of $$total mutants killed"; \
	if [ "$$killed" -ne "$$total" ] || [ "$$total" -eq 0 ]; then grep -v ': killed$$' mutants.txt; exit 1; fi

test: lint typecheck imports unit coverage-check mutation

clean:
	rm -rf $(VENV) build dist $(COMPILED)/*.so $(COMPILED)/*.pyd $(NATIVE) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov mutants mutants.log mutants.txt
