"""Tests of minigrad.figures (minigrad/viz/lecture.py): every curve is what the optimizer produced.

Each figure's data is compared with a direct run of the same optimizer whose
gradients are written out by hand in NumPy (so the loss written with minigrad
ops is checked too), the lines in the figure are compared with the data, and
the behaviour each figure claims is asserted (SGD stops, SGDM carries on;
Adam drifts to +1, AMSGrad does not; SWATS switches; r_t is RAdam's ratio).
"""

import math
import re
import struct

import numpy as np
import pytest

from minigrad import figures, optim
from minigrad.nn import Parameter

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def direct_run(cls_name, grad, start, steps, before=None, after=None, **kwargs):
    """x_0 … x_steps of the optimizer with the gradient set by hand (grad(x, t), t from 1)."""
    w = Parameter(np.array(start, dtype=np.float64))
    opt = getattr(optim, cls_name)([w], **kwargs)
    path = [w.data.copy()]
    for t in range(1, steps + 1):
        if before:
            before(opt, t)
        w.grad = np.asarray(grad(w.data.copy(), t), dtype=np.float64)
        opt.step()
        if after:
            after(w)
        path.append(w.data.copy())
    return np.array(path), opt


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def line_data(ax):
    return [line.get_ydata() for line in ax.lines]


def contains(lines, values):
    return any(len(y) == len(values) and np.allclose(y, values, rtol=0, atol=0, equal_nan=True) for y in lines)


TOL = dict(rtol=1e-9, atol=1e-10)  # float64, docs/optimizers.md §10


def test_momentum_figure():
    fig, data = figures.momentum_figure(lr=0.01, momentum=0.9, start=-1.8, steps=150)
    grad = lambda x, t: 4 * x * (x * x - 1) - 0.3  # noqa: E731  f' of (x² − 1)² − 0.3x
    sgd, _ = direct_run("SGD", grad, [-1.8], 150, lr=0.01)
    sgdm, _ = direct_run("SGDM", grad, [-1.8], 150, lr=0.01, momentum=0.9)
    np.testing.assert_allclose(data["SGD"], sgd[:, 0], **TOL)
    np.testing.assert_allclose(data["SGDM"], sgdm[:, 0], **TOL)
    assert data["SGD"][-1] == pytest.approx(-0.96, abs=0.01)   # the local minimum
    assert data["SGDM"][-1] == pytest.approx(1.04, abs=0.01)   # the global one
    curve, per_step = fig.axes
    assert contains([l.get_xdata() for l in per_step.lines], np.arange(151))
    assert contains(line_data(per_step), data["SGD"]) and contains(line_data(per_step), data["SGDM"])
    assert contains([l.get_xdata() for l in curve.lines], data["SGDM"])
    assert contains(line_data(curve), data["f_SGDM"])
    labels = [t.get_text() for t in per_step.get_legend().get_texts()]
    assert labels == ["SGD, lr=0.01", "SGDM, lr=0.01, momentum=0.9"]


def test_adagrad_rmsprop_figure():
    fig, data = figures.adagrad_rmsprop_figure(lr=0.2, start=-2.0, steps=120)
    grad = lambda x, t: -10 * sigmoid(-x) + 0.1 * (x - 5) / np.sqrt(1 + (x - 5) ** 2)  # noqa: E731
    for name in ("Adagrad", "RMSProp"):
        expected, _ = direct_run(name, grad, [-2.0], 120, lr=0.2)
        np.testing.assert_allclose(data[name], expected[:, 0], **TOL)
        np.testing.assert_allclose(data["step_" + name], np.abs(np.diff(expected[:, 0])), rtol=1e-7, atol=1e-12)
        assert contains(line_data(fig.axes[0]), data[name])
        assert contains(line_data(fig.axes[1]), data["step_" + name])
    # Adagrad's step follows lr/√t on the steep part; RMSProp keeps its step and arrives
    t = np.arange(1, 21)
    np.testing.assert_allclose(data["step_Adagrad"][:20], 0.2 / np.sqrt(t), rtol=0.15)
    assert abs(data["RMSProp"][-1] - data["minimum"]) < 0.05 and data["Adagrad"][-1] < 2
    assert data["minimum"] == pytest.approx(5.465, abs=1e-3)


