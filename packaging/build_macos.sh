#!/usr/bin/env bash
# Builds Deskpet.app and Deskpet-<version>.dmg on an Apple Silicon Mac (docs/release.md).
#
#   packaging/build_macos.sh
#
# Environment:
#   PYTHON                   the Python to build with (default python3; 3.11 or newer, arm64;
#                            a python.org universal2 or Homebrew build)
#   DESKPET_SIGN_IDENTITY    "Developer ID Application: Name (TEAMID)": sign with the hardened
#                            runtime; unset: the app keeps PyInstaller's ad-hoc signature
#   DESKPET_NOTARY_PROFILE   a `xcrun notarytool store-credentials` keychain profile: notarize
#                            and staple the .dmg; unset (or unsigned): skipped
#   DESKPET_SKIP_SELF_TEST=1 skip running the built app's --self-test (it needs the network
#                            once, to fetch the demo model into the cache); the deskpet-hook
#                            smoke check still runs
#
# Outputs: dist/Deskpet.app, dist/Deskpet-<version>.dmg. Work files: build/macos/.
#
# Written from Apple's and PyInstaller's documentation on a Linux machine: not yet run on a
# Mac. The lines to watch on the first run are tagged MAC-CHECK (docs/release.md lists them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
WORK="$ROOT/build/macos"
VENV="$WORK/venv"
WHEELS="$WORK/wheelhouse"
APP="$ROOT/dist/Deskpet.app"
ENTITLEMENTS="$ROOT/packaging/entitlements.plist"
# The oldest macOS deskpet supports (Info.plist LSMinimumSystemVersion says the same).
export MACOSX_DEPLOYMENT_TARGET=14.0
MIN_MACOS="$MACOSX_DEPLOYMENT_TARGET"

say() { echo "== $*"; }
die() { echo "build_macos.sh: $*" >&2; exit 1; }

[[ "$(uname -s)" == Darwin ]] || die "this script builds the macOS app; on Linux use packaging/build_linux.sh"
[[ "$(uname -m)" == arm64 ]] || die "build on Apple Silicon (arm64): MLX's Metal build is arm64 only"

VERSION="$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
PYVER="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
DMG="$ROOT/dist/Deskpet-$VERSION.dmg"
say "deskpet $VERSION, Python $PYVER, macOS >= $MIN_MACOS"

# --- 1. a clean build environment, wheels only, for the oldest supported macOS ---------------
# WORKAROUND for pip choosing wheels for the build machine's macOS, not the oldest supported.
# pip picks the wheel for the *running* macOS (mlx publishes macosx_14_0, macosx_15_0, ...
# wheels; a 15.x build machine would get a 15.0 libmlx that does not load on 14). So the
# dependencies are downloaded for --platform macosx_14_0_arm64 (pip accepts that tag and every
# older one), then installed offline from that folder. --only-binary: nothing is compiled here.
rm -rf "$WORK" "$ROOT/build/deskpet" "$ROOT/dist/deskpet" "$APP" "$DMG"
mkdir -p "$WORK" "$WHEELS"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
say "building the deskpet wheel"
"$PY" -m pip wheel --quiet --no-deps -w "$WHEELS" "$ROOT"
DESKPET_WHEEL="$(ls "$WHEELS"/deskpet-*.whl)"
say "downloading dependency wheels for macosx_${MIN_MACOS/./_}_arm64"
"$PY" -m pip download --quiet --dest "$WHEELS" --only-binary=:all: \
    --platform "macosx_${MIN_MACOS/./_}_arm64" --implementation cp \
    --python-version "$PYVER" \
    "$DESKPET_WHEEL" certifi
"$PY" -m pip install --quiet --no-index --find-links "$WHEELS" "$DESKPET_WHEEL" certifi
# The build tool itself runs only here; its bootloader supports macOS 10.13 and later.
"$PY" -m pip install --quiet --only-binary=:all: pyinstaller
"$PY" -c "import mlx.core as mx; print('mlx', mx.__version__, mx.default_device())"

# --- 2. the app icon --------------------------------------------------------------------------
say "packaging/deskpet.icns from assets/icons/app_icon_1024.png"
ICONSET="$WORK/deskpet.iconset"
mkdir -p "$ICONSET"
SRC_ICON="$ROOT/assets/icons/app_icon_1024.png"
for size in 16 32 128 256 512; do
    sips -z "$size" "$size" "$SRC_ICON" --out "$ICONSET/icon_${size}x${size}.png" >/dev/null
    double=$((size * 2))
    sips -z "$double" "$double" "$SRC_ICON" --out "$ICONSET/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns -o "$ROOT/packaging/deskpet.icns" "$ICONSET"

