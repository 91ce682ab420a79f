#!/usr/bin/env bash
# The CUDA check of `measure` (issue 22 item 5, issue 25 item 1), from the working tree alone:
# no install, no network; needs python3 with torch, numpy, scipy, typer, rich, pytest, hypothesis.
#
#   bash examples/gpu_check.sh            # from the repository root (or anywhere: it cds there)
#
# 1. tests/test_measure.py on every device (cpu, and cuda where available): CUDA equals CPU to
#    1e-6 relative in float32 and 1e-12 in float64, AMP, every term against its numpy reference;
# 2. examples/benchmark_measure.py --device cuda at B = 8192, D = 256 (goal: ≤ 2× a bare B×B
#    matmul), skipped where CUDA is not available;
# then one summary line. Exit status: that of the tests, else of the benchmark.
set -u
cd "$(dirname "$0")/.." || exit 2
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG"' EXIT

cuda=$("$PY" -c "import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" 2>/dev/null) || {
    echo "gpu_check: cannot import torch with $PY"; exit 2; }

"$PY" -m pytest tests/test_measure.py -o addopts= -q -p no:cacheprovider -W ignore::UserWarning -rs 2>&1 | tee "$LOG/tests"
tests_rc=${PIPESTATUS[0]}
tests_line=$(grep -E "^[0-9]+ (passed|failed)|^=+ .*(passed|failed)" "$LOG/tests" | tail -1 | tr -d '=' | sed 's/^ *//; s/ *$//')
cuda_skipped=$(awk '/^SKIPPED \[[0-9]+\].*no CUDA device here/ {gsub(/[^0-9]/, "", $2); n += $2} END {print n + 0}' "$LOG/tests")

if [ -n "$cuda" ]; then
    "$PY" examples/benchmark_measure.py --device cuda --batch-size 8192 --dim 256 2>&1 | tee "$LOG/bench"
    bench_rc=${PIPESTATUS[0]}
    ratio=$(sed -n 's/.*measurement \/ matmul = \([0-9.]*\)x.*/\1/p' "$LOG/bench")
    bench="benchmark on $cuda at B = 8192, D = 256: measure / matmul = ${ratio:-?}x (goal ≤ 2x)"
    [ "$bench_rc" -ne 0 ] && bench="benchmark FAILED (exit $bench_rc)"
else
    bench_rc=0
    bench="CUDA part skipped: no CUDA device here ($cuda_skipped CUDA test cases skipped, benchmark not run)"
fi
echo "gpu_check: tests ${tests_line:-did not run} (exit $tests_rc); $bench"
[ "$tests_rc" -ne 0 ] && exit "$tests_rc"
exit "$bench_rc"
