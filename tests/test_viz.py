"""Tests of minigrad.viz: graph drawing, training curves, optimizer trajectories.

Figures are drawn with the Agg backend. The tests check the numbers behind
the pictures (paths against a direct optimizer run whose gradients are
written out by hand in NumPy, line data against those paths, gradient norms
against ``backward``), the files (they exist, PNGs have the figure's pixel
size, SVG parses as XML) and the layout (edges run left to right, boxes do
not overlap), not pixels.
"""

import re
import sys
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim, viz
from minigrad.nn import Parameter

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

SVG_NS = "{http://www.w3.org/2000/svg}"


def png_size(path):
    """(width, height) in pixels, read from the PNG header."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


# ---------------------------------------------------------------- surfaces, by hand

def grad_quadratic(x, y):
    return np.array([x, 20 * y])


def grad_rosenbrock(x, y):
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def grad_beale(x, y):
    gx = gy = 0.0
    for i, c in enumerate((1.5, 2.25, 2.625), start=1):
        r = c - x + x * y ** i
        gx += 2 * r * (y ** i - 1)
        gy += 2 * r * i * x * y ** (i - 1)
    return np.array([gx, gy])


def grad_saddle(x, y):
    return np.array([2 * x, -2 * y + 2 * y ** 3])


SURFACE_CASES = [  # name, gradient by hand, minimum (x, y, f), a point and f there
    ("quadratic", grad_quadratic, (0.0, 0.0, 0.0), (1.0, 2.0), 40.5),
    ("rosenbrock", grad_rosenbrock, (1.0, 1.0, 0.0), (0.0, 1.0), 101.0),
    ("beale", grad_beale, (3.0, 0.5, 0.0), (0.0, 0.0), 1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2),
    ("saddle", grad_saddle, (0.0, 1.0, -0.5), (1.0, 2.0), 1 - 4 + 8),
]

OPTIMIZER_CASES = [  # name as a user may write it, class, hyper-parameters
    ("sgd", "SGD", dict(lr=1e-3)),
    ("SGDM", "SGDM", dict(lr=1e-3, momentum=0.9)),
    ("AdaGrad", "Adagrad", dict(lr=0.05)),
    ("rmsprop", "RMSProp", dict(lr=0.01)),
    ("adam", "Adam", dict(lr=0.01)),
    ("amsgrad", "AMSGrad", dict(lr=0.01)),
    ("swats", "SWATS", dict(lr=0.01)),
    ("RAdam", "RAdam", dict(lr=1e-3)),
]


def direct_run(cls_name, kwargs, grad, start, steps):
    """The optimizer on a Parameter whose gradient is set by hand: the reference path."""
    w = Parameter(np.array(start, dtype=np.float64))
    opt = getattr(optim, cls_name)([w], **kwargs)
    path = [w.data.copy()]
    for _ in range(steps):
        w.grad = grad(*w.data)
        opt.step()
        path.append(w.data.copy())
    return np.array(path), opt


@pytest.mark.parametrize("name, grad, minimum, point, value", SURFACE_CASES, ids=[c[0] for c in SURFACE_CASES])
def test_surface_values_and_gradients(name, grad, minimum, point, value):
    fn = viz.SURFACES[name]["fn"]
    assert fn(mg.Tensor(np.array(point))).item() == pytest.approx(value)
    assert fn(mg.Tensor(np.array(minimum[:2]))).item() == pytest.approx(minimum[2], abs=1e-12)
    w = Parameter(np.array([0.3, -0.7]))
    fn(w).backward()
    np.testing.assert_allclose(w.grad, grad(0.3, -0.7), rtol=1e-12)
    np.testing.assert_allclose(grad(*minimum[:2]), 0.0, atol=1e-12)
    # the same function on a grid (what the contour plot evaluates)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 3), np.linspace(0, 2, 4)))
    values = fn(mg.Tensor(grid)).data
    assert values.shape == (4, 3)
    assert values[3, 2] == pytest.approx(fn(mg.Tensor(grid[:, 3, 2])).item())


@pytest.mark.parametrize("surface", [c[0] for c in SURFACE_CASES])
@pytest.mark.parametrize("name, cls_name, kwargs", OPTIMIZER_CASES, ids=[c[1] for c in OPTIMIZER_CASES])
def test_trajectories_equal_a_direct_optimizer_run(surface, name, cls_name, kwargs):
    grad = {c[0]: c[1] for c in SURFACE_CASES}[surface]
    start = viz.SURFACES[surface]["start"]
    paths = viz.trajectories(surface, [(name, kwargs)], steps=60)
    expected, _ = direct_run(cls_name, kwargs, grad, start, 60)
    assert list(paths) == [cls_name]
    assert paths[cls_name].shape == (61, 2) and paths[cls_name].dtype == np.float64
    np.testing.assert_allclose(paths[cls_name], expected, rtol=1e-9, atol=1e-10)


def test_default_learning_rates_come_from_the_surface_and_kwargs_override_them():
    paths = viz.trajectories("beale", ["adam", ("Adam", {"lr": 0.01}), ("adam", {"betas": (0.8, 0.99)})],
                             steps=20)
    assert list(paths) == ["Adam (lr=0.1)", "Adam (lr=0.01)", "Adam (betas=(0.8, 0.99), lr=0.1)"]
    expected, _ = direct_run("Adam", dict(lr=viz.SURFACES["beale"]["lr"]["adam"]), grad_beale, (1.0, 1.5), 20)
    np.testing.assert_allclose(paths["Adam (lr=0.1)"], expected, rtol=1e-9, atol=1e-10)
    expected, _ = direct_run("Adam", dict(lr=0.1, betas=(0.8, 0.99)), grad_beale, (1.0, 1.5), 20)
    np.testing.assert_allclose(paths["Adam (betas=(0.8, 0.99), lr=0.1)"], expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("surface", list(viz.SURFACES))
def test_every_default_run_stays_finite_in_its_window(surface):
    info = viz.SURFACES[surface]
    paths = viz.trajectories(surface, steps=min(info["steps"], 300))
    assert len(paths) == 8
    for key, path in paths.items():
        assert np.isfinite(path).all(), f"{surface}: {key} diverged with the default lr"
        span = np.array([np.diff(info["xlim"])[0], np.diff(info["ylim"])[0]])
        low = np.array([info["xlim"][0], info["ylim"][0]]) - 0.1 * span
        high = np.array([info["xlim"][1], info["ylim"][1]]) + 0.1 * span
        assert (path >= low).all() and (path <= high).all(), f"{surface}: {key} leaves the window"


def test_a_function_of_a_tensor_as_surface():
    def bowl(w):  # written for shape (2,) only: the contour grid falls back to one point at a time
        return ((w - mg.Tensor(np.array([1.0, -1.0]))) ** 2).sum()

    paths = viz.trajectories(bowl, [("sgd", {"lr": 0.25})], start=(3.0, 3.0), steps=3)
    np.testing.assert_allclose(paths["SGD"], [[3, 3], [2, 1], [1.5, 0], [1.25, -0.5]])
    fig = viz.plot_trajectories(bowl, [("sgd", {"lr": 0.25})], start=(3.0, 3.0), steps=3)
    np.testing.assert_array_equal(fig.minigrad_paths["SGD"], paths["SGD"])
    np.testing.assert_allclose(fig.minigrad_losses["SGD"], [20, 5, 1.25, 0.3125])
    with pytest.raises(ValueError, match="start is required"):
        viz.trajectories(bowl, ["sgd"])


@pytest.mark.parametrize("call, error, words", [
    (lambda: viz.trajectories("himmelblau", ["sgd"]), ValueError, "known surfaces: quadratic"),
    (lambda: viz.trajectories("quadratic", ["nesterov"]), ValueError, "known: SGD, SGDM"),
    (lambda: viz.trajectories("quadratic", [("sgd", 0.1)]), TypeError, "(name, kwargs) pair"),
    (lambda: viz.trajectories("quadratic", [], steps=2), ValueError, "no optimizers"),
    (lambda: viz.trajectories("quadratic", ["sgd", "SGD"]), ValueError, "listed twice"),
    (lambda: viz.trajectories("quadratic", ["sgd"], start=(1.0, 2.0, 3.0)), ValueError, "shape (3,)"),
    (lambda: viz.trajectories("quadratic", ["sgd"], start="origin"), TypeError, "pair of floats"),
    (lambda: viz.trajectories("quadratic", ["sgd"], start=(np.nan, 1)), ValueError,
     "start must be finite, got (nan, 1)"),
    (lambda: viz.trajectories("quadratic", ["sgd"], steps=0), ValueError, "steps must be an integer >= 1, got 0"),
    (lambda: viz.trajectories("quadratic", ["sgd"], steps=2.5), TypeError, "steps must be an integer >= 1, got 2.5"),
    (lambda: viz.trajectories(42, ["sgd"]), TypeError, "surface must be a name"),
    (lambda: viz.trajectories("quadratic", [("sgd", {"lr": -1.0})]), ValueError, "lr must be in"),
    (lambda: viz.trajectories(lambda w: w * 2, ["sgd"], start=(0, 0)), ValueError, "one number"),
    (lambda: viz.trajectories(lambda w: np.sum(w.data ** 2), ["sgd"], start=(1, 1)), TypeError,
     "must return a minigrad Tensor computed from w with minigrad's ops, got float64"),
])
def test_bad_arguments_raise(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


def test_a_diverging_run_is_cut_and_labelled():
    fig = viz.plot_trajectories("rosenbrock", [("sgd", {"lr": 0.1}), "adam"], steps=30)
    path = fig.minigrad_paths["SGD"]
    bad = np.flatnonzero(~np.isfinite(path).all(axis=1))
    assert bad.size and np.isnan(path[bad[0]:]).all() and np.isfinite(path[:bad[0]]).all()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"SGD, lr=0.1, diverged at step {bad[0]}" in labels
    ax = fig.axes[0]  # the window stays readable: it does not follow the divergence
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 10


def test_a_diverged_path_on_a_function_surface_leaves_the_window_to_the_others():
    # SGD at lr 0.2 diverges along y (20·0.2 > 2); its ±1e5 had set the window, Adam's path a flat line
    bowl = lambda w: (w[0] * w[0] + 20 * w[1] * w[1]) * 0.5  # noqa: E731
    fig = viz.plot_trajectories(bowl, [("sgd", {"lr": 0.2}), ("adam", {"lr": 0.1})], start=(-3, 1.2), steps=100)
    assert np.isnan(fig.minigrad_paths["SGD"][-1]).all()
    adam = fig.minigrad_paths["Adam"]
    (x0, x1), (y0, y1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    assert x1 - x0 < 20 and y1 - y0 < 20
    assert (adam[:, 0] >= x0).all() and (adam[:, 0] <= x1).all()
    assert (adam[:, 1] >= y0).all() and (adam[:, 1] <= y1).all()


def test_the_loss_scale_comes_from_the_runs_that_did_not_diverge():
    # the diverged SGD's 4e12 had set the top, cutting Adam's converged curve 16 decades below it
    fig = viz.plot_trajectories("quadratic", [("sgd", {"lr": 0.2}), "adam"])
    ax_loss = fig.axes[1]
    adam = fig.minigrad_losses["Adam"]
    bottom, top = ax_loss.get_ylim()
    assert bottom <= adam.min() and adam.max() <= top
    assert np.nanmax(fig.minigrad_losses["SGD"]) > top                   # SGD runs off the top
    assert not any(t.get_text().startswith("cut at ") for t in ax_loss.texts)


def test_a_flat_surface_is_drawn_without_contours():
    # levels from linspace(0, 0, 20) made matplotlib raise "Contour levels must be increasing"
    fig = viz.plot_trajectories(lambda w: (w * 0).sum(), ["sgd"], start=(1.0, 1.0), steps=5)
    np.testing.assert_array_equal(fig.minigrad_paths["SGD"], np.ones((6, 2)))
    np.testing.assert_array_equal(fig.minigrad_losses["SGD"], np.zeros(6))
    assert not fig.axes[0].collections                    # no contour sets: nothing to show


def test_a_far_start_and_every_path_that_did_not_diverge_are_in_the_window():
    # from (30, 20), far outside the quadratic's window, no optimizer diverges: all must be seen
    fig = viz.plot_trajectories("quadratic", None, (30, 20), 40)
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for key, path in fig.minigrad_paths.items():
        assert np.isfinite(path).all(), key
        assert (path[:, 0] >= x0).all() and (path[:, 0] <= x1).all(), f"{key} leaves x in {x0, x1}"
        assert (path[:, 1] >= y0).all() and (path[:, 1] <= y1).all(), f"{key} leaves y in {y0, y1}"


def test_the_loss_panel_says_where_it_cuts_rounding_off():
    fig = viz.plot_trajectories("quadratic", None, None, 100)
    ax_loss = fig.axes[1]
    lowest = min(np.nanmin(loss) for loss in fig.minigrad_losses.values())   # f* = 0 here
    assert lowest < ax_loss.get_ylim()[0]                                     # some curve leaves the bottom
    assert any(t.get_text().startswith("cut at ") for t in ax_loss.texts)


def test_plot_trajectories_lines_are_the_computed_paths(tmp_path):
    out = tmp_path / "traj.png"
    fig = viz.plot_trajectories("quadratic", None, None, 40, path=out)
    paths = viz.trajectories("quadratic", steps=40)
    assert list(fig.minigrad_paths) == list(paths) == ["SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad",
                                                       "SWATS", "RAdam"]
    contour, losses = fig.axes[0], fig.axes[1]
    for i, (key, path) in enumerate(paths.items()):
        np.testing.assert_array_equal(fig.minigrad_paths[key], path)
        assert any(np.array_equal(line.get_xydata(), path) for line in contour.lines), key
        loss = np.array([viz.quadratic(mg.Tensor(p)).item() for p in path])
        np.testing.assert_allclose(fig.minigrad_losses[key], loss, rtol=1e-12)
        np.testing.assert_allclose(losses.lines[i].get_ydata(), loss, rtol=1e-12)  # f* = 0
    # every path is inside the axes: nothing clipped
    (x0, x1), (y0, y1) = contour.get_xlim(), contour.get_ylim()
    everything = np.concatenate(list(paths.values()))
    assert (everything[:, 0] >= x0).all() and (everything[:, 0] <= x1).all()
    assert (everything[:, 1] >= y0).all() and (everything[:, 1] <= y1).all()
    assert contour.get_xlabel() and contour.get_ylabel() and losses.get_xlabel() and losses.get_ylabel()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "SGD, lr=0.09" in labels and "SWATS, lr=0.2 (no switch)" in labels
    assert png_size(out) == (1250, 600)


def test_swats_switch_is_marked():
    # docs/optimizers.md §8: diag(1, 20) from (1, 1) at lr 1e-4 switches at k = 2 with Λ = 9.524e-6
    fig = viz.plot_trajectories("quadratic", [("swats", {"lr": 1e-4})], start=(1.0, 1.0), steps=5)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "SWATS, lr=0.0001 (SGD from step 2)" in labels
    path = fig.minigrad_paths["SWATS"]
    marks = [line for line in fig.axes[0].lines if line.get_marker() == "s"]
    assert len(marks) == 1 and np.array_equal(marks[0].get_xydata()[0], path[2])
    _, opt = direct_run("SWATS", dict(lr=1e-4), grad_quadratic, (1.0, 1.0), 5)
    assert opt.switch_step == 2 and opt.sgd_lr == pytest.approx(9.524e-6, rel=1e-3)


def test_trajectories_command_prints_a_table_and_writes_the_plot(tmp_path, capsys):
    out = tmp_path / "t.png"
    assert viz.trajectories_command("saddle", out, steps=20, optimizers="sgd, Adam", start="-1.5,0.001") == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("saddle: f = x² − y² + y⁴/2, 20 steps from (-1.5, 0.001)")
    rows = {line.split()[0]: line.split() for line in text[2:4]}
    paths = viz.trajectories("saddle", ["sgd", "adam"], steps=20)
    for key in ("SGD", "Adam"):
        assert float(rows[key][2]) == pytest.approx(paths[key][-1, 0], abs=1e-4)
        assert float(rows[key][3]) == pytest.approx(paths[key][-1, 1], abs=1e-4)
    assert text[-1] == f"plot: {out}" and png_size(out) == (1250, 600)
    with pytest.raises(ValueError, match="known surfaces"):
        viz.trajectories_command("bumpy")
    with pytest.raises(ValueError, match="two numbers"):
        viz.trajectories_command("saddle", start="a,b")


def test_a_path_without_suffix_gets_png_and_the_printed_name_says_so(tmp_path, capsys):
    viz.trajectories_command("saddle", tmp_path / "paths", steps=2, optimizers="sgd")
    assert capsys.readouterr().out.splitlines()[-1] == f"plot: {tmp_path / 'paths.png'}"
    viz.plot_history({"epoch_loss": [1.0, 0.5]}, str(tmp_path / "curves"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "paths.png"]
    assert png_size(tmp_path / "curves.png") == (650, 450)


# ---------------------------------------------------------------- draw_graph

def mlp_loss(rng=0):
    """A 2-layer MLP's cross-entropy on 8 examples, and the model."""
    data = np.random.default_rng(rng)
    model = nn.Sequential(nn.Linear(4, 16, rng=1), nn.ReLU(), nn.Linear(16, 3, rng=2))
    X = mg.Tensor(data.normal(size=(8, 4)).astype(np.float32))
    y = data.integers(0, 3, size=8)
    return nn.functional.cross_entropy(model(X), y), model


