"""Optimizer-step benchmark: minigrad's eight optimizers vs torch.optim and the memory floor.

Workload: 10 parameters of 1,000,000 float32 each, with fixed random
gradients, one ``step()`` timed at a time, single-threaded. For each
optimizer the table gives the median step time of minigrad, of
``torch.optim`` (default CPU path, ``foreach=True``, ``fused=True`` where
PyTorch has it), and of the memory-traffic floor: the bytes the update must
read and write (parameter, gradient and state, each once) divided by the
bandwidth of an in-place ``a += b`` measured in the same run. Ratios are
medians over paired rounds (every contender once per round). The last column
is the peak memory NumPy allocated during one minigrad step after warm-up
(tracemalloc): the temporaries of the formula-shaped ``_update`` (each
``lr * g`` is a new parameter-sized array), freed within the step. Before it,
the page faults per minigrad step (minor faults, mean over the timed rounds):
when the C library hands those temporaries fresh pages (it returns freed
memory at the top of its heap to the system), each step pays a fault per 4 KiB,
which can make a step several times slower from one run to the next.

The project's targets (DESIGN.md, Performance): each optimizer within 1.5x of
PyTorch's default step, RAdam within 1.0x.

    python bench/bench_optim.py [--rounds 15] [--size 1000000] [--tensors 10]
"""

import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy and PyTorch are imported

import argparse           # noqa: E402
import pathlib            # noqa: E402
import statistics         # noqa: E402
import sys                # noqa: E402
import time               # noqa: E402
import tracemalloc        # noqa: E402

import numpy as np        # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

from minigrad import optim  # noqa: E402
from minigrad.nn import Parameter  # noqa: E402

try:
    import resource       # page faults (Unix)
except ImportError:
    resource = None

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # the table then has minigrad and the floor only
    torch = None


# name, minigrad constructor, torch class and kwargs, arrays the step reads + writes
# (θ, g and each state array read; θ and each state array written).
# The target is minigrad / torch default ≤ TARGET[name] (1.5 unless given).
TARGET = {"RAdam": 1.0}
CASES = [
    ("SGD", lambda ps: optim.SGD(ps, lr=1e-3), ("SGD", dict(lr=1e-3)), 3),
    ("SGDM", lambda ps: optim.SGDM(ps, lr=1e-3), ("SGD", dict(lr=1e-3, momentum=0.9)), 5),
    ("Adagrad", lambda ps: optim.Adagrad(ps), ("Adagrad", dict(lr=0.01, eps=1e-10)), 5),
    ("RMSProp", lambda ps: optim.RMSProp(ps, init="zeros"), ("RMSprop", dict(lr=1e-3, alpha=0.9)), 5),
    ("Adam", lambda ps: optim.Adam(ps), ("Adam", dict()), 7),
    ("AMSGrad", lambda ps: optim.AMSGrad(ps), ("Adam", dict(amsgrad=True)), 9),
    ("RAdam", lambda ps: optim.RAdam(ps), ("RAdam", dict()), 7),
    # NOTE: a fixed gradient is a constant gradient, under which SWATS switches at step 2
    # (SWATS' docstring); eps = 0 makes the switch test |Λ̂ − γ| < ε impossible, so this
    # row times the Adam phase (vs torch's Adam) and the next one the SGD phase.
    ("SWATS adam", lambda ps: optim.SWATS(ps, eps=0.0), ("Adam", dict()), 7),
    ("SWATS sgd", lambda ps: optim.SWATS(ps), ("SGD", dict(lr=1e-3, momentum=0.9)), 5),
]
FUSED = {"SGD", "Adam", "AdamW", "Adagrad"}  # torch.optim classes with a fused CPU kernel


def _faults():
    """Minor page faults of this process so far (0 where the resource module is missing)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--tensors", type=int, default=10)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    data = [rng.standard_normal(args.size).astype(np.float32) for _ in range(args.tensors)]
    grads = [rng.standard_normal(args.size).astype(np.float32) for _ in range(args.tensors)]

    # The floor's bandwidth: in-place a += b reads two arrays and writes one.
    a = [x.copy() for x in data]

    def add_inplace():
        for x, y in zip(a, grads):
            x += y

    add_inplace()
    t_add = statistics.median(timed(add_inplace) for _ in range(max(args.rounds, 10)))
    array_bytes = args.size * 4 * args.tensors
    bandwidth = 3 * array_bytes / t_add
    print(f"{args.tensors} x {args.size:,} float32, single thread; in-place a += b: "
          f"{t_add * 1e3:.2f} ms = {bandwidth / 1e9:.1f} GB/s; {args.rounds} paired rounds")

    header = (f"{'optimizer':<11} {'minigrad':>9} {'torch':>9} {'foreach':>9} {'fused':>9} "
              f"{'floor':>8}  {'mg/torch':>8} {'mg/foreach':>10} {'mg/fused':>8} {'mg/floor':>8}  "
              f"{'faults':>7} {'peak alloc':>10}  target")
    print(header)
    print("-" * len(header))
    for name, make, (torch_name, torch_kwargs), arrays in CASES:
        params = [Parameter(x) for x in data]
        for p, g in zip(params, grads):
            p.grad = g
        opt = make(params)
        contenders = {"minigrad": opt.step}
        if torch is not None:
            cls = getattr(torch.optim, torch_name)
            variants = {"torch": {}, "foreach": {"foreach": True}}
            if torch_name in FUSED:
                variants["fused"] = {"fused": True}
            for label, extra in variants.items():
                tps = [torch.tensor(x) for x in data]
                for tp, g in zip(tps, grads):
                    tp.grad = torch.tensor(g)
                contenders[label] = cls(tps, **torch_kwargs, **extra).step
        for step in contenders.values():  # warm-up: state allocated, SWATS switched
            step()
            step()
        if name == "SWATS adam" and opt.phase != "adam" or name == "SWATS sgd" and opt.phase != "sgd":
            raise RuntimeError(f"{name}: SWATS is in phase {opt.phase!r}")
        times = {label: [] for label in contenders}
        faults = 0
        for _ in range(args.rounds):
            for label, step in contenders.items():
                before = _faults()
                times[label].append(timed(step))
                if label == "minigrad":
                    faults += _faults() - before
        tracemalloc.start()
        tracemalloc.reset_peak()
        opt.step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        floor = arrays * array_bytes / bandwidth
        med = {label: statistics.median(ts) for label, ts in times.items()}

        def ratio(label):
            if label not in times:
                return "-"
            return f"{statistics.median(m / t for m, t in zip(times['minigrad'], times[label])):.2f}x"

        target = TARGET.get(name, 1.5)
        met = "" if torch is None else (
            f"≤ {target}x " + ("met" if float(ratio("torch")[:-1]) <= target else "MISSED"))

        def ms(label):
            return f"{med[label] * 1e3:.2f}" if label in med else "-"

        print(f"{name:<11} {ms('minigrad'):>9} {ms('torch'):>9} {ms('foreach'):>9} {ms('fused'):>9} "
              f"{floor * 1e3:>8.2f}  {ratio('torch'):>8} {ratio('foreach'):>10} {ratio('fused'):>8} "
              f"{med['minigrad'] / floor:>7.2f}x  {faults / args.rounds:>7.0f} {peak:>10,}  {met}")
    print("times in ms (medians); mg/X = median over rounds of minigrad time / X time; faults: page faults "
          "per minigrad step; peak alloc in bytes for one minigrad step after warm-up")


if __name__ == "__main__":
    main()
