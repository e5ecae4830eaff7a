#!/usr/bin/env bash
# The GPU check, run from the repository root on a machine with an NVIDIA GPU (the project need not be
# installed there: the repository root goes on PYTHONPATH):
#
#   OUT=/some/dir scripts/gpu-check.sh
#
# 1. installs the wheels carried in .whl/ (if any) into /tmp/site, offline, ahead of the machine's own
#    packages (e.g. a numpy that numba-cuda supports);
# 2. prints the versions (torch, numba, numba-cuda, numpy; nvidia-smi)          -> $OUT/versions.txt
# 3. runs the GPU tests: pytest -m gpu                                           -> $OUT/gpu-tests.log
# 4. runs the GPU benchmark: python -m suite.bench --device cuda                 -> $OUT/bench-cuda.json,
#    $OUT/bench-cuda.md (the report), $OUT/bench-cuda.log (progress and errors)
#
# Each step has its own time limit (the whole script ends within 8 minutes) and a failed step never stops
# the later ones; the exit code is the first failed step's (0 when all passed). Timings: 30 s, 200 s, 230 s.
set -u
OUT=${OUT:-$(mktemp -d /tmp/gpu-check.XXXXXX)}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
ROOT=$(pwd)
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
status=0
note() { echo "== $* ($(date -u +%H:%M:%S))"; }
step_failed() { echo "!! $1 failed (exit code $2)"; [ "$status" -ne 0 ] || status=$2; }

if [ -d .whl ] && compgen -G ".whl/*.whl" > /dev/null; then
    note "installing carried wheels: $(ls .whl)"
    if timeout 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site .whl/*.whl; then
        export PYTHONPATH="/tmp/site:$PYTHONPATH"
    else
        step_failed "wheel install" $?
    fi
fi

note "versions"
timeout 30 "$PY" - <<'EOF' 2>&1 | tee "$OUT/versions.txt"
from importlib import metadata
import sys
print("python", sys.version.split()[0])
for dist in ("torch", "numba", "numba-cuda", "numpy", "tensorly-torch", "triton", "pytest"):
    try:
        print(dist, metadata.version(dist))
    except metadata.PackageNotFoundError:
        print(dist, "not installed")
import torch
print("cuda available", torch.cuda.is_available(), "| torch CUDA", torch.version.cuda,
      "| cuDNN", torch.backends.cudnn.version())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
EOF
timeout 15 nvidia-smi 2>&1 | tee -a "$OUT/versions.txt" || echo "nvidia-smi unavailable" | tee -a "$OUT/versions.txt"

note "GPU tests (pytest -m gpu)"
set -o pipefail
timeout 200 "$PY" -m pytest -m gpu -q -p no:cacheprovider tests/ 2>&1 | tee "$OUT/gpu-tests.log"
rc=$?
# 5: no test carries the gpu marker yet (not a failure of this check)
[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || step_failed "GPU tests" "$rc"

note "GPU benchmark (python -m suite.bench --device cuda)"
timeout 230 "$PY" -m suite.bench --device cuda --time-limit 170 --json "$OUT/bench-cuda.json" \
    > "$OUT/bench-cuda.md" 2> >(tee "$OUT/bench-cuda.log" >&2)
rc=$?
[ "$rc" -eq 0 ] || step_failed "GPU benchmark" "$rc"
note "done: $(ls "$OUT")"
exit "$status"
