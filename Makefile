# bridgenet_ros developer commands. The README's two commands: `make demo` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.bridgenet-installed
PYTEST_ARGS ?=

COMPAT_PYTHON ?= $(shell scripts/find_python.sh 3.10)
COMPAT_VENV ?= .venv-compat
# robot-side tests that need neither torch nor rclpy
COMPAT_TESTS := test/runtime/test_pipeline.py test/runtime/test_fill.py \
	test/runtime/test_camera.py test/runtime/test_config.py test/core/test_resize.py \
	test/core/test_normalize_padding.py test/stream/test_codec.py test/stream/test_pairing.py \
	test/stream/test_registration.py test/stream/test_extrinsic.py test/runtime/test_outliers.py \
	test/runtime/test_align.py test/runtime/test_flat_guard.py

.PHONY: venv test test-compat demo lint bench-model clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## make test: create .venv if missing, install pinned dependencies, run the whole suite with
## line coverage of bridgenet_ros (the total is printed; `.venv/bin/python -m coverage report`
## shows it per file), then the robot-side tests on Humble's Python 3.10 + numpy 1.21.
test: venv
	$(PY) -m pytest --cov=bridgenet_ros --cov-report= $(PYTEST_ARGS)
	@echo "coverage: $$($(PY) -m coverage report --format=total) % of bridgenet_ros lines" \
	  "(tests in this process; subprocesses not counted)"
	$(MAKE) --no-print-directory test-compat

## make test-compat: runtime/ and ros/ (codec, pairing) on Python 3.10 + numpy 1.21.6.
## Without a Python 3.10 it fails under CI=true and skips (with the message) elsewhere.
test-compat:
	@if [ -z "$(COMPAT_PYTHON)" ] && [ "$(CI)" = "true" ]; then \
	  echo "error: test-compat needs Python 3.10 (CI=true): none found on PATH or in pyenv;" \
	    "install it or set COMPAT_PYTHON=/path/to/python3.10" >&2; \
	  exit 1; \
	elif [ -z "$(COMPAT_PYTHON)" ]; then \
	  echo "test-compat SKIPPED: no python3.10 found (set COMPAT_PYTHON=/path/to/python3.10;" \
	    "with CI=true this is an error)"; \
	else \
	  set -e; \
	  test -x $(COMPAT_VENV)/bin/python || $(COMPAT_PYTHON) -m venv $(COMPAT_VENV); \
	  $(COMPAT_VENV)/bin/python -m pip install --quiet -r requirements-compat.txt; \
	  $(COMPAT_VENV)/bin/python -c 'import sys, numpy; print("test-compat: Python", \
	    sys.version.split()[0], "numpy", numpy.__version__)'; \
	  PYTHONPATH=$(CURDIR) $(COMPAT_VENV)/bin/python -m pytest -q -p no:cacheprovider \
	    $(COMPAT_TESTS); \
	fi

## make demo: the embedded default end to end (synthetic bag -> bench with the shipped model).
demo: venv
	$(PY) -m bridgenet_ros.cli.main demo

## make lint: the checks the suite and the pre-commit hooks run.
lint: venv
	$(PY) -m ruff check bridgenet_ros test launch scripts setup.py
	$(PY) -m ruff format --check bridgenet_ros test launch scripts setup.py
	$(PY) -m mypy bridgenet_ros

clean-venv:
	rm -rf $(VENV)