def svg_boxes(svg):
    """The node boxes of a drawing: [(x, y, w, h, fill, texts)], legend swatches left out."""
    root = ET.fromstring(svg)
    rects = [r for r in root.iter(SVG_NS + "rect") if r.get("rx") == "6"]
    texts = list(root.iter(SVG_NS + "text"))
    boxes = []
    for r in rects:
        x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
        inside = [t.text for t in texts if x <= float(t.get("x")) <= x + w and y <= float(t.get("y")) <= y + h]
        boxes.append((x, y, w, h, r.get("fill"), inside))
    return root, boxes


def test_draw_graph_of_an_mlp_before_and_after_backward():
    loss, model = mlp_loss()
    before = viz.draw_graph(loss, names=model)
    assert isinstance(before, str) and before._repr_svg_() == before
    root, boxes = svg_boxes(before)
    titles = sorted(b[5][0] for b in boxes)
    assert titles == sorted(["0.weight", "0.bias", "2.weight", "2.bias", "const", "Linear", "ReLU", "Linear",
                             "CrossEntropy"])
    assert "|grad|" not in before and "no gradients yet" in before
    by_title = {b[5][0]: b for b in boxes}
    assert by_title["0.weight"][5][1] == "(16, 4)" and by_title["2.bias"][5][1] == "(3,)"
    assert by_title["ReLU"][5][1] == "(8, 16)" and by_title["CrossEntropy"][5][1] == "scalar"
    assert by_title["const"][5][1:] == ["(8, 4)"]  # the input batch: more than 4 numbers, so its shape
    assert by_title["CrossEntropy"][5][2] == f"value {loss.item():.4g}"
    # parameters, op results, the drawn tensor and constants look different
    fills = {b[5][0]: b[4] for b in boxes}
    assert fills["0.weight"] == fills["2.bias"] != fills["ReLU"] != fills["CrossEntropy"] != fills["const"]

    loss.backward(retain_graph=True)
    after = viz.draw_graph(loss, names=model)
    lines = {b[5][0]: b[5] for b in svg_boxes(after)[1]}
    for name, p in model.named_parameters():
        assert lines[name][-1] == f"|grad| {np.linalg.norm(p.grad):.3g}"
    assert lines["CrossEntropy"][-1] == "|grad| 1"
    assert "no gradients yet" not in after


