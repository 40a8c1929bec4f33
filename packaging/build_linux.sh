#!/usr/bin/env bash
# Builds the Linux one-folder bundle from packaging/deskpet.spec, smoke-checks its deskpet-hook
# and runs the app's self-test.
#
#   packaging/build_linux.sh            # -> dist/deskpet/deskpet, dist/deskpet/deskpet-hook
#
# Not part of CI (a few minutes on two cores): it checks that the spec collects everything the
# frozen app needs (data files, hidden imports, libmlx) before anyone builds it on a Mac.
# The self-test reuses the demo model from deskpet's real cache (DESKPET_CACHE), so it does
# not download it again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
cd "$ROOT"

if [[ ! -x "$PY" ]]; then
    echo "build_linux.sh: no virtualenv at $VENV (run scripts/bootstrap.sh or set VENV)" >&2
    exit 1
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "== installing pyinstaller into $VENV"
    "$PY" -m pip install --quiet pyinstaller
fi

echo "== pyinstaller $("$PY" -m PyInstaller --version)"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build" packaging/deskpet.spec

BUNDLE="$ROOT/dist/deskpet"
INTERNAL="$BUNDLE/_internal"

echo "== checking the bundle layout"
fail=0
for path in assets/themes/deskpet/theme.yaml assets/icons/app_icon_1024.png personas; do
    if [[ ! -e "$INTERNAL/$path" ]]; then
        echo "missing: _internal/$path" >&2
        fail=1
    fi
done
# libmlx must sit in mlx/lib (core.*.so finds it there). The Linux mlx-cpu wheel has no
# mlx.metallib; if one is ever bundled it must be beside libmlx (see the spec's comment).
libmlx="$(find "$INTERNAL/mlx" -name 'libmlx.so*' | head -n 1)"
if [[ -z "$libmlx" ]]; then
    echo "missing: libmlx.so under _internal/mlx" >&2
    fail=1
else
    echo "libmlx: ${libmlx#"$BUNDLE"/}"
    metallib="$(find "$INTERNAL" -name 'mlx.metallib' | head -n 1)"
    if [[ -n "$metallib" && "$(dirname "$metallib")" != "$(dirname "$libmlx")" ]]; then
        echo "mlx.metallib (${metallib#"$BUNDLE"/}) is not beside libmlx" >&2
        fail=1
    fi
fi
# The agents' shim must sit beside deskpet: installers.hook_argv() looks for it there.
if [[ ! -x "$BUNDLE/deskpet-hook" ]]; then
    echo "missing: deskpet-hook beside deskpet" >&2
    fail=1
fi
if [[ -d "$INTERNAL/torch" ]]; then
    echo "torch was bundled: it is excluded in the spec, something pulled it in" >&2
    fail=1
fi
[[ $fail -eq 0 ]] || exit 1
echo "bundle size: $(du -sh "$BUNDLE" | cut -f1), of which deskpet-hook $(du -h "$BUNDLE/deskpet-hook" | cut -f1)"

echo "== dist/deskpet/deskpet-hook with recorded agent events"
# Exit 0, the exact reply each agent expects, nothing on stderr, a fast median, and one event
# delivered to a listening socket; in a throwaway home, so no running pet is disturbed.
"$PY" packaging/check_hook.py "$BUNDLE/deskpet-hook"

echo "== dist/deskpet/deskpet --self-test"
# The real cache (not a temporary one): the demo model is reused, not fetched again.
export DESKPET_CACHE="${DESKPET_CACHE:-$("$PY" -c 'from deskpet.paths import cache_dir; print(cache_dir())')}"
export QT_QPA_PLATFORM=offscreen
# A throwaway home: the self-test must not need (or touch) the owner's settings.
DESKPET_HOME="$(mktemp -d)"
export DESKPET_HOME
trap 'rm -rf "$DESKPET_HOME"' EXIT
"$BUNDLE/deskpet" --self-test
