# The README's two commands. Both install whatever is missing first (idempotent, into .venv).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo test lint clean-venv

install:
	@bash tools/install.sh

## demo: train HiT-SRF x4 on built-in photographs, test it and bicubic, print PSNR/SSIM, write a side-by-side PNG
demo: install
	$(PY) tools/misc/hit_sr_demo_job.py

## test: the whole test suite (what CI runs)
test: install
	$(PY) -m pytest tests -q -p no:cacheprovider --durations=20 $(PYTEST_ARGS)

lint: install
	$(PY) -m flake8 panguvision tools demo tests configs projects
	$(PY) -m isort --check-only --diff panguvision tools demo tests

clean-venv:
	rm -rf $(VENV)