def test_named_leaves_that_are_not_parameters_keep_the_leaf_colour():
    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = mg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    w = mg.nn.Parameter(np.array([0.5, 0.5]))
    svg = viz.draw_graph((a * b + w).sum(), names={"a": a, "b": b, "w": w})
    fills = {b_[5][0]: b_[4] for b_ in svg_boxes(svg)[1]}
    assert fills["a"] == fills["b"] != fills["w"]              # a and b by name, blue; w orange
    assert "leaf that requires grad" in svg and "parameter" in svg
    unnamed = {b_[5][0] for b_ in svg_boxes(viz.draw_graph((a * b).sum()))[1]}
    assert "leaf" in unnamed and "Parameter" not in unnamed


def test_intermediate_gradients_equal_what_backward_computes():
    # the same graph twice: once with retain_grad on the intermediates, once drawn
    def build():
        x = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        a = x * x
        b = (a + 1).log()
        c = (b * 2).tanh() + a  # a is used twice, at two depths
        return x, a, b, c, (c * 3).sum()

    x, a, b, c, loss = build()
    for t in (a, b, c):
        t.retain_grad()
    loss.backward()
    x2, a2, b2, c2, loss2 = build()
    loss2.backward(retain_graph=True)
    svg = viz.draw_graph(loss2)
    for t in (x, a, b, c):
        assert f"|grad| {np.linalg.norm(t.grad):.3g}" in svg
    _, boxes = svg_boxes(svg)
    assert svg.count("|grad|") == 9 and len(boxes) == 12  # 8 ops and the leaf; 3 constants have none
    leaf = [bx for bx in boxes if bx[5][0] == "leaf"]
    assert len(leaf) == 1 and leaf[0][5][1] == "(3,) float64"  # dtype shown when it is not float32
    assert svg.count(">×2<") == 1  # x * x: one edge, marked ×2


