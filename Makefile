# Two entry points (see README): `make run` starts the product locally, `make test` runs every check.
# Both create their virtual environments on first use, from pinned requirements.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# pyenv machines: make python3.13 (the Lambda runtime's version) resolvable; harmless elsewhere.
export PYENV_VERSION ?= 3.13.0:3.12.1:3.11.7
export SAM_CLI_TELEMETRY := 0
PYTHON ?= python3.13
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
PORT ?= 3000
FUZZ_SECONDS ?= 600

.PHONY: help run test test-deployed lint typecheck unit template build bench fuzz clean

help:
	@echo "make run    start the product locally on 127.0.0.1:$(PORT)"
	@echo "make test   ruff, mypy, pytest, cfn-lint, sam validate --lint, checkov, sam build"
	@echo "make bench  run the benchmarks (results: docs/benchmarks.md)"
	@echo "make test-deployed  the HTTP flows against a deployed stack (DEPLOYED_API_URL, DEPLOYED_USER_POOL_ID, DEPLOYED_USER_POOL_CLIENT_ID)"
	@echo "make fuzz   schemathesis against the local stack as each role, FUZZ_SECONDS=$(FUZZ_SECONDS)"

$(BIN)/.installed: requirements-dev.txt layers/shared/requirements.txt
	@command -v $(PYTHON) >/dev/null && $(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 13)' \
		|| { echo "Python 3.13 is needed (the Lambda runtime's version): install it, or pass PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/bin/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

$(SAM_VENV)/bin/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m local_stack --port $(PORT)

test: lint typecheck unit template build

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest

template: $(BIN)/.installed $(SAM_VENV)/bin/.installed $(CHECKOV_VENV)/bin/.installed
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --region eu-west-2
	# Every finding fails the build but those skipped in the template, each with its reason (Metadata: checkov).
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

build: $(SAM_VENV)/bin/.installed
	$(SAM_VENV)/bin/sam build --region eu-west-2
	@ls .aws-sam/build/SharedLayer/python/therapy_booking/__pycache__/*.cpython-313.pyc >/dev/null \
		|| { echo "the built layer has no bytecode"; exit 1; }

# Not part of `make test` (no AWS here): the flows over HTTPS against a deployed stack, with test users the run
# creates in its user pool and removes (docs/deploying.md, "Testing a deployment").
test-deployed: $(BIN)/.installed
	@test -n "$(DEPLOYED_API_URL)" || { echo "set DEPLOYED_API_URL, DEPLOYED_USER_POOL_ID and DEPLOYED_USER_POOL_CLIENT_ID (the stack's outputs)"; exit 1; }
	$(BIN)/pytest -m deployed tests/deployed

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.run_all

# The OpenAPI document against the running product: every phase, the three roles side by side (see tests/fuzz).
fuzz: $(BIN)/.installed
	$(BIN)/python -m tests.fuzz --seconds $(FUZZ_SECONDS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
