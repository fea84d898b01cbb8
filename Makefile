# bridgenet_ros developer commands. The README's two commands: `make demo` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.bridgenet-installed
PYTEST_ARGS ?=

.PHONY: venv test demo lint bench-model clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## make test: create .venv if missing, install pinned dependencies, run the whole suite.
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## make demo: the embedded default end to end (synthetic bag -> bench with the shipped model).
demo: venv
	$(PY) -m bridgenet_ros.cli.main demo

lint: venv
	$(PY) -m ruff check bridgenet_ros test launch
	$(PY) -m mypy bridgenet_ros

clean-venv:
	rm -rf $(VENV)
