#!/usr/bin/env bash
# Installs what deskpet needs into .venv (first time only) and runs it; arguments pass through.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap_venv ""
exec "$VENV/bin/deskpet" "$@"