def test_intermediate_gradients_through_fused_layers():
    def build():
        data = np.random.default_rng(5)
        lin1, lin2 = nn.Linear(4, 6, rng=1), nn.Linear(6, 3, rng=2)
        X = mg.Tensor(data.normal(size=(5, 4)))
        h1 = lin1(X)
        h2 = h1.relu()
        logits = lin2(h2)
        return [h1, h2, logits], nn.functional.cross_entropy(logits, data.integers(0, 3, size=5))

    kept, loss = build()
    for t in kept:
        t.retain_grad()
    loss.backward()
    kept2, loss2 = build()
    loss2.backward(retain_graph=True)
    svg = viz.draw_graph(loss2)
    for t in kept:
        assert f"|grad| {np.linalg.norm(t.grad):.3g}" in svg
    # a non-scalar result after backward(grad): only the leaves' own .grad are shown, marked unchecked
    # (the drawing cannot know the grad that backward started from)
    w = Parameter(np.array([1.0, 2.0]))
    y = (w * 3).exp()
    y.backward(np.array([1.0, -1.0]), retain_graph=True)
    svg = viz.draw_graph(y)
    _, boxes = svg_boxes(svg)
    assert [b[5][-1] for b in boxes if b[5][0] == "Parameter"] == [
        f"unchecked |grad| {np.linalg.norm(w.grad):.3g}"]
    lines, muted = grad_lines(svg)
    assert f"unchecked |grad| {np.linalg.norm(w.grad):.3g}" in muted
    assert not any(b[5][-1].startswith("|grad|") for b in boxes)      # no box claims this graph's gradient