def test_adam_amsgrad_figure_reproduces_reddi_et_al():
    # docs/optimizers.md §12: α = 1, β = (0.9, 0.99), 5,000 steps: mean x over the last
    # 1,000 steps about +0.95 for Adam and −0.78 for AMSGrad
    fig, data = figures.adam_amsgrad_figure(steps=5000)
    assert data["Adam"][-1000:].mean() == pytest.approx(0.95, abs=0.02)
    assert data["AMSGrad"][-1000:].mean() == pytest.approx(-0.78, abs=0.02)
    ax = fig.axes[0]
    for name in ("Adam", "AMSGrad"):
        assert contains(line_data(ax), data[name])
        assert contains(line_data(ax), data["period_mean_" + name])
        np.testing.assert_allclose(data["period_mean_" + name][:3],
                                   data[name][1:304].reshape(3, 101).mean(axis=1), rtol=1e-12)


def test_adam_amsgrad_figure_equals_a_direct_run():
    def schedule(opt, t):
        opt.param_groups[0]["lr"] = 1 / math.sqrt(t)

    def project(w):
        w.data[:] = np.clip(w.data, -1, 1)

    slope = lambda x, t: [1010.0 if t % 101 == 1 else -10.0]  # noqa: E731
    _, data = figures.adam_amsgrad_figure(steps=400)
    for name in ("Adam", "AMSGrad"):
        expected, _ = direct_run(name, slope, [0.0], 400, before=schedule, after=project, lr=1.0, betas=(0.9, 0.99))
        np.testing.assert_allclose(data[name], expected[:, 0], **TOL)
        assert data["period_mean_" + name].shape == (3,)


def beale_grad(w, t):
    x, y = w
    gx = gy = 0.0
    for i, c in enumerate((1.5, 2.25, 2.625), start=1):
        r = c - x + x * y ** i
        gx += 2 * r * (y ** i - 1)
        gy += 2 * r * i * x * y ** (i - 1)
    return [gx, gy]


def test_swats_figure():
    fig, data = figures.swats_figure(lr=0.05, eps=1e-6, steps=120)
    swats, opt = direct_run("SWATS", beale_grad, [1.0, 1.5], 120, lr=0.05, eps=1e-6)
    adam, _ = direct_run("Adam", beale_grad, [1.0, 1.5], 120, lr=0.05, eps=1e-6)
    np.testing.assert_allclose(data["SWATS"], swats, **TOL)
    np.testing.assert_allclose(data["Adam"], adam, **TOL)
    assert data["switch_step"] == opt.switch_step == 32
    assert data["sgd_lr"] == pytest.approx(opt.sgd_lr, rel=1e-12)
    # the figure's rate curve is the optimizer's own estimate: it ends at Λ, within ε of γ
    assert data["rate"].shape == data["gamma"].shape == (32,)
    assert data["rate"][-1] == pytest.approx(opt.sgd_lr, rel=1e-9)
    assert abs(data["rate"][-1] - data["gamma"][-1]) < 1e-6
    assert all(abs(r - g) >= 1e-6 for r, g in zip(data["rate"][1:-1], data["gamma"][1:-1]))
    # before the switch SWATS is Adam (ε next to √a rather than √â: tiny differences)
    np.testing.assert_allclose(data["SWATS"][:33], data["Adam"][:33], rtol=1e-4, atol=1e-6)
    assert np.abs(data["SWATS"][-1] - data["Adam"][-1]).max() > 0.05
    path_ax, rate_ax = fig.axes
    xy = [line.get_xydata() for line in path_ax.lines]
    assert any(np.array_equal(a, data["SWATS"][32:]) for a in xy)      # the SGD phase
    assert any(np.array_equal(a, data["SWATS"][32:33]) for a in xy)    # the switch marker
    assert contains(line_data(rate_ax), data["rate"]) and contains(line_data(rate_ax), data["gamma"])
    assert rate_ax.get_yscale() == "log" and rate_ax.get_ylabel() == "learning rate"


