"""Tests of the command line, ``python -m minigrad`` (minigrad/__main__.py)."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.__main__ import DEFAULT_LR, OPTIMIZER_NAMES, main

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    """main(argv) in this process: (exit status, stdout, stderr); argparse's SystemExit caught."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "minigrad", *argv], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith("epoch ")]


def final_accuracies(out):
    train, test = re.search(r"final: train accuracy ([\d.]+), test accuracy ([\d.]+)", out).groups()
    return float(train), float(test)


# ---------------------------------------------------------------- help and usage errors

def test_no_command_prints_help_naming_every_command(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    for command in ("train", "compare", "trajectories", "student-copy", "grade"):
        assert command in out
    assert "python -m minigrad train" in out


@pytest.mark.parametrize("command", ["", "train", "compare", "trajectories", "student-copy", "grade"])
def test_help_of_every_command(capsys, command):
    code, out, _ = run(capsys, *([command] if command else []), "--help")
    assert code == 0
    assert out.startswith(f"usage: minigrad {command}".rstrip())


BAD = [  # id, argv, a phrase the one-line message must contain
    ("unknown-flag", ["train", "--bogus"], "minigrad train: error: unrecognized arguments: --bogus "
                                           "(see minigrad train --help)"),
    ("unknown-flag-compare", ["compare", "extra"], "minigrad compare: error: unrecognized arguments: extra"),
    ("unknown-flag-top", ["--bogus"], "minigrad: error: unrecognized arguments: --bogus"),
    ("unknown-command", ["frobnicate"], "frobnicate"),
    ("optimizer", ["train", "--optimizer", "adamw"], "unknown optimizer 'adamw'"),
    ("data", ["train", "--data", "mnist"], "invalid choice: 'mnist'"),
    ("regime", ["train", "--regime", "stochastic"], "unknown regime 'stochastic'; choose online (on-line), "
                                                     "minibatch (mini-batch) or offline (off-line, batch)"),
    ("epochs", ["train", "--epochs", "0"], "integer >= 1"),
    ("lr", ["train", "--lr", "-1"], "learning rate >= 0"),
    ("lr-nan", ["train", "--lr", "nan"], "learning rate >= 0"),
    ("hidden", ["train", "--hidden", "6x"], "64,64"),
    ("hidden-empty-entry", ["train", "--hidden", "64,,3"], "got '64,,3'"),
    ("seed", ["train", "--seed", "-3"], "seed >= 0"),
    ("resume-missing", ["train", "--resume", "no/such/file.npz"], "no such file"),
    ("compare-optimizers", ["compare", "--optimizers", "sgd,foo"], "unknown optimizer 'foo'"),
    ("compare-lr", ["compare", "--lr", "sgd=fast"], "expected a learning rate"),
    ("compare-lr-other", ["compare", "--optimizers", "sgd", "--lr", "adam=0.1"], "adam"),
    ("surface", ["trajectories", "--surface", "himmelblau"], "invalid choice: 'himmelblau' (choose from "
                                                             "'quadratic', 'rosenbrock'"),
    ("start", ["trajectories", "--start", "1,x"], "start must be two numbers"),
    ("start-nan", ["trajectories", "--start", "nan,1"], "error: start must be finite, got (nan, 1)\n"),
    ("batch-size-online", ["train", "--regime", "online", "--batch-size", "8"],
     "--batch-size applies to --regime minibatch only"),
    ("batch-size-offline", ["compare", "--regime", "offline", "--batch-size", "8"],
     "--batch-size applies to --regime minibatch only"),
    ("gif-folder", ["trajectories", "--gif", "no/such/folder/x.gif"], "error: --gif no/such/folder/x.gif: the folder"),
    ("gif-suffix", ["trajectories", "--gif", "paths.txt"], "--gif paths.txt: the animation is a GIF; end the name in .gif"),
    ("plot-and-gif-one-file", ["trajectories", "--plot", "p.gif", "--gif", "p.gif"],
     "--plot and --gif both name p.gif; the second would overwrite the first"),
    ("plot-and-health-one-file", ["train", "--plot", "x", "--health", "x.png"],
     "--plot and --health both name x.png; the second would overwrite the first"),
    ("health-folder", ["train", "--health", "no/such/folder/h.png"], "error: --health no/such/folder/h.png: the folder"),
]


@pytest.mark.parametrize("name,argv,phrase", BAD, ids=[b[0] for b in BAD])
def test_bad_flags_and_names_exit_2_with_one_line(capsys, name, argv, phrase):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert phrase in err and "Traceback" not in err


def test_as_a_process_bad_flag_is_one_line_without_traceback():
    result = run_process("train", "--optimizer", "nope")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("minigrad train: error:")


def test_the_docstring_examples_of_main_hold():
    # NOTE: main lives in minigrad/cli/__init__.py (minigrad/__main__.py, which pytest's
    # --doctest-modules skips, only imports it); run its examples here as well
    import doctest

    import minigrad.cli as cli
    result = doctest.testmod(cli, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1 and result.failed == 0


# ---------------------------------------------------------------- train

def test_train_without_arguments_trains_digits_with_adam(capsys):
    code, out, err = run(capsys, "train")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "digits: 1437 train / 360 test examples, 64 features, 10 classes"
    assert lines[1] == "MLP 64-64-10 (ReLU), Adam lr 0.001, minibatch of 32, 20 epochs, seed 0"
    epochs = epoch_lines(out)
    assert len(epochs) == 20 and epochs[0].startswith("epoch  1/20  loss ")
    losses = [float(re.search(r"loss ([\d.]+)", e).group(1)) for e in epochs]
    assert losses[-1] < losses[0] / 10
    train_acc, test_acc = final_accuracies(out)
    assert train_acc > 0.98 and test_acc > 0.95
    assert "100%" in err and "900/900" in err  # the tqdm bar: 20 epochs of 45 updates, on stderr


def test_train_as_a_process():
    result = run_process("train", "--data", "iris", "--epochs", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert len(epoch_lines(result.stdout)) == 2 and "final: train accuracy" in result.stdout


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_every_optimizer_by_name_in_any_case(capsys, name):
    code, out, _ = run(capsys, "train", "--data", "iris", "--epochs", "1", "--no-progress",
                       "--optimizer", name.upper(), "--hidden", "8,8")
    assert code == 0
    assert f"MLP 4-8-8-3 (ReLU), {name} lr {DEFAULT_LR[name.lower()]:g}," in out


@pytest.mark.parametrize("regime,shown", [("online", "online,"), ("batch", "offline,"),
                                          ("minibatch", "minibatch of 7,")])
def test_regimes_and_batch_size(capsys, regime, shown):
    batch = ["--batch-size", "7"] if regime == "minibatch" else []
    code, out, _ = run(capsys, "train", "--data", "iris", "--epochs", "2", "--no-progress",
                       "--regime", regime, *batch, "--hidden", "")
    assert code == 0
    assert "MLP 4-3 (linear)" in out and shown in out


def test_diverging_run_exits_1_naming_epoch_and_update(capsys):
    code, out, err = run(capsys, "train", "--optimizer", "sgd", "--lr", "1e6", "--no-progress")
    assert code == 1
    assert re.fullmatch(r"minigrad train: the loss is (nan|inf) at epoch 1, update \d+ of 45 .*\n", err)


def _checkpoint(path):
    data = np.load(path)
    return {name: data[name] for name in data.files}


def test_resume_continues_the_exact_same_trajectory(capsys, tmp_path):
    common = ["train", "--data", "wine", "--optimizer", "swats", "--lr", "0.003", "--hidden", "16,16",
              "--batch-size", "16", "--seed", "5", "--no-progress"]
    code, straight, _ = run(capsys, *common, "--epochs", "4", "--save", str(tmp_path / "a.npz"))
    assert code == 0
    code, _, _ = run(capsys, *common, "--epochs", "2", "--save", str(tmp_path / "b.npz"))
    assert code == 0
    code, resumed, _ = run(capsys, "train", "--resume", str(tmp_path / "b.npz"), "--epochs", "4",
                           "--save", str(tmp_path / "c.npz"), "--no-progress")
    assert code == 0
    assert "resumed at epoch 2" in resumed
    assert epoch_lines(resumed) == epoch_lines(straight)[2:]
    assert final_accuracies(resumed) == final_accuracies(straight)
    a, c = _checkpoint(tmp_path / "a.npz"), _checkpoint(tmp_path / "c.npz")
    assert sorted(a) == sorted(c) and any(k.startswith("optimizer.state") for k in a)
    for name in a:  # model, optimizer state, RNG state, epoch, flags and history: bit for bit
        assert np.array_equal(a[name], c[name]), name
    saved = minigrad.load(tmp_path / "c.npz")
    assert saved["epoch"] == 4 and len(saved["history"]["epoch_loss"]) == 4


def test_resume_refuses_other_settings_and_stops_when_done(capsys, tmp_path):
    path = str(tmp_path / "ckpt.npz")
    assert run(capsys, "train", "--data", "iris", "--epochs", "1", "--no-progress", "--save", path)[0] == 0
    code, _, err = run(capsys, "train", "--resume", path, "--hidden", "32")
    assert code == 2 and "--hidden 32 differs from the checkpoint's 64" in err
    code, out, _ = run(capsys, "train", "--resume", path, "--no-progress")
    assert code == 0 and "nothing to train" in out and epoch_lines(out) == []
    code, out, err = run(capsys, "train", "--resume", path, "--epochs", "1", "--no-progress")
    assert code == 2 and out == "" and err == ("minigrad train: error: the checkpoint is at epoch 1: --epochs 1 "
                                               "must be more than that (it counts the checkpoint's epochs)\n")
    other = tmp_path / "other.npz"
    minigrad.save({"weights": np.zeros(3)}, other)
    code, _, err = run(capsys, "train", "--resume", str(other))
    assert code == 2 and "not a checkpoint" in err


# wine, on-line SGD at lr 0.5: the loss overflows in epoch 8, after 7 finished epochs (a fraction of a second)
DIVERGING = ["--data", "wine", "--regime", "online", "--optimizer", "sgd", "--lr", "0.5", "--epochs", "10",
             "--no-progress"]


def test_a_resumed_run_names_the_divergence_as_the_run_in_one_go(capsys, tmp_path):
    path = str(tmp_path / "run.npz")
    code, _, straight = run(capsys, "train", *DIVERGING, "--save", path)
    assert code == 1 and "at epoch 8, update 54 of 142 (1048 overall)" in straight
    assert minigrad.load(path)["epoch"] == 7
    code, out, resumed = run(capsys, "train", "--resume", path, "--no-progress")
    assert code == 1 and "resumed at epoch 7" in out
    assert resumed == straight


def test_train_plot_is_written_up_to_a_divergence(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figures = []
    real = minigrad.viz.plot_history
    monkeypatch.setattr(minigrad.viz, "plot_history", lambda *a, **k: figures.append(real(*a, **k)))
    path = tmp_path / "curves.png"
    code, out, err = run(capsys, "train", *DIVERGING, "--plot", str(path))
    assert code == 1 and err.startswith("minigrad train: the loss is inf at epoch 8")
    assert f"plot: {path} (the curves up to the divergence)" in out.splitlines()
    assert path.read_bytes()[:8] == PNG
    steps, epochs = figures[0].axes[0].lines[:2]
    assert len(epochs.get_xdata()) == 7
    assert steps.get_xdata()[-1] == pytest.approx(1047 / 142)   # the last finite update, in epoch 8


def test_train_plot_writes_a_png_naming_the_held_out_data_as_the_printed_lines_do(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figures = []
    real = minigrad.viz.plot_history
    monkeypatch.setattr(minigrad.viz, "plot_history", lambda *a, **k: figures.append(real(*a, **k)))
    path = tmp_path / "history.png"
    code, out, _ = run(capsys, "train", "--data", "iris", "--epochs", "3", "--no-progress", "--plot", str(path))
    assert code == 0 and f"plot: {path}" in out
    assert path.read_bytes()[:8] == PNG
    legends = [t.get_text() for ax in figures[0].axes for t in ax.get_legend().get_texts()]
    assert "test loss" in out and any(t.startswith("test loss (last") for t in legends), legends
    assert any(t.startswith("test accuracy (last") for t in legends), legends
    assert not any("validation" in t for t in legends), legends


@pytest.mark.parametrize("argv", [["train", "--data", "iris", "--epochs", "1", "--no-progress"],
                                  ["compare", "--data", "iris", "--epochs", "1", "--optimizers", "sgd",
                                   "--no-progress"],
                                  ["trajectories", "--steps", "1", "--optimizers", "sgd"]],
                         ids=["train", "compare", "trajectories"])
def test_plot_path_without_suffix_prints_the_file_written(capsys, tmp_path, argv):
    pytest.importorskip("matplotlib")
    code, out, _ = run(capsys, *argv, "--plot", str(tmp_path / "curves"))
    assert code == 0 and out.splitlines()[-1] == f"plot: {tmp_path / 'curves.png'}"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("argv", [["train"], ["compare"], ["trajectories"]])
def test_plot_without_matplotlib_says_how_to_install_before_any_work(capsys, monkeypatch, tmp_path, argv):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    code, out, err = run(capsys, *argv, "--plot", str(tmp_path / "x.png"))
    assert code == 2 and out == ""
    assert err.strip() == f"minigrad {argv[0]}: error: matplotlib is needed for --plot; install it with: " \
                          f"pip install matplotlib"
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv,phrase", [
    (["train", "--save", "{tmp}/missing/run.npz"], "the folder {tmp}/missing does not exist"),
    (["train", "--save", "{tmp}"], "--save {tmp} is a folder"),
    (["train", "--plot", "{tmp}/missing/x.png"], "the folder {tmp}/missing does not exist"),
    (["train", "--plot", "{tmp}"], "--plot {tmp} is a folder"),
    (["train", "--plot", "{tmp}/curves.txt"], "cannot write .txt files"),
    (["compare", "--plot", "{tmp}/missing/x.png"], "the folder {tmp}/missing does not exist"),
    (["trajectories", "--plot", "{tmp}/missing/x.png"], "the folder {tmp}/missing does not exist"),
    pytest.param(["train", "--plot", "/proc/x.png"], "--plot /proc/x.png cannot be written",  # even root can't
                 marks=pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux's /proc")),
    (["train", "--plot", ""], "--plot needs a file name"),
    (["train", "--health", "{tmp}/x.png/"], "ends in /, as a folder would"),
    (["trajectories", "--gif", ""], "--gif needs a file name"),
], ids=["save-folder-missing", "save-is-folder", "plot-folder-missing", "plot-is-folder", "plot-suffix",
        "compare", "trajectories", "plot-unwritable", "plot-empty", "health-trailing-slash", "gif-empty"])
def test_unwritable_output_path_fails_in_one_line_before_any_work(capsys, monkeypatch, tmp_path, argv, phrase):
    pytest.importorskip("matplotlib")
    from minigrad.cli import classifier
    monkeypatch.setattr(classifier, "load_data", lambda name: pytest.fail("loaded data before checking the path"))
    monkeypatch.setattr(minigrad.viz, "trajectories_command", lambda *a, **k: pytest.fail("ran before checking"))
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert phrase.format(tmp=tmp_path) in err
    assert list(tmp_path.iterdir()) == []  # nothing written


# ---------------------------------------------------------------- compare

def _table(out):
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in OPTIMIZER_NAMES:
            rows[parts[0]] = parts[1:]
    return rows


def test_compare_every_optimizer_prints_a_table(capsys):
    code, out, _ = run(capsys, "compare", "--data", "iris", "--epochs", "2", "--no-progress")
    assert code == 0
    rows = _table(out)
    assert list(rows) == list(OPTIMIZER_NAMES)
    assert "2 epochs = 8 updates" in out  # 120 examples in batches of 32
    assert "never switched" in out or "switched to SGD" in out  # SWATS says which phase it ended in
    for name, (lr, loss, train_acc, test_acc, seconds, *note) in rows.items():
        assert float(lr) == DEFAULT_LR[name.lower()]
        assert float(loss) > 0 and 0 <= float(train_acc) <= 1 and 0 <= float(test_acc) <= 1
        assert float(seconds) >= 0


def test_names_any_case_and_the_model_label(capsys):
    code, out, _ = run(capsys, "train", "--data", "Iris", "--epochs", "1", "--hidden", "", "--no-progress")
    assert code == 0
    assert out.startswith("iris: 120 train") and "MLP 4-3 (linear), Adam" in out  # no hidden layer: no ReLU
    code, out, _ = run(capsys, "train", "--data", "IRIS", "--epochs", "1", "--no-progress")
    assert code == 0 and "MLP 4-64-3 (ReLU), Adam" in out


@pytest.mark.parametrize("argv,shown", [
    (["train", "--regime", "Offline"], "MLP 4-64-3 (ReLU), Adam lr 0.001, offline,"),
    (["train", "--regime", "BATCH"], "MLP 4-64-3 (ReLU), Adam lr 0.001, offline,"),
    (["compare", "--regime", "OnLine", "--optimizers", "SGD"], "MLP 4-64-3 (ReLU), online,"),
    (["train", "--data", "Iris", "--optimizer", "ADAM"], "MLP 4-64-3 (ReLU), Adam lr 0.001, minibatch of 32,"),
    # the lecture's and the README's own spellings
    (["train", "--regime", "on-line"], "MLP 4-64-3 (ReLU), Adam lr 0.001, online,"),
    (["train", "--regime", "Off-Line"], "MLP 4-64-3 (ReLU), Adam lr 0.001, offline,"),
    (["train", "--regime", "mini-batch"], "MLP 4-64-3 (ReLU), Adam lr 0.001, minibatch of 32,"),
    (["train", "--regime", "mini_batch"], "MLP 4-64-3 (ReLU), Adam lr 0.001, minibatch of 32,"),
    (["compare", "--regime", "full-batch", "--optimizers", "SGD"], "MLP 4-64-3 (ReLU), offline,"),
])
def test_every_name_flag_takes_any_case(capsys, argv, shown):
    code, out, _ = run(capsys, *argv, "--data", "iris", "--epochs", "1", "--no-progress")
    assert code == 0 and shown in out


def test_trajectories_surface_takes_any_case(capsys):
    code, out, _ = run(capsys, "trajectories", "--surface", "Rosenbrock", "--optimizers", "sgd", "--steps", "1")
    assert code == 0 and out.startswith("rosenbrock:")


def test_compare_labels_the_model_as_train_does(capsys):
    code, out, _ = run(capsys, "compare", "--data", "iris", "--epochs", "1", "--hidden", "", "--optimizers", "sgd",
                       "--no-progress")
    assert code == 0 and out.startswith("iris: MLP 4-3 (linear), minibatch of 32, 1 epoch = 4 updates")


@pytest.mark.parametrize("command", ["train", "compare"])
def test_a_batch_larger_than_the_data_prints_the_batch_used(capsys, command):
    code, out, _ = run(capsys, command, "--data", "iris", "--epochs", "1", "--batch-size", "500", "--no-progress",
                       *(["--optimizers", "sgd"] if command == "compare" else []))
    assert code == 0
    assert "minibatch of 120 (--batch-size 500 is more than the 120 training examples), 1 epoch" in out


def test_losses_print_in_e_notation_when_4_decimals_would_not_do(capsys):
    from minigrad.optim.train import loss_text
    assert [loss_text(v) for v in (1.87861, 1e-3, 999999.0, 1.5495e20, 1.25e-05, 0.0)] == \
        ["1.8786", "0.0010", "999999.0000", "1.55e+20", "1.25e-05", "0.00e+00"]
    code, out, _ = run(capsys, "train", "--data", "iris", "--lr", "1e9", "--epochs", "1", "--no-progress")
    assert code == 0
    assert re.fullmatch(r"epoch 1/1  loss \d\.\d\de\+\d\d  acc [\d.]+  \|  test loss \d\.\d\de\+\d\d  acc [\d.]+",
                        epoch_lines(out)[0])


def test_compare_leaves_no_finished_bars_between_its_rows(capsys):
    # one transient bar for the whole comparison: a terminal shows stdout and stderr mixed,
    # and a finished bar per optimizer would stand between the table's rows
    code, out, err = run(capsys, "compare", "--data", "iris", "--epochs", "2", "--optimizers", "sgd,adam")
    assert code == 0 and len(_table(out)) == 2
    assert "compare" in err and "4/4" not in err.split("\r")[-1]    # the bar's last state is cleared


def test_compare_uses_the_same_start_and_shuffles_as_train(capsys):
    """Each row of compare is the run `train --optimizer X` makes with the same seed."""
    flags = ["--data", "wine", "--epochs", "3", "--seed", "2", "--regime", "minibatch", "--batch-size", "8",
             "--no-progress"]
    code, out, _ = run(capsys, "compare", "--optimizers", "SGDM,adam", "--lr", "sgdm=0.02", *flags)
    assert code == 0
    rows = _table(out)
    assert list(rows) == ["SGDM", "Adam"] and rows["SGDM"][0] == "0.02"
    for name, lr in (("SGDM", "0.02"), ("Adam", "0.001")):
        code, single, _ = run(capsys, "train", "--optimizer", name, "--lr", lr, *flags)
        last = epoch_lines(single)[-1]
        assert rows[name][1] == re.search(r"loss ([\d.]+)", last).group(1)
        assert tuple(float(v) for v in rows[name][2:4]) == final_accuracies(single)


def test_compare_reports_a_diverged_optimizer_and_goes_on(capsys):
    code, out, _ = run(capsys, "compare", "--optimizers", "sgd,adam", "--lr", "sgd=1e6", "--no-progress")
    assert code == 0
    assert re.search(r"^SGD +1e\+06 diverged: the loss is (nan|inf) at epoch 1", out, re.M)
    assert "Adam" in _table(out)


def test_compare_plot_writes_one_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "compare.png"
    code, out, _ = run(capsys, "compare", "--data", "iris", "--epochs", "3", "--optimizers", "sgd,adam",
                       "--no-progress", "--plot", str(path))
    assert code == 0 and path.read_bytes()[:8] == PNG


def test_compare_plot_draws_a_diverged_optimizer_up_to_its_divergence(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.cli import compare as cli
    figures = []
    real = cli._plot_compare
    monkeypatch.setattr(cli, "_plot_compare", lambda *a: figures.append(real(*a)) or figures[-1])
    path = tmp_path / "c.png"
    code, out, _ = run(capsys, "compare", "--data", "wine", "--regime", "online", "--epochs", "10",
                       "--optimizers", "sgd,adam,sgdm", "--lr", "sgd=0.5,sgdm=5", "--no-progress", "--plot", str(path))
    assert code == 0 and f"plot: {path}" in out and path.read_bytes()[:8] == PNG
    assert re.search(r"^SGD +0.5 diverged: the loss is inf at epoch 8", out, re.M)
    assert re.search(r"^SGDM +5 diverged: the loss is nan at epoch 1,", out, re.M)
    sgd, adam, sgdm = figures[0].axes[0].lines
    assert [line.get_label().split(",")[0] for line in (sgd, adam, sgdm)] == [
        "SGD (diverged)", "Adam", "SGDM (diverged in epoch 1: nothing to draw)"]
    assert list(sgd.get_xdata()) == [1, 2, 3, 4, 5, 6, 7] and np.isfinite(sgd.get_ydata()).all()
    assert len(adam.get_xdata()) == 10 and len(sgdm.get_xdata()) == 0   # SGDM: no epoch finished


def test_compare_plot_with_nothing_to_draw_writes_nothing_and_says_why(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "c.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no matplotlib warning about an empty legend either
        code, out, err = run(capsys, "compare", "--data", "iris", "--regime", "online", "--lr", "100",
                             "--epochs", "2", "--optimizers", "sgd", "--no-progress", "--plot", str(path))
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == ("plot: not written, every optimizer diverged within its first epoch: "
                                    "no epoch loss to draw")
    assert list(tmp_path.iterdir()) == []


def test_compare_plot_ticks_whole_epochs(tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.cli import compare as cli
    fig = cli._plot_compare({"SGD": [1.0, 0.5], "Adam": [0.9, 0.3]}, tmp_path / "c.png", "two epochs")
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks)   # no "epoch 1.2"
    major, minor = ax.yaxis.get_major_formatter(), ax.yaxis.get_minor_formatter()
    assert [major(v) for v in (0.01, 0.1, 1.0)] == ["0.01", "0.1", "1"]   # not 10⁻², 10⁻¹
    ax.set_ylim(0.01, 1)      # two decades: of the minor ticks, 2, 3 and 5 × 10^k
    assert [minor(v) for v in (0.02, 0.03, 0.04, 0.5, 0.7)] == ["0.02", "0.03", "", "0.5", ""]
    ax.set_ylim(0.3, 1)       # within one decade: every minor tick, or there would be one label
    assert [minor(v) for v in (0.4, 0.7)] == ["0.4", "0.7"]
    ax.set_ylim(1e-8, 1)      # eight decades: none
    assert [minor(v) for v in (0.02, 0.5)] == ["", ""]
    assert [line.get_label() for line in ax.lines] == ["SGD", "Adam"]


def test_compare_plot_keeps_the_finished_runs_in_scale_and_shows_one_epoch(tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.cli import compare as cli
    # a diverged run's last epoch at 1e34 flattened the others at the bottom of a 1e35 axis
    fig = cli._plot_compare({"SGD (diverged)": [2.8e34], "Adam": [1.9, 0.9], "RMSProp": [2.9, 1.2]},
                            tmp_path / "c.png", "diverged")
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 10 and ax.get_ylim()[0] > 0.3
    assert [line.get_label() for line in ax.lines] == ["SGD (diverged), off the scale", "Adam", "RMSProp"]
    # one epoch: a point each (with a marker) and the tick "1", not 0.945 ... 1.050
    fig = cli._plot_compare({"SGD": [1.5], "Adam": [1.9]}, tmp_path / "one.png", "one epoch")
    ax = fig.axes[0]
    assert all(line.get_marker() == "o" for line in ax.lines)
    lo, hi = ax.get_xlim()
    assert [t for t in ax.get_xticks() if lo <= t <= hi] == [1]


# ---------------------------------------------------------------- trajectories and homework

def test_trajectories_table_and_plot(capsys, tmp_path):
    code, out, _ = run(capsys, "trajectories", "--optimizers", "sgd,ADAM", "--steps", "5")
    assert code == 0
    assert out.startswith("quadratic:") and re.search(r"^SGD ", out, re.M) and re.search(r"^Adam ", out, re.M)
    pytest.importorskip("matplotlib")
    path = tmp_path / "paths.png"
    code, _, _ = run(capsys, "trajectories", "--surface", "saddle", "--steps", "5", "--plot", str(path))
    assert code == 0 and path.read_bytes()[:8] == PNG


@pytest.mark.parametrize("start", [["--start", "-1.5,2"], ["--start=-1.5,2"], ["--start", "-1.5,-2"]])
def test_trajectories_start_takes_a_negative_x_as_its_help_shows_it(capsys, start):
    # argparse reads "-1.5,2" after a flag as another flag (it is not a plain negative number)
    code, out, err = run(capsys, "trajectories", "--optimizers", "sgd", "--steps", "1", *start)
    assert code == 0, err
    assert f"from ({start[-1].split('=')[-1]})" in out.replace(", ", ",")


@pytest.mark.parametrize("argv,function,expected", [
    (["student-copy", "src", "dst", "--exercise", "a.b", "--exercise", "c.d"], "student_copy_command",
     dict(src="src", dst="dst", exercise=["a.b", "c.d"])),
    (["grade", "copy", "--exercise", "x.y", "-v"], "grade_command", dict(path="copy", exercise=["x.y"], verbose=True)),
    (["grade", "copy", "--timeout", "3", "--total-timeout", "900"], "grade_command",
     dict(path="copy", timeout=3.0, total_timeout=900.0)),
])
def test_homework_commands_call_minigrad_homework(capsys, monkeypatch, argv, function, expected):
    import minigrad.homework

    calls = []
    monkeypatch.setattr(minigrad.homework, function, lambda args: calls.append(args) or 7)
    assert run(capsys, *argv)[0] == 7
    assert {k: getattr(calls[0], k) for k in expected} == expected


@pytest.mark.parametrize("argv", [["student-copy", "a", "b"], ["grade", "a"]])
def test_homework_commands_say_not_available_without_minigrad_homework(capsys, monkeypatch, argv):
    monkeypatch.delattr(minigrad, "homework", raising=False)
    monkeypatch.setitem(sys.modules, "minigrad.homework", None)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "not available yet" in err and len(err.splitlines()) == 1


def test_an_unknown_regime_lists_every_spelling(capsys):
    code, _, err = run(capsys, "train", "--regime", "sideways")
    assert code == 2
    assert "unknown regime 'sideways'; choose online (on-line), minibatch (mini-batch) or offline " \
           "(off-line, batch)" in err
    code, out, _ = run(capsys, "train", "--help")
    assert "on-line" in out and "mini-batch" in out and "off-line" in out and "full-batch" in out


def test_a_resumed_run_keeps_saving_to_its_checkpoint(capsys, tmp_path):
    import minigrad as mg

    path = str(tmp_path / "b.npz")
    assert run(capsys, "train", "--data", "iris", "--epochs", "2", "--save", path, "--no-progress")[0] == 0
    code, out, _ = run(capsys, "train", "--resume", path, "--epochs", "4", "--no-progress")
    assert code == 0 and out.rstrip().endswith(f"checkpoint: {path}")
    assert mg.load(path)["epoch"] == 4  # before: left at epoch 2, silently
    other = str(tmp_path / "c.npz")
    code, _, _ = run(capsys, "train", "--resume", path, "--epochs", "5", "--save", other, "--no-progress")
    assert code == 0 and mg.load(other)["epoch"] == 5 and mg.load(path)["epoch"] == 4


def test_from_the_folder_above_a_clone_one_line_says_what_happened(tmp_path):
    (tmp_path / "minigrad").symlink_to(ROOT, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", "minigrad", "train"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == ("minigrad: this is the folder above the clone, so Python took the clone's "
                                   "folder for the package; cd into the clone (cd minigrad) and run the "
                                   "command again")


def test_a_zero_learning_rate_keeps_the_initial_weights_as_everywhere(capsys):
    """One rule for lr: [0, inf), as the optimizers and the estimators take it."""
    code, out, _ = run(capsys, "train", "--data", "iris", "--epochs", "2", "--lr", "0", "--no-progress")
    losses = [line.split("loss ")[1].split()[0] for line in epoch_lines(out)]
    assert code == 0 and "Adam lr 0," in out and len(set(losses)) == 1


def test_train_health_draws_the_record_and_the_checkpoint_keeps_only_the_lists(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    import minigrad as mg

    png, ckpt = tmp_path / "health.png", tmp_path / "run.npz"
    code, out, _ = run(capsys, "train", "--data", "iris", "--epochs", "2", "--health", str(png),
                       "--save", str(ckpt), "--no-progress")
    assert code == 0 and out.rstrip().endswith(f"health: {png}") and png.stat().st_size > 10_000
    assert "health" not in mg.load(str(ckpt))["history"]
    code, _, _ = run(capsys, "train", "--resume", str(ckpt), "--epochs", "3", "--no-progress")
    assert code == 0  # the checkpoint of a --health run resumes
    code, out, _ = run(capsys, "train", "--resume", str(ckpt), "--epochs", "5", "--health", str(png),
                       "--no-progress")
    assert code == 0 and out.rstrip().endswith("(epochs 4-5: a checkpoint keeps no health record, so a "
                                               "resumed run draws its own epochs)")


def test_trajectories_gif_writes_an_animation(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    gif = tmp_path / "paths.gif"
    code, out, _ = run(capsys, "trajectories", "--optimizers", "sgd,radam", "--steps", "12", "--gif", str(gif))
    assert code == 0 and out.rstrip().endswith(f"animation: {gif}")
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")


# ---------------------------------------------------------------- corners an audit found

@pytest.mark.parametrize("argv, words", [
    (["train", "--data", "iris", "--epochs", "2", "--resume", ""], "--resume needs a file name, got an empty one"),
    (["train", "--data", "iris", "--epochs", "1", "--save", ""], "--save needs a file name, got an empty one"),
    (["--data", "iris", "train"], "--data goes after the command, e.g. python -m minigrad train --data"),
    (["--epochs", "3"], "--epochs goes after the command"),
    (["train", "--epoch", "2"], "unrecognized arguments: --epoch 2"),
    (["compare", "--lr", "sgd=0.1,sgd=0.2"], "sgd is given two rates in 'sgd=0.1,sgd=0.2'"),
    (["trajectories", "--start", "2e6,0"], r"start must lie within \|x\|, \|y\| < 1e5"),
    (["trajectories", "--steps", "100000000"], r"--steps: expected an integer in \[1, 100,000\]"),
])
def test_an_empty_path_a_flag_before_the_command_an_abbreviation_or_a_repeat_is_one_line_error(
        capsys, tmp_path, monkeypatch, argv, words):
    """Before: --resume "" trained from scratch, --epoch read as --epochs, --data before the command
    gave "invalid choice: 'iris'", and a start of 2e6 reported converging runs as diverged at step 1."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and re.search(words, err) and len(err.strip().splitlines()) == 1, err
    assert "epoch 1" not in out and list(tmp_path.iterdir()) == []


def test_a_memory_error_in_trajectories_names_its_own_flag(capsys, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(minigrad.viz, "trajectories_command", out_of_memory)
    code, _, err = run(capsys, "trajectories", "--steps", "5")
    assert code == 2 and "try fewer --steps" in err and "--hidden" not in err


def test_compare_plot_names_a_run_that_diverged_before_its_first_epoch_ended(tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.cli import compare as cli
    fig = cli._plot_compare({"SGD (diverged)": [], "Adam": [1.0, 0.9]}, tmp_path / "c.png", "early")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["SGD (diverged in epoch 1: nothing to draw)", "Adam"]
