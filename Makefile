# Zhibo's two everyday commands:
#   make run   set up, migrate, seed the demo data and serve http://127.0.0.1:8000 (SQLite, no Redis)
#   make test  set up and run the whole test suite (PostgreSQL and Redis of this machine)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000

# The test suite runs against real services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15

.PHONY: run test setup setup-dev browser lint format migrations-check check bench lock vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.lock
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@ $(VENV)/.base-installed

setup: $(VENV)/.base-installed
setup-dev: $(VENV)/.dev-installed

# The embedded default: SQLite, no Redis; Celery's worker and beat run beside the web server on
# the filesystem broker, so retraining stays periodic in the demo too.
run: setup
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py recommender train --sync
	$(BIN)/celery -A config.celery_app worker --beat --queues default,training,media \
		--concurrency 1 --loglevel WARNING & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST)

# The browser tests (tests/browser) drive the system's chromium; CJK fonts render the pages.
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium fonts-noto-cjk)

test: setup-dev browser
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL-$(TEST_REDIS_URL)} \
		$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: setup-dev
	mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# Regenerate the lock files after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.lock
	uv pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 --generate-hashes -q -o requirements/bench.lock

# Front-end libraries from npm (frontend/package.json, pinned by its package-lock.json), copied
# into static/vendor/ and committed there, so the site needs no Node.js and no CDN. Run it again
# after changing a version; the copies must stay byte for byte what npm installs (a test checks).
VENDOR := static/vendor
vendor:
	cd frontend && npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(VENDOR)/hls.js
	cp frontend/node_modules/hls.js/dist/hls.min.js frontend/node_modules/hls.js/LICENSE $(VENDOR)/hls.js/
	mkdir -p $(VENDOR)/chart.js
	cp frontend/node_modules/chart.js/dist/chart.umd.min.js frontend/node_modules/chart.js/LICENSE.md \
		$(VENDOR)/chart.js/

bench: setup-dev
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.lock

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
