"""minigrad.animation: the optimizers' paths as a GIF, each frame with every optimizer's state."""

import re

import numpy as np
import pytest

from minigrad import nn, optim, viz
from minigrad.animation import animate_trajectories, state_text

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


def test_gif_has_one_frame_per_shown_step_and_paths_match_viz(tmp_path):
    path = tmp_path / "paths.gif"
    anim = animate_trajectories("saddle", ["sgd", "adam", "swats"], steps=12, frames=5, path=path)
    with Image.open(path) as gif:
        assert gif.n_frames == 5                                  # steps 0, 3, 6, 9, 12
    expected = viz.trajectories("saddle", ["sgd", "adam", "swats"], steps=12)
    for key, points in expected.items():
        np.testing.assert_array_equal(anim.minigrad_paths[key], points)


def test_gif_marks_and_names_the_start_the_minima_and_the_saddle_above_the_paths(tmp_path):
    anim = animate_trajectories("saddle", ["sgd", "adam"], steps=4, frames=4, path=tmp_path / "s.gif")
    ax = anim.minigrad_figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["start", "minimum", "saddle point"]
    marks = [line for line in ax.lines if line.get_label() == "start" or line.get_marker() in ("*", "X")]
    paths = [line for line in ax.lines if line not in marks]
    assert [line.get_marker() for line in marks] == ["o", "*", "*", "X"]   # the saddle surface has two minima
    assert len(paths) == 4 and min(m.get_zorder() for m in marks) > max(p.get_zorder() for p in paths)


def test_state_lines_follow_each_optimizer(tmp_path):
    anim = animate_trajectories("quadratic", steps=8, frames=8, path=tmp_path / "eight.gif")
    states = anim.minigrad_states
    assert set(states) == set(viz.OPTIMIZER_NAMES.values()) and all(len(s) == 9 for s in states.values())
    assert states["SGD"][1] == "no state" and states["SGDM"][3].startswith("v = (")
    assert states["RAdam"][5].endswith("momentum step") and "r_t = " in states["RAdam"][6]
    assert states["SWATS"][8].startswith("Adam phase") and states["AMSGrad"][2].startswith("m = (")


def test_swats_state_names_the_switch():
    w = nn.Parameter(np.array([1.0, 1.0]))
    opt = optim.SWATS([w], lr=0.01)
    for _ in range(3):
        w.grad = np.array([0.3, -0.7])        # a constant gradient: switch at k = 2
        opt.step()
    assert state_text(opt, w) == "SGD phase since step 2, Λ = 0.02"


def test_a_diverging_run_says_so(tmp_path):
    anim = animate_trajectories("quadratic", [("sgd", {"lr": 0.5})], steps=30, frames=5, path=tmp_path / "a.gif")
    assert anim.minigrad_states["SGD"][-1].startswith("diverged at step")
    assert np.isnan(anim.minigrad_paths["SGD"][-1]).all()


def test_every_frame_keeps_the_plot_colours_exactly(tmp_path):
    # one palette for all frames: Pillow's per-frame palettes turned the gold star SGDM's orange
    path = tmp_path / "paths.gif"
    animate_trajectories("rosenbrock", steps=40, frames=10, path=path)
    gold, orange = (255, 215, 0), (255, 127, 14)
    with Image.open(path) as gif:
        counts = []
        for k in range(gif.n_frames):
            gif.seek(k)
            rgb = np.asarray(gif.convert("RGB")).reshape(-1, 3)
            colours = {tuple(c) for c in np.unique(rgb, axis=0)}
            assert gold in colours and orange in colours, k
            counts.append(int((rgb == gold).all(axis=1).sum()))
    assert min(counts) == max(counts) > 20, counts    # the star, whole in every frame


