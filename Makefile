# Two commands, each doing its own set-up on a fresh machine (python3 and make are enough):
#   make run    create .venv if needed, install the app, launch it
#   make test   create .venv if needed, install the test extras and the Debian packages the tests use, run the suite
# and, on Linux, a menu entry for the user that runs this checkout's .venv/bin/perceptron-playground:
#   make install-desktop     write $XDG_DATA_HOME/applications/perceptron-playground.desktop and its icon
#   make uninstall-desktop   remove them (XDG_DATA_HOME defaults to ~/.local/share; see tools/desktop_entry.sh)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Qt's xcb platform plugin needs these X libraries to open a real window, and a font (without one Qt warns,
# and the tests fail on Qt warnings).
QT_DEBS   := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 \
             libxcb-randr0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 \
             fonts-dejavu-core
# The tests also open the real window once, under Xvfb, and draw the exported SVGs with librsvg (rsvg-convert).
TEST_DEBS := $(QT_DEBS) xvfb xauth librsvg2-bin

.PHONY: run test lint bench install-desktop uninstall-desktop clean

run: $(VENV)/.installed-app
	@bash tools/ensure_debian.sh $(QT_DEBS)
	$(PY) main.py

test: $(VENV)/.installed-test
	@bash tools/ensure_debian.sh $(TEST_DEBS)
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .

bench: $(VENV)/.installed-test
	$(PY) bench/engine.py
	$(PY) bench/data.py
	$(PY) bench/session.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/gui.py

install-desktop: $(VENV)/.installed-app
	@bash tools/ensure_debian.sh $(QT_DEBS)
	@bash tools/desktop_entry.sh install "$$(cd "$(VENV)" && pwd)/bin/perceptron-playground"

uninstall-desktop:
	@bash tools/desktop_entry.sh uninstall

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { bash tools/ensure_debian.sh python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed-app: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-app

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info build dist
