# mobilenmt build entry points. `make help` lists them.
# Sections are owned by concern; keep each target's recipe short and call scripts for anything long.

CARGO   ?= cargo
PREFIX  ?= /usr/local
PYTHON  ?= python3
VENV    ?= .venv

.PHONY: help
help:
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# ---- build, header, install, lint, tests (C ABI and packaging) ----

# ---- kernels (benchmarks, aarch64 under qemu) ----

# ---- models, fixtures, demo, benchmarks against peers ----