def test_layout_runs_left_to_right_without_overlaps():
    loss, model = mlp_loss()
    x = mg.Tensor(np.ones(3), requires_grad=True)
    h = x.tanh()
    deep = ((h * 2).exp().log() + h).sum() * loss  # a long edge from h, and two graphs joined
    for svg in (viz.draw_graph(loss, names=model), viz.draw_graph(deep)):
        root, boxes = svg_boxes(svg)
        for p in root.iter(SVG_NS + "path"):
            numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*", p.get("d"))]
            if len(numbers) >= 8:  # an edge: M x0,y0 C ... x1,y1
                assert numbers[-2] > numbers[0]
        for i, (x0, y0, w0, h0, *_) in enumerate(boxes):
            for x1, y1, w1, h1, *_ in boxes[i + 1:]:
                overlap = x0 < x1 + w1 and x1 < x0 + w0 and y0 < y1 + h1 and y1 < y0 + h0
                assert not overlap
        width, height = float(root.get("width")), float(root.get("height"))
        assert all(0 <= bx[0] and bx[0] + bx[2] <= width and 0 <= bx[1] and bx[1] + bx[3] <= height
                   for bx in boxes)


def test_draw_graph_needs_no_graphviz(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    loss, model = mlp_loss()
    loss.backward(retain_graph=True)
    svg = viz.draw_graph(loss, tmp_path / "g.svg", names=model)
    assert (tmp_path / "g.svg").read_text(encoding="utf-8") == svg
    ET.parse(tmp_path / "g.svg")
    fig = viz.draw_graph(loss, str(tmp_path / "g.png"), names=model)
    width, height = png_size(tmp_path / "g.png")
    assert (width, height) == tuple(round(v) for v in fig.get_size_inches() * fig.dpi)
    assert 500 <= width <= 1500 and 200 <= height <= 600  # readable at 100 dpi, not a poster
    fig = viz.draw_graph(loss, format="figure")
    assert [t.get_text() for t in fig.axes[0].texts].count("Linear") == 2


def test_draw_graph_errors_and_edge_cases(tmp_path):
    w = Parameter([1.0, 2.0])
    loss = (w * w).sum()
    loss.backward()
    _, boxes = svg_boxes(viz.draw_graph(loss))  # micrograd's demo: after a plain backward
    assert ["Parameter", "(2,)", "|grad| 4.47"] in [b[5] for b in boxes]
    assert any(b[5][0] == "Mul" for b in boxes) and any(b[5][0] == "Sum" for b in boxes)
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        viz.draw_graph(w, tmp_path / "g.gif")
    with pytest.raises(ValueError, match="format"):
        viz.draw_graph(w, format="dot")
    with pytest.raises(TypeError, match="Tensor"):
        viz.draw_graph(np.ones(3))
    _, boxes = svg_boxes(viz.draw_graph(w))  # a lone leaf, after backward
    assert [b[5] for b in boxes] == [["Parameter", "(2,)", "|grad| 4.47"]]
    chain = mg.Tensor(np.ones(4), requires_grad=True)
    for _ in range(viz.graph.MAX_OPS - 1):  # deep graphs, up to the limit: no recursion
        chain = chain * 1.0
    assert viz.draw_graph(chain.sum()).count("<rect") > viz.graph.MAX_OPS


# ---------------------------------------------------------------- draw_graph: whose gradients (issue 31)

def grad_lines(svg):
    """{box title: its last line} for the boxes whose last line is a gradient, and the italic (muted) texts."""
    root, boxes = svg_boxes(svg)
    muted = {t.text for t in root.iter(SVG_NS + "text") if t.get("font-style") == "italic"}
    return {b[5][0]: b[5][-1] for b in boxes if "|grad|" in b[5][-1]}, muted


def trained_mlp():
    """A model after two SGD steps (so its .grad holds the last batch's gradients), its data and optimizer."""
    data = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(4, 6, rng=1), nn.Tanh(), nn.Linear(6, 1, rng=2))
    X, T = mg.Tensor(data.normal(size=(5, 4)).astype(np.float32)), data.normal(size=(5, 1)).astype(np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.mse_loss(model(X), T).backward()
        opt.step()
    return model, X, T, opt


def test_a_fresh_loss_marks_the_previous_batchs_gradients_stale():
    model, X, T, opt = trained_mlp()
    loss = nn.functional.mse_loss(model(X), T)       # a new graph: .grad is the previous batch's
    svg = viz.draw_graph(loss, names=model)
    lines, muted = grad_lines(svg)
    expected = {name: f"stale |grad| {np.linalg.norm(p.grad):.3g}" for name, p in model.named_parameters()}
    assert lines == expected                         # no op shows a gradient, every parameter's is stale
    assert set(expected.values()) <= muted           # in grey italics
    assert "stale |grad|: not this graph's gradient (an earlier backward()'s" in svg.replace(
        "&#x27;", "'")
    assert "zero_grad(), then backward(), shows them" in svg
    opt.zero_grad()
    loss.backward()                                  # rule 1: the graph is released, .grad is its gradient
    lines, muted = grad_lines(viz.draw_graph(loss, names=model))
    assert lines == {name: f"|grad| {np.linalg.norm(p.grad):.3g}" for name, p in model.named_parameters()}
    assert not any("stale" in text for text in muted)


def test_backward_with_retain_graph_shows_this_graphs_gradients_unless_accumulated():
    model, X, T, opt = trained_mlp()
    loss = nn.functional.mse_loss(model(X), T)
    loss.backward(retain_graph=True)                 # without zero_grad: .grad = previous batch + this one
    lines, _ = grad_lines(viz.draw_graph(loss, names=model))
    assert set(lines) == {name for name, _ in model.named_parameters()}
    assert all(line.startswith("stale |grad|") for line in lines.values())
    opt.zero_grad()
    loss.backward(retain_graph=True)                 # rule 2: .grad equals the gradient computed from the graph
    lines, _ = grad_lines(viz.draw_graph(loss, names=model))
    assert lines["MSELoss"] == "|grad| 1" and lines["Tanh"].startswith("|grad| ")
    for name, p in model.named_parameters():
        assert lines[name] == f"|grad| {np.linalg.norm(p.grad):.3g}"
    model[0].weight.grad = model[0].weight.grad * 2  # one leaf's .grad no longer this graph's
    lines, _ = grad_lines(viz.draw_graph(loss, names=model))
    assert lines["0.weight"].startswith("stale |grad|") and lines["2.weight"].startswith("|grad|")


def test_gradients_of_another_result_through_a_shared_part_are_stale():
    w = Parameter(np.array([1.0, 2.0]))
    h = (w * 3).tanh()
    first, second = h.sum(), (h * h).sum()
    first.backward()                                 # releases the shared Mul and Tanh
    lines, _ = grad_lines(viz.draw_graph(second))
    assert lines == {"Parameter": f"stale |grad| {np.linalg.norm(w.grad):.3g}"}


def test_a_backward_that_raises_leaves_the_old_gradients_stale():
    class Unfinished(mg.Function):   # an exercise of a student copy, say
        def forward(self, x):
            return x * x

        def backward(self, g):
            raise NotImplementedError("exercise ops.square_backward")

    w = Parameter(np.array([1.0, 2.0]))
    w.grad = np.array([0.5, 0.5])                    # from an earlier batch
    lines, _ = grad_lines(viz.draw_graph(Unfinished.apply(w).sum()))   # draws, does not raise
    assert lines == {"Parameter": "stale |grad| 0.707"}


def test_constants_show_their_value_or_shape():
    w = Parameter(np.array([1.0, 2.0, 3.0]))
    big = np.arange(12.0).reshape(4, 3)
    loss = ((w * 2) ** 2 * np.array([1.0, 0.5, 0.25]) + (big @ w).sum()).sum()
    _, boxes = svg_boxes(viz.draw_graph(loss))
    consts = sorted(b[5] for b in boxes if b[5][0] == "const")
    assert consts == [["const", "(3,) float64", "value [1, 0.5, 0.25]"], ["const", "(4, 3) float64"],
                      ["const", "value 2"], ["const", "value 2"]]         # x * 2, the exponent 2, an array
    X = mg.Tensor(big)                               # a named constant: a Tensor needing no grad, or an array
    svg = viz.draw_graph((X @ w).sum() + (w * big[0]).sum(), names={"X": X, "row": big[0]})
    titles = [b[5][:2] for b in svg_boxes(svg)[1]]
    assert ["X", "(4, 3) float64"] in titles and ["row", "(3,) float64"] in titles


def test_constants_after_backward_come_from_record_calls():
    x, t = 1.5, 0.8                                  # tutorial 01's neuron: L = (tanh(w·x + b) − t)²
    w, b = mg.Tensor(np.float64(0.3), requires_grad=True), mg.Tensor(np.float64(-0.1), requires_grad=True)
    L = ((w * x + b).tanh() - t) ** 2
    values = lambda svg: sorted(bx[5][1:] for bx in svg_boxes(svg)[1] if bx[5][0] == "const")  # noqa: E731
    svg = viz.draw_graph(L)
    assert values(svg) == [[], ["value 1.5"], ["value 2"]]   # Sub keeps no copy of t
    assert "minigrad.record_calls() keeps it" in svg
    L.backward()
    assert values(viz.draw_graph(L)) == [[], [], []]         # released: nothing kept
    with mg.record_calls():
        L = ((w * x + b).tanh() - t) ** 2
        no_bias = nn.functional.linear(mg.Tensor(np.ones((2, 3))), Parameter(np.ones((1, 3))))
    L.backward()
    svg = viz.draw_graph(L)
    assert values(svg) == [["value 0.8"], ["value 1.5"], ["value 2"]] and "record_calls" not in svg
    assert [bx[5][0] for bx in svg_boxes(viz.draw_graph(no_bias))[1]].count("const") == 1   # bias=None: no box


def test_the_svg_echoes_as_one_line(tmp_path):
    w = Parameter([1.0, 2.0])
    loss = (w * w).sum()
    svg = viz.draw_graph(loss, tmp_path / "g.svg")
    assert "\n" not in repr(svg) and len(repr(svg)) < 100 + len(str(tmp_path / "g.svg"))
    assert re.fullmatch(r"<SVG \d+×\d+ px, [\d,]+ characters, saved to .*g\.svg: print\(\) it for the text>",
                        repr(svg))
    assert str(svg) == (tmp_path / "g.svg").read_text(encoding="utf-8") and str(svg).startswith("<svg")
    assert repr(viz.draw_graph(loss)).endswith("characters: print() it for the text>")
    fig = viz.draw_graph(loss, tmp_path / "g.png")
    assert "\n" not in repr(fig)


# ---------------------------------------------------------------- plot_history

def test_plot_history_draws_each_list(tmp_path):
    rng = np.random.default_rng(0)
    step_loss = list(np.exp(-np.arange(60) / 20) * 2 + 0.1 * rng.random(60))
    history = optim.History(step_loss=step_loss, epoch_loss=[float(np.mean(step_loss[i:i + 20])) for i in (0, 20, 40)],
                            epoch_accuracy=[0.5, 0.7, 0.8], val_loss=[1.4, 0.6, 0.4], val_accuracy=[0.45, 0.66, 0.75])
    fig = viz.plot_history(history, tmp_path / "h.png")
    loss_ax, acc_ax = fig.axes
    lines = loss_ax.lines
    np.testing.assert_allclose(lines[0].get_xdata(), np.arange(1, 61) / 20)  # update i at epoch i/20
    np.testing.assert_allclose(lines[0].get_ydata(), step_loss)
    np.testing.assert_allclose(lines[1].get_ydata(), history.epoch_loss)
    np.testing.assert_allclose(lines[2].get_ydata(), history.val_loss)
    np.testing.assert_allclose(acc_ax.lines[0].get_ydata(), history.epoch_accuracy)
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), history.val_accuracy)
    np.testing.assert_allclose(acc_ax.lines[1].get_xdata(), [1, 2, 3])
    assert loss_ax.get_xlabel().startswith("epoch") and loss_ax.get_ylabel() == "loss"
    assert acc_ax.get_ylabel() == "accuracy" and acc_ax.get_ylim()[1] >= 1.0
    assert "validation accuracy (last 0.750)" in [t.get_text() for t in acc_ax.get_legend().get_texts()]
    assert png_size(tmp_path / "h.png") == (1100, 450)


