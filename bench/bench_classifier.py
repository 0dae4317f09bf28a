"""Toy-classifier benchmark: seconds per epoch of digits, MLP 64-64-10, Adam, batch 32.

Workload (the README's "Benchmarks"): the digits training split (1437 x 64,
standardised float32), an MLP 64-64-10 with ReLU (one hidden layer of 64), cross-entropy, Adam with
lr 1e-3, mini-batches of 32 in a new shuffled order every epoch, single thread.
Contenders, one timed epoch each per round, each right after an untimed epoch of
its own (paired rounds, medians; the order turns each round):

- minigrad: ``optim.train(..., epochs=1)`` with nn.Sequential and F.cross_entropy
  (the whole loop a user runs: batching, forward, backward, step, history);
- numpy: a hand-written forward / backward / Adam on the same arrays, the floor
  (withheld from a homework student copy: it gives exercises away);
- torch: PyTorch eager, the same model, loss, optimizer (default CPU Adam) and batches;
- sklearn: ``MLPClassifier(solver="adam").partial_fit``, which runs one epoch.

minigrad, numpy and torch start from the same weights and see the same batches
(so their losses agree to float32 rounding: printed as a check); scikit-learn
draws its own. Target (DESIGN.md): minigrad <= 1.4x numpy, same test accuracy.
With ``--profile`` the minigrad step is also timed phase by phase and run under
cProfile.

With ``--cold`` each timed epoch follows another contender's instead.

With ``--no-guard`` one more contender, "unguarded", is minigrad with
``memory_guard.protect`` replaced by a no-op (saved arrays stay writable, so
raw writes go unseen): a diagnostic that shows what the guard costs, not a
way to run minigrad.

    python bench/bench_classifier.py [--rounds 20] [--profile] [--cold] [--no-guard]
"""

import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy and PyTorch are imported

import argparse           # noqa: E402
import cProfile           # noqa: E402
import math               # noqa: E402
import pathlib            # noqa: E402
import pstats             # noqa: E402
import statistics         # noqa: E402
import sys                # noqa: E402
import time               # noqa: E402
import warnings           # noqa: E402

import numpy as np        # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

import minigrad as mg     # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # the table then has no torch row
    torch = None

SIZES = (64, 64, 10)  # input, hidden, classes ("MLP 64-64-10")
LR, BATCH = 1e-3, 32
TARGET = 1.4


def initial_weights(seed):
    """PyTorch's default Linear initialisation, U(−1/√in, 1/√in), drawn with NumPy: [(W, b), ...]."""
    gen = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        bound = 1 / math.sqrt(n_in)
        layers.append((gen.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                       gen.uniform(-bound, bound, n_out).astype(np.float32)))
    return layers


# ---------------------------------------------------------------- contenders
# Each has epoch(order) -> list of step losses, and accuracy(X, y).

class Minigrad:
    def __init__(self, weights, X, y):
        layers = []
        for W, _ in weights:
            layers += [nn.Linear(W.shape[1], W.shape[0]), nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])
        self.model.load_state_dict({f"{2 * i}.{k}": a for i, (W, b) in enumerate(weights)
                                    for k, a in (("weight", W), ("bias", b))})
        self.opt = optim.Adam(self.model.parameters(), lr=LR)
        self.X, self.y = X, y

    def epoch(self, gen):
        return optim.train(self.model, F.cross_entropy, self.opt, self.X, self.y,
                           batch_size=BATCH, epochs=1, rng=gen).step_loss

    def accuracy(self, X, y):
        with mg.no_grad():
            return float((self.model(mg.Tensor(X)).data.argmax(1) == y).mean())


class Unguarded(Minigrad):
    """minigrad with its memory guard off (``--no-guard``, a diagnostic)."""

    def epoch(self, gen):
        guard = mg.memory_guard.protect
        mg.memory_guard.protect = lambda node, arrays, result, params=None: None
        try:
            return super().epoch(gen)
        finally:
            mg.memory_guard.protect = guard


