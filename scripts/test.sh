#!/usr/bin/env bash
# Installs deskpet, its test tools and the torch/peft reference extra into .venv (first time
# only), lints, checks the formatting (ruff format), runs the whole suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k chat; -n0 runs in one process).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap_venv "test,train"
cd "$ROOT"
"$VENV/bin/ruff" check deskpet tests packaging
"$VENV/bin/ruff" format --check deskpet tests packaging
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
# One test process per core, at most four: most of the suite waits on one MLX thread, a model
# server or Qt, so two processes on two cores nearly halve the run.
exec "$VENV/bin/python" -m pytest -n auto --maxprocesses=4 "$@"