# --- 3. PyInstaller ---------------------------------------------------------------------------
say "pyinstaller packaging/deskpet.spec"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build" packaging/deskpet.spec
[[ -d "$APP" ]] || die "PyInstaller did not produce $APP"

# --- 4. checks on the bundle ------------------------------------------------------------------
say "checking the bundle"
/usr/libexec/PlistBuddy -c "Print :LSUIElement" "$APP/Contents/Info.plist" | grep -qi true \
    || die "Info.plist: LSUIElement is not true"
/usr/libexec/PlistBuddy -c "Print :LSMinimumSystemVersion" "$APP/Contents/Info.plist"
# The spec sets LSBackgroundOnly false on purpose (deskpet-hook's console flag would turn it on;
# a background-only app shows no pet) and the app must start deskpet, not the shim.
if /usr/libexec/PlistBuddy -c "Print :LSBackgroundOnly" "$APP/Contents/Info.plist" 2>/dev/null \
        | grep -qi true; then
    die "Info.plist: LSBackgroundOnly is true (the pet would have no window)"
fi
EXECUTABLE="$(/usr/libexec/PlistBuddy -c "Print :CFBundleExecutable" "$APP/Contents/Info.plist")"
[[ "$EXECUTABLE" == deskpet ]] || die "Info.plist: CFBundleExecutable is $EXECUTABLE, not deskpet"
# The agents' shim, beside the app's executable: installers.hook_argv() looks for it there.
[[ -x "$APP/Contents/MacOS/deskpet-hook" ]] || die "Contents/MacOS/deskpet-hook is missing"

# MLX loads its Metal kernels from "mlx.metallib" in the folder of the libmlx.dylib it loaded
# (dladdr). PyInstaller keeps binaries in Contents/Frameworks and data in Contents/Resources,
# linking each data file back beside the binaries, so the path MLX computes must resolve.
LIBMLX="$(find "$APP/Contents" -name libmlx.dylib -not -type l | head -n 1)"
[[ -n "$LIBMLX" ]] || die "libmlx.dylib is not in the bundle"
# MAC-CHECK: libmlx.dylib lands in Contents/Frameworks/mlx/lib with mlx.metallib beside it
# (expected: a symlink Contents/Frameworks/mlx/lib/mlx.metallib ->
# ../../../Resources/mlx/lib/mlx.metallib).
METALLIB="$(dirname "$LIBMLX")/mlx.metallib"
[[ -e "$METALLIB" ]] || die "mlx.metallib is not beside ${LIBMLX#"$APP/"} (MLX would find no Metal kernels)"
echo "libmlx:   ${LIBMLX#"$APP/"}"
if [[ -L "$METALLIB" ]]; then
    echo "metallib: ${METALLIB#"$APP/"} -> $(readlink "$METALLIB")"
else
    echo "metallib: ${METALLIB#"$APP/"}"
fi
[[ ! -e "$APP/Contents/Frameworks/torch" ]] || die "torch was bundled (excluded in the spec)"

# Every Mach-O must load on the oldest supported macOS.
too_new=0
while IFS= read -r -d '' file; do
    file -b "$file" | grep -q 'Mach-O' || continue
    minos="$(otool -l "$file" | awk '
        /LC_BUILD_VERSION/ {b=1} b && $1=="minos" {print $2; exit}
        /LC_VERSION_MIN_MACOSX/ {v=1} v && $1=="version" {print $2; exit}')"
    [[ -z "$minos" ]] && continue
    if [[ "$(printf '%s\n%s\n' "$minos" "$MIN_MACOS" | sort -V | tail -n 1)" != "$MIN_MACOS" ]]; then
        echo "needs macOS $minos: ${file#"$APP/"}" >&2
        too_new=1
    fi
done < <(find "$APP/Contents" -type f \( -perm -u+x -o -name '*.dylib' -o -name '*.so' \) -print0)
[[ $too_new -eq 0 ]] || die "some binaries need a newer macOS than $MIN_MACOS"
echo "bundle size: $(du -sh "$APP" | cut -f1)"