class NumPyFloor:
    """Forward, backward and Adam by hand, in place where it is free: the floor.

    The bodies marked SPOILER give homework exercises away, so a student copy
    withholds them (``minigrad.homework``).
    """

    def __init__(self, weights, X, y):
        self.params = [a.copy() for W, b in weights for a in (W, b)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self.t = 0
        self.X, self.y = X, y

    def forward(self, x):
        """The activations: [x, h1, ..., logits] (ReLU between the layers)."""
        acts = [x]
        for W, b in zip(self.params[::2], self.params[1::2]):
            z = acts[-1] @ W.T
            z += b
            acts.append(z)
            if len(acts) < len(SIZES):
                np.maximum(z, 0, out=z)
        return acts

    def epoch(self, gen, phases=None):
        X, y = self.X, self.y
        order = gen.permutation(len(X))
        return [self.step(X[idx], y[idx], phases) for idx in
                (order[i:i + BATCH] for i in range(0, len(X), BATCH))]

    def step(self, x, t, phases=None):
        """One update; with a dict ``phases``, add each phase's seconds to it."""
        clock = time.perf_counter
        t0 = clock()
        acts = self.forward(x)
        t1 = clock()
        loss, d = self.loss_and_gradient(acts[-1], t)
        t2 = clock()
        grads = self.backward(acts, d)
        t3 = clock()
        self.adam(grads)
        if phases is not None:
            t4 = clock()
            for name, seconds in (("forward", t1 - t0), ("loss", t2 - t1), ("backward", t3 - t2),
                                  ("zero_grad+step", t4 - t3)):
                phases[name] += seconds
        return loss

    def loss_and_gradient(self, z, t):
        """The mean cross-entropy of the logits ``z`` (overwritten) and dL/dz."""
        # BEGIN SPOILER nn.cross_entropy_backward
        n, rows = len(t), np.arange(len(t))
        z -= z.max(axis=1, keepdims=True)              # log-softmax, stable
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s).mean() - z[rows, t].mean())  # mean cross-entropy
        d = e / s                                      # dL/dz = (softmax − onehot) / n
        d[rows, t] -= 1
        d /= n
        return loss, d
        # END SPOILER

    def backward(self, acts, d):
        """The gradients of the parameters, given dL/d(logits) ``d`` (linear layers, ReLU between)."""
        # BEGIN SPOILER ops.matmul_backward
        grads = [None] * len(self.params)
        for k in range(len(SIZES) - 2, -1, -1):        # layer k: acts[k] -> acts[k + 1]
            h = acts[k]
            grads[2 * k], grads[2 * k + 1] = d.T @ h, d.sum(axis=0)
            if k:
                d = d @ self.params[2 * k]
                d *= h > 0                             # ReLU'
        return grads
        # END SPOILER

    def adam(self, grads, beta1=0.9, beta2=0.999, eps=1e-8):
        """Adam in place, with one scratch array per parameter: no allocation per step."""
        # BEGIN SPOILER optim.adam_moments optim.adam_update
        self.t += 1
        c1, c2 = 1 - beta1 ** self.t, math.sqrt(1 - beta2 ** self.t)
        for p, g, m, v, d in zip(self.params, grads, self.m, self.v, self.scratch):
            np.subtract(g, m, out=d)
            d *= 1 - beta1
            m += d                                  # m ← m + (1 − β1)(g − m) = β1·m + (1 − β1)·g
            np.square(g, out=d)
            d -= v
            d *= 1 - beta2
            v += d                                  # v ← v + (1 − β2)(g² − v)
            np.sqrt(v, out=d)
            d /= c2
            d += eps                                # d = √v̂ + ε
            np.divide(m, d, out=d)
            d *= LR / c1
            p -= d                                  # θ ← θ − η·m̂/(√v̂ + ε)
        # END SPOILER

    def accuracy(self, X, y):
        return float((self.forward(X)[-1].argmax(1) == y).mean())