@pytest.mark.parametrize("steps, frames, shown", [
    (10, 4, [0, 3, 7, 10]),         # was 5 frames: 0, 3, 6, 9 and the last step appended
    (4, 80, [0, 1, 2, 3, 4]),       # fewer steps than frames: every step
    (5, 5, [0, 1, 2, 4, 5]),        # was 6 frames
])
def test_frames_is_a_maximum_and_the_last_step_is_shown(tmp_path, steps, frames, shown):
    anim = animate_trajectories("quadratic", ["sgd"], steps=steps, frames=frames, path=tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == len(shown) <= frames
    assert anim.minigrad_steps == shown
    assert anim.minigrad_figure.texts[-1].get_text() == f"quadratic: step {steps} of {steps}"  # the last frame


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(steps=-2), ValueError, "steps must be an integer >= 1, got -2"),
    (dict(steps=0), ValueError, "steps must be an integer >= 1, got 0"),
    (dict(steps=2.7), TypeError, "steps must be an integer >= 1, got 2.7 (float)"),
    (dict(steps="3"), TypeError, "steps must be an integer >= 1, got '3' (str)"),
    (dict(frames=0), ValueError, "frames must be an integer >= 2, got 0"),
    (dict(frames=1), ValueError, "frames must be an integer >= 2, got 1"),
    (dict(frames=-1), ValueError, "frames must be an integer >= 2, got -1"),
    (dict(fps=0), ValueError, "fps must be an integer >= 1, got 0"),
    (dict(path="anim.png"), ValueError, "path must end in .gif (the animation is written as a GIF), got 'anim.png'"),
    (dict(path="anim"), ValueError, "path must end in .gif"),
    (dict(path=3), TypeError, "path must be a file name"),
])
def test_bad_arguments_are_refused_before_any_file_is_written(tmp_path, monkeypatch, kwargs, error, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=re.escape(words)):
        animate_trajectories("quadratic", ["sgd"], **{"steps": 3, **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_an_upper_case_gif_suffix_is_a_gif(tmp_path):
    animate_trajectories("quadratic", ["sgd"], steps=2, frames=2, path=tmp_path / "A.GIF")
    assert (tmp_path / "A.GIF").read_bytes()[:6] == b"GIF89a"


def test_the_state_panel_names_each_optimizers_actual_lr_once(tmp_path):
    # a function surface's optimizers run at their own default lr: the panel read "SGD, lr=" (blank);
    # an optimizer listed twice read "SGD (lr=0.01), lr=0.01"
    anim = animate_trajectories(lambda w: (w * w).sum(), ["sgd", "adam"], start=(1.0, 1.0), steps=2, frames=2,
                                path=tmp_path / "f.gif")
    headers = [t.get_text() for t in anim.minigrad_figure.axes[1].texts if t.get_weight() == "bold"]
    assert headers == ["SGD, lr=0.01", "Adam, lr=0.001"]
    anim = animate_trajectories("quadratic", [("sgd", {"lr": 0.01}), ("sgd", {"lr": 0.05})], steps=2, frames=2,
                                path=tmp_path / "q.gif")
    headers = [t.get_text() for t in anim.minigrad_figure.axes[1].texts if t.get_weight() == "bold"]
    assert headers == ["SGD, lr=0.01", "SGD, lr=0.05"]


def ten_optimizers():
    return [("sgd", {"lr": 0.01}), ("sgd", {"lr": 0.05}), ("sgd", {"lr": 0.09}), "sgdm", "adagrad", "rmsprop",
            "adam", "amsgrad", "swats", "radam"]


def test_ten_optimizers_are_told_apart_and_their_states_fit_the_panel(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    anim = animate_trajectories("quadratic", ten_optimizers(), steps=3, frames=2, path=tmp_path / "ten.gif")
    fig = anim.minigrad_figure
    paths = [line for line in fig.axes[0].lines if line.get_label().startswith("_")][::2]   # line, dot, …
    assert len(paths) == 10
    assert len({(line.get_color(), line.get_linestyle()) for line in paths}) == 10   # 1 and 9 were alike
    renderer = FigureCanvasAgg(fig).get_renderer()
    panel = fig.axes[1].get_window_extent(renderer)
    boxes = [t.get_window_extent(renderer) for t in fig.axes[1].texts]
    assert len(boxes) == 20 and min(box.y0 for box in boxes) >= panel.y0        # the last lines ran off it
    tops_down = sorted(boxes, key=lambda box: -box.y1)
    assert all(upper.y0 >= lower.y1 for upper, lower in zip(tops_down, tops_down[1:]))   # no overlaps


def test_more_optimizers_than_line_styles_are_refused():
    many = [("sgd", {"lr": 0.01 * k}) for k in range(1, 18)]
    with pytest.raises(ValueError, match="at most 16 optimizers can be told apart in one picture .* got 17"):
        animate_trajectories("quadratic", many, steps=2, frames=2)
    with pytest.raises(ValueError, match="at most 16 optimizers can be told apart in one picture .* got 17"):
        viz.plot_trajectories("quadratic", many, steps=2)
    fig = viz.plot_trajectories("quadratic", ten_optimizers(), steps=2)
    styles = {(line.get_color(), line.get_linestyle()) for line in fig.axes[1].lines}   # the loss panel
    assert len(styles) == 10
