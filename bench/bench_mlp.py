"""Compute-bound training step: MLP 784-1024-1024-10 (ReLU), batch 256, cross-entropy, SGD.

One step = forward + backward + ``SGD.step()``. Compared, in one process,
single threaded, as medians of paired rounds:

- minigrad (``nn.Sequential``, ``F.cross_entropy``, ``optim.SGD``),
- PyTorch eager (the same model, ``torch.optim.SGD``), when installed,
- the bare 8 GEMMs of that step in NumPy with preallocated ``out=`` arrays
  (3 forward, 3 weight gradients, 2 input gradients: the first layer's input
  needs none). Everything else a step does costs extra relative to this floor.

The target (DESIGN.md): minigrad ≤ 1.15 × the bare GEMMs.

    python bench/bench_mlp.py [--rounds 15] [--steps 3] [--profile]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

N, SIZES, LR = 256, (784, 1024, 1024, 10), 0.01


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], N)
    return X, y


def make_minigrad(seed=0):
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(a, b, rng=seed + i))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    return model, mg.optim.SGD(model.parameters(), lr=LR)


def minigrad_step(model, opt, X, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    return loss


def make_torch(state_dict):
    import torch
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})
    return model, torch.optim.SGD(model.parameters(), lr=LR)


def torch_step(model, opt, X, y):
    import torch
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    return loss


class BareGemms:
    """The 8 matrix products of one step, into preallocated arrays: the floor."""

    def __init__(self, X, weights):
        self.X = X
        self.W = weights                                   # (out, in) each
        self.h = [np.empty((N, w.shape[0]), np.float32) for w in weights]   # layer outputs
        self.gh = [np.empty((N, w.shape[1]), np.float32) for w in weights[1:]]  # input grads
        self.gW = [np.empty_like(w) for w in weights]
        self.G = np.random.default_rng(1).standard_normal((N, SIZES[-1])).astype(np.float32)

    def step(self):
        X, W, h, gh, gW = self.X, self.W, self.h, self.gh, self.gW
        np.matmul(X, W[0].T, out=h[0])          # forward
        np.matmul(h[0], W[1].T, out=h[1])
        np.matmul(h[1], W[2].T, out=h[2])
        np.matmul(self.G.T, h[1], out=gW[2])    # backward, layer 3
        np.matmul(self.G, W[2], out=gh[1])
        np.matmul(gh[1].T, h[0], out=gW[1])     # layer 2
        np.matmul(gh[1], W[1], out=gh[0])
        np.matmul(gh[0].T, X, out=gW[0])        # layer 1 (no input gradient)


def timed(fn, steps):
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps


def check_against_torch(X, y):
    """Same start, same data: one step of each must give the same loss and weights."""
    import torch
    model, opt = make_minigrad()
    tmodel, topt = make_torch(model.state_dict())
    loss = minigrad_step(model, opt, mg.Tensor(X), y)
    tloss = torch_step(tmodel, topt, torch.from_numpy(X), torch.from_numpy(y))
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for k, v in tmodel.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-4, atol=1e-6)


def phases(model, opt, X, y, steps):
    """Seconds per step spent in forward (incl. loss), backward and the optimizer step."""
    t = {"forward": 0.0, "backward": 0.0, "step": 0.0}
    for _ in range(steps):
        opt.zero_grad()
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(X), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        t["forward"] += t1 - t0
        t["backward"] += t2 - t1
        t["step"] += t3 - t2
    return {k: v / steps for k, v in t.items()}


def main(argv=None):
    """Print the timings and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=3, help="steps per timed block")
    ap.add_argument("--profile", action="store_true", help="cProfile 20 minigrad steps")
    args = ap.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None

    X, y = make_data()
    Xt = mg.Tensor(X)
    model, opt = make_minigrad()
    bare = BareGemms(X, [p.data.copy() for name, p in model.named_parameters() if name.endswith("weight")])
    runs = {"minigrad": lambda: minigrad_step(model, opt, Xt, y), "bare GEMMs": bare.step}
    if torch is not None:
        check_against_torch(X, y)
        tmodel, topt = make_torch(model.state_dict())
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)
        runs["torch"] = lambda: torch_step(tmodel, topt, tX, ty)

    if args.profile:
        import cProfile
        import pstats
        for _ in range(3):
            runs["minigrad"]()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            runs["minigrad"]()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return

    for fn in runs.values():  # warm up: allocator, BLAS buffers
        for _ in range(3):
            fn()
    times = {k: [] for k in runs}
    names = list(runs)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]  # alternate to cancel drift
        for k in order:
            times[k].append(timed(runs[k], args.steps))
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = lambda a, b: statistics.median(x / z for x, z in zip(times[a], times[b]))  # noqa: E731

    gflop = 2 * N * sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:])) * 3 / 1e9
    gflop -= 2 * N * SIZES[0] * SIZES[1] / 1e9  # the first layer has no input gradient
    print(f"MLP {'-'.join(map(str, SIZES))} ReLU, batch {N}, cross-entropy, SGD; one thread; "
          f"median of {args.rounds} paired rounds of {args.steps} steps")
    for k in names:
        print(f"  {k:<11} {med[k] * 1e3:8.2f} ms/step  ({gflop / med[k]:5.1f} GFLOP/s on the GEMMs)")
    print(f"  minigrad / bare GEMMs = {ratio('minigrad', 'bare GEMMs'):.3f}   (target <= 1.15)")
    if torch is not None:
        print(f"  torch    / bare GEMMs = {ratio('torch', 'bare GEMMs'):.3f}")
        print(f"  minigrad / torch      = {ratio('minigrad', 'torch'):.3f}")
    ph = phases(model, opt, Xt, y, 10)
    print("  minigrad phases: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in ph.items()))


if __name__ == "__main__":
    main()