class Torch:
    def __init__(self, weights, X, y):
        layers = []
        for W, b in weights:
            lin = torch.nn.Linear(W.shape[1], W.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            layers += [lin, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def epoch(self, gen):
        order = torch.from_numpy(gen.permutation(len(self.X)))
        losses = []
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            loss = torch.nn.functional.cross_entropy(self.model(self.X[idx]), self.y[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            losses.append(loss.item())
        return losses

    def accuracy(self, X, y):
        with torch.no_grad():
            return float((self.model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


class SKLearn:
    def __init__(self, weights, X, y):
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(hidden_layer_sizes=SIZES[1:-1], solver="adam", alpha=0.0,
                                 batch_size=BATCH, learning_rate_init=LR, random_state=0)
        self.X, self.y = X, y
        self.classes = np.unique(y)

    def epoch(self, gen):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.clf.partial_fit(self.X, self.y, classes=self.classes)
        return [self.clf.loss_]

    def accuracy(self, X, y):
        return float(self.clf.score(X, y))


# ---------------------------------------------------------------- profile

PHASES = ("batching", "forward", "loss", "backward", "zero_grad+step", "bookkeeping")


def profile_phases(X, y, weights, epochs=10):
    """Time each phase of the minigrad step and of the NumPy floor's step, then run cProfile."""
    clock = time.perf_counter
    model = Minigrad(weights, X, y)
    m, opt = model.model, model.opt
    floor = NumPyFloor(weights, X, y)
    ours, theirs = dict.fromkeys(PHASES, 0.0), dict.fromkeys(PHASES, 0.0)
    gen = np.random.default_rng(1)
    steps = 0
    for _ in range(epochs):
        t0 = clock()
        batches = list(optim.minibatches(X, y, BATCH, rng=gen))
        ours["batching"] += clock() - t0
        t0 = clock()
        order = gen.permutation(len(X))
        floor_batches = [(X[idx], y[idx]) for idx in (order[i:i + BATCH] for i in range(0, len(X), BATCH))]
        theirs["batching"] += clock() - t0
        for (xb, yb), (fx, fy) in zip(batches, floor_batches):
            t0 = clock()
            out = m(mg.Tensor(xb))
            t1 = clock()
            loss = F.cross_entropy(out, mg.Tensor(yb))
            t2 = clock()
            opt.zero_grad()
            loss.backward()
            t3 = clock()
            opt.step()
            t4 = clock()
            value = loss.item()  # what optim.train adds: the float, the check, the accuracy count
            _ = int(np.count_nonzero(out.data.argmax(-1) == yb)) + math.isfinite(value)
            t5 = clock()
            for name, seconds in zip(PHASES[1:], (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                ours[name] += seconds
            floor.step(fx, fy, theirs)
            steps += 1
    total, floor_total = sum(ours.values()), sum(theirs.values())
    print(f"\nOne step, phase by phase (µs per step over {steps} steps, hand-placed clocks, interleaved):")
    print(f"  {'phase':<15} {'minigrad':>9} {'numpy':>9} {'extra':>8}  share of minigrad's extra")
    for name in PHASES:
        a, b = ours[name] / steps * 1e6, theirs[name] / steps * 1e6
        print(f"  {name:<15} {a:9.1f} {b:9.1f} {a - b:8.1f}  {(a - b) / ((total - floor_total) / steps * 1e6):6.1%}")
    print(f"  {'total':<15} {total / steps * 1e6:9.1f} {floor_total / steps * 1e6:9.1f} "
          f"{(total - floor_total) / steps * 1e6:8.1f}  (ratio {total / floor_total:.2f}x)")

    model = Minigrad(weights, X, y)
    prof = cProfile.Profile()
    gen = np.random.default_rng(1)
    prof.enable()
    for _ in range(epochs):
        model.epoch(gen)
    prof.disable()
    print("\ncProfile of optim.train, top functions by own time (profiling inflates Python-heavy code):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(18)


# ---------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="paired rounds = epochs per contender")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also profile the minigrad step")
    parser.add_argument("--cold", action="store_true",
                        help="time each epoch right after another contender's, without the untimed "
                             "epoch of its own before it (a diagnostic)")
    parser.add_argument("--no-guard", action="store_true",
                        help="also time minigrad without its memory guard (a diagnostic)")
    args = parser.parse_args(argv)

    X, y, X_test, y_test = mg.datasets.load("digits")
    weights = initial_weights(args.seed)
    kinds = {"minigrad": Minigrad, "numpy": NumPyFloor}
    if args.no_guard:
        kinds["unguarded"] = Unguarded
    if torch is not None:
        kinds["torch"] = Torch
    kinds["sklearn"] = SKLearn
    contenders = {name: kind(weights, X, y) for name, kind in kinds.items()}
    # same shuffles for every contender: one generator each, same seed
    gens = {name: np.random.default_rng(args.seed + 1) for name in contenders}
    losses = {name: [] for name in contenders}
    times = {name: [] for name in contenders}
    for name, c in contenders.items():  # warm-up round (not timed): imports, first allocations
        losses[name] += c.epoch(gens[name])
    names = list(contenders)
    for r in range(args.rounds):
        # NOTE: the order turns each round, so that drift in the machine's speed reaches all
        # contenders alike. Each timed epoch follows an untimed one of the same contender, as
        # a user's epochs follow each other: timed right after another contender's epoch,
        # minigrad was 10-15% slower (PyTorch had evicted its caches) and NumPy 2% (--cold).
        for name in names[r % len(names):] + names[:r % len(names)]:
            if not args.cold:
                losses[name] += contenders[name].epoch(gens[name])
            start = time.perf_counter()
            losses[name] += contenders[name].epoch(gens[name])
            times[name].append(time.perf_counter() - start)

    epochs = 1 + args.rounds * (1 if args.cold else 2)
    print(f"digits {X.shape[0]}x{X.shape[1]} float32, MLP {'-'.join(map(str, SIZES))} ReLU, "
          f"cross-entropy, Adam lr {LR:g}, batch {BATCH}, shuffled; single thread; "
          f"{args.rounds} paired rounds of one timed epoch "
          f"({'right after another contender' if args.cold else 'each after an untimed one of its own'})")
    header = f"{'contender':<10} {'s/epoch':>9} {'µs/step':>8} {'vs numpy':>9} {'vs minigrad':>12} {'test acc':>9}"
    print(header)
    print("-" * len(header))
    steps = math.ceil(len(X) / BATCH)
    for name, c in contenders.items():
        med = statistics.median(times[name])
        vs_np = statistics.median(t / f for t, f in zip(times[name], times["numpy"]))
        vs_mg = statistics.median(t / m for t, m in zip(times[name], times["minigrad"]))
        print(f"{name:<10} {med:>9.5f} {med / steps * 1e6:>8.0f} {vs_np:>8.2f}x {vs_mg:>11.2f}x "
              f"{c.accuracy(X_test, y_test):>9.3f}")
    ratio = statistics.median(m / f for m, f in zip(times["minigrad"], times["numpy"]))
    print(f"target minigrad <= {TARGET}x numpy: {ratio:.2f}x, " + ("met" if ratio <= TARGET else "MISSED"))
    ref = np.array(losses["numpy"])
    for name in ("minigrad", "unguarded", "torch"):
        if name in losses:
            diff = np.abs(np.array(losses[name]) - ref).max()
            print(f"same trajectory check: max |step loss {name} − numpy| over {epochs} epochs = {diff:.2e}")
    if args.profile:
        profile_phases(X, y, weights)


if __name__ == "__main__":
    main()
