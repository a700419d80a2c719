# Two commands for a new user: `make run` (the bot on its embedded default: the console on a
# local SQLite file) and `make test` (the whole suite, Synapse included). Both build .venv first.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/chambre-bot run

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

# The benchmarks (scripts, not tests); each prints its numbers. See docs/*.md for measured ones.
bench: $(STAMP)
	$(VENV)/bin/python bench/bench_when.py
	$(VENV)/bin/python bench/bench_listen.py
	$(VENV)/bin/python bench/bench_core.py
	$(VENV)/bin/python bench/bench_rocketchat.py
	$(VENV)/bin/python bench/bench_matrix.py
	$(VENV)/bin/python bench/bench_split.py
	$(VENV)/bin/python bench/bench_pledges.py

clean:
	rm -rf $(VENV) *.egg-info