# --- 5. code signing (hardened runtime) ----------------------------------------------------------
SIGNED=0
if [[ -n "${DESKPET_SIGN_IDENTITY:-}" ]]; then
    say "signing with \"$DESKPET_SIGN_IDENTITY\" (hardened runtime)"
    sign() { codesign --force --timestamp --options runtime --sign "$DESKPET_SIGN_IDENTITY" "$@"; }
    # Inside out: every nested Mach-O, then nested frameworks, then the app with entitlements.
    # Symlinks are skipped (their targets are signed); the main executable goes last.
    # Contents/MacOS/deskpet-hook is signed in the loop, hardened runtime without entitlements:
    # it loads only libpython and stdlib extensions, all signed here with the same identity.
    # MAC-CHECK: signed without entitlements, deskpet-hook passes step 6
    # (if it fails there, sign it like deskpet below, with the entitlements).
    while IFS= read -r -d '' file; do
        [[ "$file" == "$APP/Contents/MacOS/deskpet" ]] && continue
        if file -b "$file" | grep -q 'Mach-O'; then
            sign "$file"
        fi
    done < <(find "$APP/Contents" -type f -print0)
    # MAC-CHECK: Qt's frameworks as PyInstaller 6 lays them out sign as bundles
    # (PySide6/Qt/lib/*.framework; codesign names any that does not).
    while IFS= read -r -d '' framework; do
        sign "$framework"
    done < <(find "$APP/Contents" -type d -name '*.framework' -not -path '*/Versions/*' -print0 | sort -rz)
    sign --entitlements "$ENTITLEMENTS" "$APP/Contents/MacOS/deskpet"
    sign --entitlements "$ENTITLEMENTS" "$APP"
    # MAC-CHECK: codesign --verify --deep --strict accepts the app with deskpet-hook inside
    codesign --verify --deep --strict --verbose=2 "$APP"
    codesign --display --entitlements - "$APP" >/dev/null
    SIGNED=1
else
    echo "DESKPET_SIGN_IDENTITY is not set: skipping code signing (the app keeps its ad-hoc"
    echo "signature: it runs here, Gatekeeper will refuse it on other Macs)"
fi

# --- 6. the built app checks itself -----------------------------------------------------------
# The shim first (no network needed, so never skipped), signed as it will ship: recorded agent
# events on stdin in a throwaway home, exit 0, the exact replies, a fast median, and one event
# delivered to a listening socket.
say "Deskpet.app/Contents/MacOS/deskpet-hook with recorded agent events"
"$PY" "$ROOT/packaging/check_hook.py" "$APP/Contents/MacOS/deskpet-hook" \
    || die "the bundled deskpet-hook failed its smoke check"
if [[ "${DESKPET_SKIP_SELF_TEST:-}" != 1 ]]; then
    say "Deskpet.app/Contents/MacOS/deskpet --self-test"
    # MAC-CHECK: on Device(gpu, 0) the self-test writes real words (Metal dtype, 512 prefill)
    # (load.py picks the compute dtype, bf16 or fp16 on Metal; the worker prefills 512 tokens
    # at a time on a GPU: neither has run on Metal yet).
    SELFTEST_HOME="$(mktemp -d)"
    DESKPET_HOME="$SELFTEST_HOME" "$APP/Contents/MacOS/deskpet" --self-test \
        || { rm -rf "$SELFTEST_HOME"; die "the built app failed its self-test"; }
    rm -rf "$SELFTEST_HOME"
fi

# --- 7. the disk image ------------------------------------------------------------------------
say "building $(basename "$DMG")"
STAGE="$WORK/dmg"
rm -rf "$STAGE"
mkdir -p "$STAGE"
# ditto keeps symlinks, extended attributes and signatures intact (cp -R does not always).
ditto "$APP" "$STAGE/Deskpet.app"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Deskpet" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG" >/dev/null
if [[ $SIGNED -eq 1 ]]; then
    codesign --force --timestamp --sign "$DESKPET_SIGN_IDENTITY" "$DMG"
fi

# --- 8. notarization --------------------------------------------------------------------------
if [[ -n "${DESKPET_NOTARY_PROFILE:-}" && $SIGNED -eq 1 ]]; then
    say "notarizing $(basename "$DMG") (profile $DESKPET_NOTARY_PROFILE)"
    # --wait returns when Apple answers; on "Invalid" read the log:
    #   xcrun notarytool log <submission-id> --keychain-profile "$DESKPET_NOTARY_PROFILE"
    xcrun notarytool submit "$DMG" --keychain-profile "$DESKPET_NOTARY_PROFILE" --wait \
        | tee "$WORK/notarytool.log"
    # MAC-CHECK: notarization accepts the .dmg with both programs in it
    grep -q "status: Accepted" "$WORK/notarytool.log" || die "notarization was not accepted"
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
elif [[ -n "${DESKPET_NOTARY_PROFILE:-}" ]]; then
    echo "DESKPET_NOTARY_PROFILE is set but the app is not signed: skipping notarization"
else
    echo "DESKPET_NOTARY_PROFILE is not set: skipping notarization"
fi

say "done: $APP, $DMG ($(du -h "$DMG" | cut -f1))"
