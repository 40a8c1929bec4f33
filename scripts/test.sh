#!/usr/bin/env bash
# Installs deskpet, its test tools and the torch/peft reference extra into .venv (first time
# only), lints, checks the formatting (ruff format), runs the whole suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k chat).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap_venv "test,train"
cd "$ROOT"
"$VENV/bin/ruff" check deskpet tests packaging
"$VENV/bin/ruff" format --check deskpet tests packaging
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$VENV/bin/python" -m pytest "$@"
