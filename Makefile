# Two entry points (see README): `make run` starts the product locally, `make test` runs every check.
# Both create their virtual environments on first use, from pinned requirements, and install the web app's
# packages (web/package-lock.json) when they are missing or the lock file changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# pyenv machines: make python3.13 (the Lambda runtime's version) resolvable; harmless elsewhere.
export PYENV_VERSION ?= 3.13.0:3.12.1:3.11.7
export SAM_CLI_TELEMETRY := 0
# The browser tests launch Debian's Chromium (tests/web/conftest.py): Playwright must never fetch one of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
PYTHON ?= python3.13
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
PORT ?= 3000
FUZZ_SECONDS ?= 600
WEB := web
# npm ci has run for this lock file: inside node_modules, so a fresh clone (or a deleted node_modules) has none.
NPM_STAMP := $(WEB)/node_modules/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help run test test-deployed lint typecheck unit template build bench fuzz clean
.PHONY: web web-typecheck web-client chromium

help:
	@echo "make run    start the product locally on 127.0.0.1:$(PORT) (the web app at /app, built if missing)"
	@echo "make test   ruff, mypy, the web app's type check and build, pytest (Chromium too), cfn-lint,"
	@echo "            sam validate --lint, checkov, sam build"
	@echo "make web    build the web app into web/dist (npm ci first when the lock file changed)"
	@echo "make web-client  regenerate web/src/api/schema.d.ts from the API's OpenAPI document"
	@echo "make bench  run the benchmarks (results: docs/benchmarks.md)"
	@echo "make test-deployed  the end-to-end suites against a deployed stack (DEPLOYED_API_URL, DEPLOYED_USER_POOL_ID, DEPLOYED_USER_POOL_CLIENT_ID)"
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
	@test -f $(WEB)/dist/index.html || $(MAKE) --no-print-directory web \
		|| echo "The web app was not built (above): the API runs, /app answers 503 until make web succeeds."
	$(BIN)/python -m local_stack --port $(PORT)

test: lint typecheck web-typecheck unit template build

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# The browser tests (tests/web) drive Chromium against the stack serving the app's build. Always the local stack,
# even in a shell that names a deployment (DEPLOYED_API_URL is for `make test-deployed`).
unit: $(BIN)/.installed chromium web
	env -u DEPLOYED_API_URL $(BIN)/pytest

$(NPM_STAMP): $(WEB)/package-lock.json $(WEB)/package.json
	@command -v npm >/dev/null || { echo "npm is needed for the web app (Node.js 20 or newer)"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

web: $(NPM_STAMP)
	cd $(WEB) && npm run build

web-typecheck: $(NPM_STAMP)
	cd $(WEB) && npm run typecheck

# The OpenAPI document the stack serves (built without serving), then its types for the app's client.
web-client: $(BIN)/.installed $(NPM_STAMP)
	$(BIN)/python -m local_stack.openapi_dump --output $(WEB)/openapi.json
	cd $(WEB) && npm run generate

chromium:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is still missing after apt-get install chromium"; exit 1; }

template: $(BIN)/.installed $(SAM_VENV)/bin/.installed $(CHECKOV_VENV)/bin/.installed
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --region eu-west-2
	# Every finding fails the build but those skipped in the template, each with its reason (Metadata: checkov).
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

build: $(SAM_VENV)/bin/.installed
	$(SAM_VENV)/bin/sam build --region eu-west-2
	@ls .aws-sam/build/SharedLayer/python/therapy_booking/__pycache__/*.cpython-313.pyc >/dev/null \
		|| { echo "the built layer has no bytecode"; exit 1; }

# Not part of `make test` (no AWS here): the end-to-end suites over HTTPS against a deployed stack, with test users
# the run creates in its user pool and removes; what needs the local stack is skipped, each with its reason
# (docs/deploying.md, "Testing a deployment").
test-deployed: $(BIN)/.installed
	@test -n "$(DEPLOYED_API_URL)" -a -n "$(DEPLOYED_USER_POOL_ID)" -a -n "$(DEPLOYED_USER_POOL_CLIENT_ID)" \
		|| { echo "set DEPLOYED_API_URL, DEPLOYED_USER_POOL_ID and DEPLOYED_USER_POOL_CLIENT_ID (the stack's outputs)"; exit 1; }
	$(BIN)/pytest -m e2e tests/local_stack

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.run_all

# The OpenAPI document against the running product: every phase, the three roles side by side (see tests/fuzz).
fuzz: $(BIN)/.installed
	$(BIN)/python -m tests.fuzz --seconds $(FUZZ_SECONDS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache $(WEB)/dist $(WEB)/test-results
