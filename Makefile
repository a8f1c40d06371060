# Quick start: `make demo` then `make test`. Both create .venv with python3 and install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE := corpora/reports/000_51954c0da616a2a1.txt

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,store]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nlp-reports extract $(SAMPLE)

test: $(STAMP)
	$(BIN)/python -m pytest -q nlp_reports tests

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
