# Two commands for a new user: `make run` (the bot on its embedded default: the console on a
# local SQLite file) and `make test` (the whole suite, Synapse included). Both build .venv first.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test typecheck bench browser screenshot clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/chambre-bot run

# The web board's tests drive a real Chromium: installed here with apt-get when missing and
# possible (else those tests skip, saying why).
browser:
	@bash tools/install-browser.sh

# deploy/chambre-bot.service is checked with systemd-analyze (Debian's `systemd` package):
# installed here when it is missing and this is a Debian machine where we are root (a CI
# container); elsewhere that one test is skipped, and says why.
SYSTEMD_ANALYZE := $(shell command -v systemd-analyze 2>/dev/null)

# The type check first: it names the file and line of a wrong type in a few seconds (about 10
# with no cache), before the suite's minutes; make stops there when it fails.
test: typecheck browser
ifeq ($(SYSTEMD_ANALYZE),)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's systemd package for systemd-analyze (deploy/ is checked with it)"; \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd) >/dev/null 2>&1 \
			|| echo "could not install it: the unit's check will be skipped"; \
	fi
endif
	$(VENV)/bin/python -m pytest -q

# mypy, strict, on bot/ commands/ storage/: the settings are in pyproject.toml ([tool.mypy]).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# docs/board.png, the README's picture of the board, from a demo database made by the commands.
screenshot: $(STAMP) browser
	$(VENV)/bin/python tools/screenshot.py docs/board.png

# The benchmarks (scripts, not tests); each prints its numbers. See docs/*.md for measured ones.
bench: $(STAMP)
	$(VENV)/bin/python bench/bench_when.py
	$(VENV)/bin/python bench/bench_listen.py
	$(VENV)/bin/python bench/bench_core.py
	$(VENV)/bin/python bench/bench_rocketchat.py
	$(VENV)/bin/python bench/bench_matrix.py
	$(VENV)/bin/python bench/bench_split.py
	$(VENV)/bin/python bench/bench_minutes.py
	$(VENV)/bin/python bench/bench_web.py
	$(VENV)/bin/python bench/bench_backup.py
	$(VENV)/bin/python bench/bench_pledges.py
	$(VENV)/bin/python bench/bench_polls.py

clean:
	rm -rf $(VENV) *.egg-info