def whole_ticks(ax):
    lo, hi = ax.get_xlim()
    return [t for t in ax.get_xticks() if lo <= t <= hi]


@pytest.mark.parametrize("updates", [1, 45])
def test_plot_history_of_one_epoch_spans_0_to_1(tmp_path, updates):
    history = optim.History(step_loss=list(np.linspace(1.0, 0.8, updates)), epoch_loss=[0.9],
                            epoch_accuracy=[0.5], val_loss=[0.85], val_accuracy=[0.6])
    fig = viz.plot_history(history, tmp_path / "one.png")
    loss_ax, acc_ax = fig.axes
    expected = "epoch  (1 update per epoch)" if updates == 1 else "epoch  (45 updates per epoch)"
    assert loss_ax.get_xlabel() == expected
    for ax in (loss_ax, acc_ax):      # not 0.945 … 1.050 around the one epoch
        assert ax.get_xlim()[0] == 0 and 1 < ax.get_xlim()[1] < 1.1
        assert whole_ticks(ax) == [0, 1]


def test_plot_history_places_the_updates_of_a_run_stopped_within_an_epoch():
    history = {"step_loss": [1.0] * 25, "epoch_loss": [1.0, 1.0]}   # 2 epochs of 10 updates, then 5
    line = viz.plot_history(history).axes[0].lines[0]
    assert line.get_xdata()[-1] == pytest.approx(2)                 # 12.5 updates per epoch: wrong
    line = viz.plot_history(history, updates_per_epoch=10).axes[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), np.arange(1, 26) / 10)
    with pytest.raises(ValueError, match="updates_per_epoch must be an int >= 1, got 0"):
        viz.plot_history(history, updates_per_epoch=0)


