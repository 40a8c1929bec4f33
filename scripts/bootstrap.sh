# Sourced by run.sh and test.sh: makes .venv with a Python >= 3.11 and installs deskpet into it.
# Usage: bootstrap_venv EXTRA   (EXTRA is "" for the app, "test" for the test tools)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    local candidates="python3.13 python3.12 python3.11 python3"
    # On Linux the test extra pins torch==2.13.0, whose CPU build is at hand for 3.11 only.
    [ "$(uname -s)" = "Linux" ] && candidates="python3.11 python3.12 python3.13 python3"
    for candidate in $candidates; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# llama.cpp's server (the test extra) compiles for about 5 minutes: build its wheel once into
# deskpet's cache, and let every later install (a fresh clone, a new .venv) take it from there.
LLAMA_CPP="llama-cpp-python==0.3.36"
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/deskpet/wheels"

build_llama_cpp_wheel() {
    if ! ls "$WHEELS"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
        echo "Building $LLAMA_CPP once into $WHEELS (about 5 minutes)" >&2
        mkdir -p "$WHEELS"
        CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
            "$VENV/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
            "$LLAMA_CPP" -w "$WHEELS"
    fi
}

bootstrap_venv() {
    local extra="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        if ! python="$(find_python)"; then
            echo "deskpet needs Python 3.11 or newer (on a Mac: 'brew install python@3.12')." >&2
            exit 1
        fi
        echo "Creating $VENV with $python" >&2
        "$python" -m venv "$VENV"
    fi
    # Reinstall only when what we would install changed, so the second run starts at once.
    local spec="${extra:+[$extra]}"
    local stamp
    stamp="$(cat "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)-$extra"
    if [ "$(cat "$VENV/.deskpet-installed" 2>/dev/null)" != "$stamp" ]; then
        echo "Installing deskpet${extra:+ with its $extra tools} into .venv (first run takes a minute)" >&2
        case ",$extra," in *,test,*) build_llama_cpp_wheel ;; esac
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --find-links "$WHEELS" -e "$ROOT$spec"
        echo "$stamp" > "$VENV/.deskpet-installed"
    fi
}
