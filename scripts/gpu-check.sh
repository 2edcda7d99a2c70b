#!/usr/bin/env bash
# The GPU checks (docs/ENGINE.md, "Devices"), for a machine with an NVIDIA GPU, Node 20 and a Python
# whose torch is a CUDA build (PYTHON, default python3): builds the addon against that libtorch, then
# runs the device tests and the SIGKILL/resume suite on cuda, W1–W4 on cuda against PyTorch on cuda,
# and the README's main job on cuda. Every result goes to stdout (and $OUT when set).
set -euo pipefail
export PYTHON="${PYTHON:-python3}"
out="${OUT:-/tmp/gantry-gpu-check}"
mkdir -p "$out"
node scripts/build-native.mjs
npm run build
node dist/src/cli/main.js doctor | tee "$out/doctor.txt"
GANTRY_TEST_DEVICE=cuda npx vitest run test/torch/device.test.ts test/train/resume.test.ts 2>&1 | tee "$out/tests.txt"
node dist/perf/engine.js --device cuda --python "$PYTHON" --reps 9 | tee "$out/engine-cuda.jsonl"
node dist/src/cli/main.js bench synthetic --quick --device cuda --out "$out/quick" | tee "$out/quick.txt"