def test_plot_history_without_accuracy_or_epochs():
    fig = viz.plot_history(SimpleNamespace(step_loss=[3.0, 2.0, 1.5], epoch_loss=[], epoch_accuracy=[],
                                           val_loss=[], val_accuracy=[]))
    assert len(fig.axes) == 1 and fig.axes[0].get_xlabel() == "update"
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xydata(), [[1, 3.0], [2, 2.0], [3, 1.5]])
    fig = viz.plot_history({"epoch_loss": [100.0, 1.0, 0.01]})
    assert fig.axes[0].get_yscale() == "log"
    # an online step that fits its example exactly (loss 0) no longer flattens a blow-up to linear
    fig = viz.plot_history({"step_loss": [2.0, 0.0, 0.5, 1e6, 1e9], "epoch_loss": [1e8]})
    assert fig.axes[0].get_yscale() == "log"
    assert viz.plot_history({"step_loss": [2.0, 0.0, 1.0]}).axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError, match="no loss values"):
        viz.plot_history({"step_loss": []})
    with pytest.raises(TypeError, match="needs a History .* got list"):
        viz.plot_history([3.0, 2.0])   # a bare list of losses is not a History


@pytest.mark.parametrize("history,match", [
    # before: percentages gave an empty accuracy panel (its axis ends at 1) under a legend "last 80.000"
    ({"epoch_loss": [1.0, 0.5], "epoch_accuracy": [50, 80]}, r"epoch_accuracy holds 50; accuracies are fractions"),
    ({"epoch_loss": [1.0, 0.5], "val_accuracy": [0.5, -0.1]}, "val_accuracy holds -0.1"),
    # before: "3.33333 updates per epoch", and curves over different epochs
    ({"step_loss": [1.0] * 10, "epoch_loss": [2, 1], "val_loss": [2.1, 1.2, 1.1]}, "differ in length"),
    # before: flattened, drawn as four epochs
    ({"epoch_loss": [[1.0, 0.9], [0.8, 0.7]]}, r"epoch_loss must be a flat list of numbers, got shape \(2, 2\)"),
])
def test_plot_history_refuses_lists_it_would_draw_wrong(history, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_history(history)


def test_plot_history_takes_the_nan_of_epochs_not_validated():
    fig = viz.plot_history({"epoch_loss": [1.0, 0.5, 0.4], "epoch_accuracy": [0.5, 0.7, 0.8],
                            "val_loss": [np.nan, 0.6, 0.5], "val_accuracy": [np.nan, 0.6, 0.7]})
    assert len(fig.axes) == 2


def test_viz_imports_no_matplotlib_at_import_time():
    import subprocess
    import sys

    code = ("import sys, minigrad.viz as v, minigrad as mg; w = mg.nn.Parameter([1.0]);"
            "v.draw_graph((w * 2).sum()); v.trajectories('saddle', ['sgd'], steps=3);"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("draw", [
    lambda: viz.plot_history({"step_loss": [2.0, 1.0]}),
    lambda: viz.draw_graph((mg.nn.Parameter([1.0]) * 2).sum(), format="figure"),
    lambda: viz.plot_trajectories("saddle", ["sgd"], steps=3),
    lambda: __import__("minigrad.figures").figures.momentum_figure(steps=5),
], ids=["plot_history", "draw_graph", "plot_trajectories", "lecture figure"])
def test_drawing_without_matplotlib_says_how_to_install_it(monkeypatch, draw):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)  # importing matplotlib now raises ImportError
    with pytest.raises(ImportError, match=r"^drawing needs matplotlib, which is not installed: "
                                          r"pip install matplotlib$"):
        draw()


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_trajectories_table_prints_where_the_formula_cannot_be_encoded(encoding):
    # Windows writes a redirected stdout in its code page: x², − and y⁴ must not crash the table.
    import io

    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    assert viz.trajectories_command("saddle", steps=3, optimizers="sgd", file=out) == 0
    out.flush()
    text = out.buffer.getvalue().decode(encoding)
    assert text.startswith("saddle: f = x^2 - y^2 + y^4/2, 3 steps from (-1.5, 0.001)")
    assert "\nSGD " in text


# ---------------------------------------------------------------- draw_graph corners an audit found

def test_draw_graph_after_a_larger_losss_backward_says_whose_gradient_the_boxes_show():
    """Before: drawing ce after (ce + 10 Σw).backward() showed |grad| 24.4 as if it were dce/dw (7.48)."""
    w = mg.nn.Parameter(np.array([1.0, 2.0, 3.0]))
    ce = (w * w).sum()
    (ce + 10 * w.sum()).backward()
    svg = viz.draw_graph(ce, names={"w": w})
    assert "|grad| 24.4" in svg and "d(result backward() started from)/d(leaf)" in svg
    fresh = (w * w).sum()                                    # before its backward: no such note
    assert "started from" not in viz.draw_graph(fresh, names={"w": w})


def test_draw_graph_draws_a_tensor_without_a_graph_as_a_constant():
    """Before: a blue box, in the legend "leaf that requires grad", for tensors that do not."""
    with mg.no_grad():
        z = (mg.Tensor([1.0, 2.0], requires_grad=True) * 2).sum()
    for t in (z, mg.Tensor(np.array([3]))):
        svg = viz.draw_graph(t)
        assert "constant (no grad)" in svg and "requires grad" not in svg


def test_draw_graph_refuses_a_graph_too_big_to_read():
    """Before: 2,000 ops took a minute and gave a picture of a diagonal hairline."""
    y = mg.Tensor(np.ones(2), requires_grad=True)
    for _ in range(viz.graph.MAX_OPS):
        y = y * 0.99
    with pytest.raises(ValueError, match=r"draw_graph: the graph has 501 ops, .*\(at most 500"):
        viz.draw_graph(y.sum())


def test_a_new_non_scalar_result_after_a_step_marks_the_old_grads_unchecked():
    # before: every parameter box showed the previous batch's .grad as plain |grad|, with no note
    model, X, T, opt = trained_mlp()
    out = model(X)
    svg = viz.draw_graph(out, names=model)
    lines, muted = grad_lines(svg)
    expected = {name: f"unchecked |grad| {np.linalg.norm(p.grad):.3g}" for name, p in model.named_parameters()}
    assert lines == expected and set(expected.values()) <= muted
    assert viz.graph.UNCHECKED_NOTE.split(":")[0] in svg


def test_notes_after_a_released_graph_and_after_two_passes_say_what_happened():
    model, X, T, opt = trained_mlp()
    loss = nn.functional.mse_loss(model(X), T)
    loss.backward()
    opt.step()
    opt.zero_grad()
    svg = viz.draw_graph(loss, names=model)
    # before: "call backward() to see them", though backward would raise: the graph is released
    assert "call backward() to see them" not in svg and "already ran through this graph" in svg
    loss = nn.functional.mse_loss(model(X), T)
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)                  # this graph's gradient, added up twice
    svg = viz.draw_graph(loss, names=model).replace("&#x27;", "'")
    assert "stale |grad|" in svg and "or passes added up" in svg


@pytest.mark.parametrize("names", ["x", 5, [mg.Tensor([1.0, 2.0])], [("w",)]])
def test_names_that_are_not_name_tensor_pairs_are_refused(names):
    w = Parameter(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="names must be a Module, a dict"):
        viz.draw_graph((w * w).sum(), names=names)
