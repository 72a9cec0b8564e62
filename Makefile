# Ferry's commands. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-from-pyproject

.PHONY: setup run server test lint bench bench-quick bench-gui screenshot assets install-desktop cert clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	# The distribution was called 'ferry' before 'ferry-files': drop that older editable install.
	$(VPY) -m pip uninstall --quiet --yes ferry 2>/dev/null || true
	$(VPY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

## Serve ./library on 127.0.0.1:7069, with the desktop app connected when there is a display.
run: setup
	$(VPY) tools/run_local.py

## The headless server alone, in the foreground.
server:
	$(PYTHON) run_server.py --root library

## Every test: unit, protocol, server processes, terminal client and the GUI under Xvfb.
test: setup
	tools/ensure_system_deps.sh
	$(VPY) -m pytest

lint: setup
	$(VPY) -m ruff check .

bench: setup
	$(VPY) -m bench

bench-quick: setup
	$(VPY) -m bench --quick

## The desktop app's speed (1 GiB through the window, 100,000 files) under Xvfb.
bench-gui: setup
	tools/ensure_system_deps.sh
	$(VPY) -m pytest -p tests.conftest -p tests.gui.conftest bench/gui_speed.py -s -q

## docs/screenshot.png, taken under its own Xvfb.
screenshot: setup
	$(VPY) tools/gui_screenshot.py

## Redraw the icons in assets/ from tools/make_assets.py.
assets: setup
	$(VPY) tools/make_assets.py

## Put Ferry in the desktop's application menu for the current user (installed: ferry-gui --install-desktop).
install-desktop: setup
	$(VPY) tools/install_desktop.py

## A self-signed TLS certificate and key in ./certs, for trying --tls-cert/--tls-key.
cert:
	tools/make_cert.sh certs

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
