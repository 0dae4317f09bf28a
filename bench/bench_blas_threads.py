"""One BLAS thread or several, for one layer's products: where minigrad.blas_threads draws its line.

For a layer with an n × n weight and a batch of b rows, times the three
products of a training step (forward x @ W, and backward g @ Wᵀ and xᵀ @ g)
with BLAS limited to one thread and to all threads, in alternating rounds,
and prints the ratio. ``minigrad.blas_threads.SMALL_MODEL_MACS`` is the
largest b·n·n for which one thread was not slower, on an idle machine and a
busy one.

    python bench/bench_blas_threads.py [--rounds 5]
"""

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits


def step_time(x, w, threads, reps):
    """Seconds per step (the three products), best of ``reps`` runs, on ``threads`` BLAS threads."""
    with threadpool_limits(limits=threads, user_api="blas"):
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            y = x @ w
            y @ w.T
            x.T @ y
            best = min(best, time.perf_counter() - t)
    return best


def main(argv=None):
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    cores = os.cpu_count()
    rng = np.random.default_rng(0)
    print(f"{'n':>5} {'batch':>6} {'MACs':>9} {'1 thread µs':>12} {f'{cores} threads µs':>13} {'many/1':>7}")
    for n in (32, 64, 128, 256, 512, 1024):
        for b in (32, 256):
            x = rng.standard_normal((b, n)).astype(np.float32)
            w = rng.standard_normal((n, n)).astype(np.float32)
            reps = max(3, int(2e8 / (b * n * n)))
            one = min(step_time(x, w, 1, reps) for _ in range(args.rounds))
            many = min(step_time(x, w, cores, reps) for _ in range(args.rounds))
            print(f"{n:5d} {b:6d} {b * n * n:9.1e} {one * 1e6:12.1f} {many * 1e6:13.1f} {many / one:7.2f}")


if __name__ == "__main__":
    main()
