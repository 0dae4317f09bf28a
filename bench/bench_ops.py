"""Per-op overhead: a chain of N links y = tanh(y*0.9 + 0.1) on 16 float32, forward + backward.

Three ops per link. Reports µs per op for minigrad, PyTorch eager (when
installed) and a plain NumPy forward loop, in one process, single threaded,
with medians of paired rounds (their order turns each round, so that none
always runs right after another), and the ratio minigrad / PyTorch.

Targets (DESIGN.md): minigrad <= 0.7x PyTorch's µs per op at 1,000 links,
<= 1.0x at 30,000.

``--no-gc`` pauses CPython's cyclic garbage collector inside every timed run
(of all three contenders alike): a diagnostic, not the figure to report. It
shows how much of the growth with depth is the collector re-scanning the live
graph and the rest of the process's heap (some 170,000 objects once torch is
imported; a full collection of them takes 0.1-0.3 s on the 2-core machines
here). minigrad's graph is Python objects, three that the collector tracks
per op (the result Tensor, its node, the node's tuple of inputs): a chain of
30,000 links sets off several full collections, PyTorch's C++ graph none.

    python bench/bench_ops.py [--rounds 15] [--depths 1000,30000] [--no-gc]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import minigrad as mg  # noqa: E402

OPS_PER_LINK = 3


def run_minigrad(n, x0):
    x = mg.Tensor(x0, requires_grad=True)
    y = x
    for _ in range(n):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()
    return x.grad


def run_torch(n, x0):
    import torch
    x = torch.tensor(x0, requires_grad=True)
    y = x
    for _ in range(n):
        y = torch.tanh(y * 0.9 + 0.1)
    y.sum().backward()
    return x.grad.numpy()


def run_numpy(n, x0):
    y = x0
    for _ in range(n):
        y = np.tanh(y * 0.9 + 0.1)
    return y


def timed(fn, *args, no_gc=False):
    gc_was_on = gc.isenabled()
    if no_gc:
        gc.disable()
    try:
        t = time.perf_counter()
        fn(*args)
        return time.perf_counter() - t
    finally:
        if gc_was_on:
            gc.enable()


def main(argv=None):
    """Print the per-op table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--depths", default="1000,30000")
    ap.add_argument("--no-gc", action="store_true",
                    help="pause the cyclic garbage collector inside each timed run (diagnostic)")
    args = ap.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200000))  # torch's own graph teardown
    x0 = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    print(f"chain of y = tanh(y*0.9 + 0.1), 16 float32, fwd+bwd, {OPS_PER_LINK} ops/link, "
          f"median of {args.rounds} paired rounds" + (", cyclic GC paused while timing" if args.no_gc else ""))
    print(f"objects tracked by the garbage collector before the runs: {len(gc.get_objects()):,}")
    print(f"{'N':>7} {'minigrad µs/op':>15} {'torch µs/op':>12} {'numpy fwd µs/op':>16} {'minigrad/torch':>15}")
    for n in map(int, args.depths.split(",")):
        if torch is not None:
            np.testing.assert_allclose(run_minigrad(50, x0), run_torch(50, x0), rtol=1e-5)
        rows = {"mg": [], "torch": [], "np": []}
        runs = [("mg", run_minigrad), ("np", run_numpy)] + ([("torch", run_torch)] if torch else [])
        for r in range(args.rounds):
            for name, run in runs[r % len(runs):] + runs[:r % len(runs)]:  # the order turns each round
                rows[name].append(timed(run, n, x0, no_gc=args.no_gc))
        us = {k: statistics.median(v) / (n * OPS_PER_LINK) * 1e6 for k, v in rows.items() if v}
        ratios = [a / b for a, b in zip(rows["mg"], rows["torch"])] if rows["torch"] else []
        t_us = f"{us['torch']:12.2f}" if "torch" in us else f"{'-':>12}"
        ratio = f"{statistics.median(ratios):15.2f}" if ratios else f"{'-':>15}"
        print(f"{n:>7} {us['mg']:15.2f} {t_us} {us['np']:16.2f} {ratio}")
    if torch is not None:
        print("targets: <= 0.7x PyTorch at N = 1,000, <= 1.0x at N = 30,000")


if __name__ == "__main__":
    main()