def test_swats_figure_without_a_switch():
    fig, data = figures.swats_figure(eps=1e-9, steps=40)
    assert data["switch_step"] is None and data["sgd_lr"] is None
    assert data["rate"].shape == (40,)
    assert any("no switch" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_radam_warmup_figure():
    fig, data = figures.radam_warmup_figure(lr=0.01, steps=200, noise=1.0, seed=3)
    g = data["gradient"]
    np.testing.assert_allclose(g, 1 + np.random.default_rng(3).standard_normal(200))
    for name in ("Adam", "RAdam"):
        expected, _ = direct_run(name, lambda x, t: [g[t - 1]], [0.0], 200, lr=0.01)
        np.testing.assert_allclose(data[name], expected[:, 0], **TOL)
        assert contains(line_data(fig.axes[0]), data["step_" + name])
    # steps 1–5: momentum steps η·|m̂|; from step 6 on: Adam's step times r_t
    m, b1 = 0.0, 0.9
    for t in range(1, 6):
        m = b1 * m + (1 - b1) * g[t - 1]
        assert data["step_RAdam"][t - 1] == pytest.approx(0.01 * abs(m / (1 - b1 ** t)), rel=1e-9)
    ratio = data["step_RAdam"][5:] / data["step_Adam"][5:]
    np.testing.assert_allclose(ratio, data["r"][5:200], rtol=1e-4)
    assert np.isnan(data["r"][:5]).all() and data["r"][5] == pytest.approx(0.0258, abs=1e-4)
    assert data["r"][-1] == pytest.approx(1.0, abs=1e-3)
    assert contains(line_data(fig.axes[1]), data["r"])


def test_run_optimizer_hooks_and_shapes():
    seen = []
    path, grads, opt = figures.run_optimizer(
        "SGD", lambda w, t: (w * w).sum() * t, [1.0, -2.0], 3, lr=0.1,
        before_step=lambda o, t: seen.append(("before", t)), after_step=lambda w, o, t: seen.append(("after", t)))
    assert path.shape == (4, 2) and grads.shape == (3, 2) and isinstance(opt, optim.SGD)
    np.testing.assert_allclose(grads[0], [2.0, -4.0])           # t = 1: 2w
    np.testing.assert_allclose(path[1], [0.8, -1.6])
    np.testing.assert_allclose(grads[1], 2 * 2 * path[1])       # t = 2: 2·2w
    assert seen == [("before", 1), ("after", 1), ("before", 2), ("after", 2), ("before", 3), ("after", 3)]


FIGURES = [figures.momentum_figure, figures.adagrad_rmsprop_figure, figures.adam_amsgrad_figure,
           figures.swats_figure, figures.radam_warmup_figure]


@pytest.mark.parametrize("make", FIGURES, ids=[f.__name__ for f in FIGURES])
def test_every_axis_is_labelled_and_titled(make):
    fig, data = make(steps=202)
    assert fig.get_suptitle()
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(), f"{make.__name__}: unlabelled axis"
        assert ax.get_legend() is not None
    assert isinstance(data, dict) and all(isinstance(v, (np.ndarray, float, int, type(None))) for v in data.values())


def test_lecture_figures_write_pngs_and_return_their_paths(tmp_path):
    made = figures.lecture_figures(tmp_path / "out", steps_scale=0.2, only=["swats.png", "momentum.png"])
    # the files written, in the lecture's order: a short list, not every figure's arrays (issue 31)
    assert made == [str(tmp_path / "out" / "momentum.png"), str(tmp_path / "out" / "swats.png")]
    assert len(repr(made)) < 300
    for path, size in zip(made, [(1200, 460), (1250, 520)]):   # 12 × 4.6 and 12.5 × 5.2 inches at 100 dpi
        assert png_size(path) == size
    with pytest.raises(ValueError, match="unknown figures"):
        figures.lecture_figures(tmp_path / "none", only=["sgd.png"])
    assert not (tmp_path / "none").exists()        # nothing made before the names are checked


def test_a_figure_and_its_arrays_echo_in_one_short_line(tmp_path):
    fig, data = figures.swats_figure(steps=60, path=tmp_path / "swats.png")
    echo = repr((fig, data))                         # what python -i prints for the call
    assert "\n" not in echo and len(echo) < 400, echo
    assert "'SWATS': <array (61, 2) float64>" in echo and "'switch_step': 32" in echo
    assert isinstance(data, dict) and data["SWATS"].shape == (61, 2)   # the numbers are all there


def test_figures_is_the_lecture_module_of_viz():
    from minigrad.viz import lecture

    for name in figures.__all__:
        assert getattr(figures, name) is getattr(lecture, name)


def test_mg_figures_as_the_readme_writes_it_after_import_minigrad_alone():
    """The README's ``minigrad.figures.lecture_figures("figures/")``: loaded on first use, and
    ``import minigrad`` alone loads no matplotlib."""
    import subprocess
    import sys

    code = ("import sys, minigrad as mg; assert 'matplotlib' not in sys.modules; "
            "print(mg.figures.lecture_figures is figures_fn())")
    code = code.replace("figures_fn()", "__import__('minigrad.figures', fromlist=['x']).lecture_figures")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_figure_functions_refuse_what_they_cannot_draw(tmp_path):
    """Before: run_optimizer("adam") found the module optim.adam ("'module' object is not callable"),
    adam_amsgrad_figure(steps=50) an IndexError, only="momentum.png" was read letter by letter,
    and steps_scale=-1 drew one-step figures."""
    from minigrad import figures
    with pytest.raises(ValueError, match="'adam' is not an optimizer class .* Adam, AMSGrad"):
        figures.run_optimizer("adam", lambda w, t: (w * w).sum(), [1.0], 3)
    assert figures.run_optimizer("Adam", lambda w, t: (w * w).sum(), [1.0], 3)[0].shape == (4, 1)
    with pytest.raises(ValueError, match="steps >= 101"):
        figures.adam_amsgrad_figure(steps=50)
    with pytest.raises(ValueError, match="steps_scale must be a number > 0"):
        figures.lecture_figures(tmp_path, steps_scale=-1)
    paths = figures.lecture_figures(tmp_path, steps_scale=0.05, only="momentum.png")
    assert [p.split("/")[-1] for p in paths] == ["momentum.png"]


@pytest.mark.parametrize("call, error, words", [
    # before: an empty figure, "negative dimensions are not allowed", "'float' object cannot be interpreted
    # as an integer", "unsupported format string passed to numpy.ndarray.__format__"
    (lambda: figures.momentum_figure(steps=0), ValueError, "steps must be an integer >= 1, got 0"),
    (lambda: figures.momentum_figure(steps=-3), ValueError, "steps must be an integer >= 1, got -3"),
    (lambda: figures.momentum_figure(steps=2.5), TypeError, "steps must be an integer >= 1, got 2.5"),
    (lambda: figures.momentum_figure(start=[1.0]), TypeError, "start must be a number, got [1.0]"),
    (lambda: figures.momentum_figure(start=float("nan")), ValueError, "start must be finite, got nan"),
    (lambda: figures.adagrad_rmsprop_figure(steps=0), ValueError, "steps must be an integer >= 1, got 0"),
    (lambda: figures.adagrad_rmsprop_figure(start="-2"), TypeError, "start must be a number, got '-2'"),
    (lambda: figures.adam_amsgrad_figure(steps="5000"), TypeError, "steps must be an integer >= 1, got '5000'"),
    (lambda: figures.swats_figure(steps=-1), ValueError, "steps must be an integer >= 1, got -1"),
    (lambda: figures.swats_figure(start=(1.0,)), ValueError, "start must be a pair of floats"),
    (lambda: figures.radam_warmup_figure(steps=-1), ValueError, "steps must be an integer >= 1, got -1"),
    (lambda: figures.run_optimizer("SGD", lambda w, t: (w * w).sum(), 1.0, -1), ValueError,
     "steps must be an integer >= 1, got -1"),
    (lambda: figures.run_optimizer("SGD", lambda w, t: (w * w).sum(), 1.0, 2.0), TypeError,
     "steps must be an integer >= 1, got 2.0"),
])
def test_bad_steps_and_starts_are_refused_by_name(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
