"""The benchmark scripts run, and their contenders compute the same gradient (bench_ops checks it)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_bench_ops_runs_every_contender_with_the_same_gradient():
    # its diagnostics too: --no-guard swaps memory_guard.protect for a stub of the same signature
    # (the stub fell behind when protect took the op's keyword params, and the script crashed)
    out = subprocess.run([sys.executable, str(BENCH / "bench_ops.py"), "--rounds", "1", "--depths", "20",
                          "--no-guard"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    header = next(line for line in out.stdout.splitlines() if line.split()[:1] == ["N"])
    row = next(line for line in out.stdout.splitlines() if line.split()[:1] == ["20"])
    assert "unguarded" in header and len(row.split()) >= 5   # N, minigrad, bare graph, numpy fwd, unguarded
    assert all(float(v) > 0 for v in row.split()[1:])
