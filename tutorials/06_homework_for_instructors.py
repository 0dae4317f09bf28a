# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Homework, for instructors
#
# minigrad's own source is the answer key of its homework. Chosen function
# bodies (a backward pass, the topological sort, an optimizer's `_update`)
# are framed by two marker lines; a **student copy** of the tree replaces each
# framed body by `raise NotImplementedError`, and a **grader** runs the
# instructor's tests for those exercises against the student's copy and
# scores each one.
#
# This notebook walks through the three steps: marking exercises, making a
# student copy, grading it, with a simulated student who gets one exercise
# right and one wrong. It needs a minigrad *source tree* (this repository,
# installed with `pip install -e .` or on the path), because the grader runs
# the tests in its `tests/` folder. It follows the instructor's guide,
# [`docs/homework.md`](../docs/homework.md), step by step.

# %%
# %matplotlib inline
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
import numpy as np
from IPython.display import Markdown, display

import minigrad as mg
from minigrad import homework

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # the test suite sets this; grading takes seconds either way


def show(obj):
    """Show the source of a minigrad object (read with inspect, so text and code never drift apart)."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


def show_text(text, language="python"):
    display(Markdown(f"```{language}\n{text}\n```"))


ROOT = Path(mg.__file__).resolve().parent.parent     # the repository: minigrad/ and tests/
PACKAGE = ROOT / "minigrad"
assert (ROOT / "tests" / "homework").is_dir(), f"{ROOT} is not a minigrad source tree (no tests/homework)"

# %% [markdown]
# ## 1. An exercise is a function body between two markers
#
# Look at `tanh`'s backward pass in `minigrad/ops.py`:

# %%
show(mg.ops.Tanh)

# %% [markdown]
# The lines `# BEGIN SOLUTION ops.tanh_backward` and `# END SOLUTION` frame
# the body. What stays outside is the task: the signature, the docstring
# with the formula ($\partial L/\partial x = g\,(1 - y^2)$), and the array
# `forward` saved for it (`self.y`). The id names the file and the function.
# Tests that grade an exercise carry `@pytest.mark.exercise("<id>")`. The
# tanh tests come from a table of cases; here is the first test written out
# by hand, for `ops.exp_backward` (its id is held in the constant `EXP`):

# %%
test_source = (ROOT / "tests" / "homework" / "test_ex_ops.py").read_text()
start = test_source.index('@pytest.mark.exercise')
show_text(test_source[start:test_source.index("\n\n\n", start)])

# %% [markdown]
# `homework.scan` finds every region in a tree, in the order of the
# curriculum `homework.EXERCISES`. The curriculum goes from easy to hard, in
# four levels (`homework.LEVELS`): single rules first (a derivative, an SGD
# step; a rule may take up to three lines), then a few lines with state or
# an axis, then the engine, and last the algorithms from papers and gradients of gradients. Each exercise's
# tests use only the exercises before it, so students can go top to bottom.

# %%
regions = homework.scan(PACKAGE)
print(f"{len(regions)} exercises in {len({r.path for r in regions})} files")
for name, what, ids in homework.LEVELS:
    print(f"{name}: {what}")
    print("   ", ", ".join(ids))
assert [r.id for r in regions] == homework.find_exercises(PACKAGE)
assert set(homework.EXERCISES) <= {r.id for r in regions}

# %% [markdown]
# A picture of the curriculum: one bar per exercise, its length the number
# of lines the student writes, coloured by level.

# %%
level_of = {ex: k for k, (_, _, ids) in enumerate(homework.LEVELS) for ex in ids}
colors = ["C2", "C0", "C1", "C3", "C7"]                # the last for an exercise outside the levels
lines = [sum(1 for line in r.body if line.strip()) for r in regions]
level = [level_of.get(r.id, len(homework.LEVELS)) for r in regions]

fig, ax = plt.subplots(figsize=(7, 0.28 * len(regions) + 1))
ax.barh(range(len(regions)), lines, color=[colors[k] for k in level])
ax.set_yticks(range(len(regions)), [r.id for r in regions], fontsize=8)
ax.invert_yaxis()                                   # the curriculum reads top to bottom
ax.legend(handles=[Patch(color=colors[k], label=f"{k + 1}. {name}")
                   for k, (name, _, _) in enumerate(homework.LEVELS)], fontsize=8, loc="center right")
ax.set(xlabel="lines of code in the solution", title="The homework curriculum, in order")
ax.grid(True, axis="x", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The student copy
#
# `homework.student_copy(src, dst, exercises=None)` copies a tree and
# replaces the bodies of the chosen exercises (default: all) by a stub. The
# marker lines stay, so the student sees where to write; everything outside
# the regions is copied byte for byte; caches, compiled files and `.git`
# (which would hold the solutions) are left out.
#
# Copy the **whole repository**, as `docs/homework.md` does, not the
# `minigrad/` folder alone: the copy then holds `tests/` and its
# `conftest.py`, so students can run `pytest --exercise <id>` on their own
# work, and the notebooks and docs that go with it.
#
# Our first homework: three exercises of the first level, two op
# derivatives and the momentum update of SGDM.

# %%
def fresh(path):
    """``path``, with what an earlier run of the cell left there removed: each cell can run again."""
    shutil.rmtree(path, ignore_errors=True)
    return path


workdir = Path(tempfile.mkdtemp(prefix="minigrad_homework_"))
student = workdir / "student"                       # the student's copy of the repository
assignment = ["ops.exp_backward", "ops.tanh_backward", "optim.sgdm_update"]
stripped = homework.student_copy(ROOT, student, exercises=assignment)
print("stripped:", stripped)
assert sorted(stripped) == sorted(assignment)
assert (student / "tests" / "conftest.py").is_file() and (student / "docs" / "homework.md").is_file()

copy_ops = (student / "minigrad" / "ops.py").read_text()
at = copy_ops.index("class Tanh")
show_text(copy_ops[at:copy_ops.index("class Sigmoid", at)].rstrip())

# %% [markdown]
# Checks an instructor should make before handing a copy out (the project's
# own tests make them for every exercise): the solution text is gone, a file
# without exercises is identical, and the stub raises.

# %%
tanh_key = next(r for r in regions if r.id == "ops.tanh_backward")   # the answer key's region
assert all(line.strip() not in copy_ops for line in tanh_key.body if line.strip())
assert (student / "minigrad" / "datasets.py").read_bytes() == (PACKAGE / "datasets.py").read_bytes()
assert (student / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
assert 'raise NotImplementedError("exercise ops.tanh_backward")' in copy_ops
assert all(r.stubbed == (r.id in assignment) for r in homework.scan(student / "minigrad"))

# %% [markdown]
# From the command line, in the repository's top folder, the same is
#
# ```bash
# python -m minigrad student-copy . /tmp/student --exercise ops.exp_backward \
#     --exercise ops.tanh_backward --exercise optim.sgdm_update
# ```
#
# (without `--exercise`, every exercise is stripped). A student runs the
# tests of one exercise in the copy with
# `python -m pytest --exercise ops.tanh_backward`. Here it is, run in our
# copy (on `tests/homework` only, which is quicker to collect): every test
# of the untouched exercise fails at its stub.

# %%
env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # the copy's own minigrad, nothing else
run = subprocess.run([sys.executable, "-m", "pytest", "tests/homework", "--exercise", "ops.tanh_backward",
                      "-q", "--tb=line", "-p", "no:cacheprovider"],
                     cwd=student, capture_output=True, text=True, env=env)
print(run.stdout.strip().splitlines()[-1])
assert run.returncode == 1 and " failed" in run.stdout and " passed" not in run.stdout
assert 'NotImplementedError: exercise ops.tanh_backward' in run.stdout

# %% [markdown]
# ## 3. Grading
#
# `homework.grade(path, exercises=None)` runs the **instructor's** tests of
# the chosen exercises (from the `tests/` folder next to the package the
# grader is imported from, never the student's own tests) against the copy
# at `path`, in a subprocess whose import path is the copy, with a time
# limit per test. It checks that the tests really imported the copy's
# minigrad, so an installed original cannot make empty stubs pass. The
# report maps each exercise to `(passed, total)` and a score.
#
# The untouched copy first: every test of the three exercises fails.

# %%
report = homework.grade(student, exercises=assignment)
print(report.table())
assert report.passed == 0 and report.total > 0 and set(report) == set(assignment)
before = {ex: report[ex].score for ex in assignment}

# %% [markdown]
# Now a simulated student. The exponential is right (the student's answer is
# the answer key's body, read from the instructor's tree, so that this
# notebook holds no solution a student could find in their copy); tanh
# forgets the square, a classic slip ($1 - y$ instead of $1 - y^2$); SGDM
# stays untouched. The slip is in the grader's **catalogue of typical
# mistakes** (`homework.MISTAKES`): a test aimed at it fails with a hint,
# and the table shows the hint next to the exercise.

# %%
key = {r.id: r for r in regions}   # the answer key: the instructor's regions


def answer(root, ex_id, body):
    """Replace the stub line of exercise `ex_id` in the copy at `root` by `body`.

    `body` is one line of code (written at the stub's indentation) or the
    lines of a region of the answer key (with their own indentation).
    """
    stub = f'raise NotImplementedError("exercise {ex_id}")'
    for path in (root / "minigrad").rglob("*.py"):
        lines = path.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.strip() == stub:
                indent = line[:len(line) - len(line.lstrip())]
                new = [indent + body] if isinstance(body, str) else list(body)
                lines[i:i + 1] = [row + "\n" for row in new]
                path.write_text("".join(lines))
                return path
    raise ValueError(f"no stub for {ex_id}")


homework.student_copy(ROOT, fresh(student), exercises=assignment)
answer(student, "ops.exp_backward", key["ops.exp_backward"].body)
answer(student, "ops.tanh_backward", "return g * (1 - self.y)")        # wrong: 1 - y, not 1 - y²

report = homework.grade(student, exercises=assignment)
print(report.table())
after = {ex: report[ex].score for ex in assignment}
assert after["ops.exp_backward"] == 1.0
assert after["ops.tanh_backward"] < 1.0 and after["optim.sgdm_update"] == 0.0
assert report.notes()["ops.tanh_backward"] == [homework.catalogue.message("tanh-no-square")]

# %% [markdown]
# Which tests failed, and why? `report.tests` maps every test to its
# exercise, its outcome and the first line of its message. The tests that
# compare with finite differences only say that the numbers differ; the
# targeted test says what the student probably did.

# %%
for test, (ex_id, outcome, message) in report.tests.items():
    if ex_id == "ops.tanh_backward":
        print(f"{outcome:7} {test.split('::')[-1]:55} {message[:70]}")

# %% [markdown]
# A picture for the grade book: the score of each exercise before and after.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
positions = np.arange(len(assignment))
for shift, scores, color, label in ((-0.2, before, "0.6", "untouched copy"),
                                    (0.2, after, "C0", "after the student's answers")):
    bars = ax.barh(positions + shift, [scores[ex] for ex in assignment], height=0.4, color=color, label=label)
    ax.bar_label(bars, [f"{scores[ex]:.0%}" for ex in assignment], padding=3, fontsize=8)
ax.set_yticks(positions, assignment)
ax.invert_yaxis()
ax.set(xlim=(0, 1.12), xlabel="score (fraction of the exercise's tests passed)",
       title=f"total score {100 * report.score:.0f}%")
ax.legend(fontsize=8, loc="lower right")
ax.grid(True, axis="x", alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# The same from the command line, with the exit status and one line per
# exercise:
#
# ```bash
# python -m minigrad grade /tmp/student --exercise ops.exp_backward --exercise ops.tanh_backward
# ```
#
# The catalogue holds at least one typical mistake for every exercise; the
# instructor's guide lists them all. Here are the ones of the assignment:

# %%
for m in homework.MISTAKES:
    if m.exercise in assignment:
        print(f"{m.exercise:20} [{m.slug}] {m.hint}")
assert {m.exercise for m in homework.MISTAKES} == set(homework.EXERCISES)

# %% [markdown]
# **Assign in curriculum order.** The tests of an exercise may use the
# exercises before it: `function.toposort`'s tests build graphs with
# `function.apply`. A copy that strips both, whose student answered
# toposort (rightly, from the answer key) but not yet apply, scores 0 on
# toposort, and the table says why, naming the exercise not done yet:

# %%
order_copy = workdir / "in_order"
homework.student_copy(ROOT, fresh(order_copy), exercises=["function.apply", "function.toposort"])
answer(order_copy, "function.toposort", key["function.toposort"].body)
waiting = homework.grade(order_copy, exercises=["function.toposort"])
print(waiting.table())
assert waiting["function.toposort"].passed == 0
assert waiting.notes()["function.toposort"][0].endswith("stopped at function.apply, not done yet")

# %% [markdown]
#
# NOTE: the grader keeps honest mistakes from passing (a stub that hangs, a
# copy that does not import, an installed minigrad shadowing the copy); it
# is not a sandbox. The student's code runs in the same process as the
# tests; review suspicious submissions.
#
# ## 4. Marking an exercise of your own
#
# Any function body of any `.py` file can become an exercise: put
# `# BEGIN SOLUTION <id>` on the line after the docstring and
# `# END SOLUTION` after the body, both at the body's indentation. Here, in
# a small module of our own:

# %%
course = fresh(workdir / "course")
course.mkdir()
(course / "activations.py").write_text('''\
import numpy as np


def softplus_backward(x, g):
    """dL/dx = g * sigmoid(x) for y = log(1 + e^x)."""
    # BEGIN MARK activations.softplus_backward
    return g / (1 + np.exp(-x))
    # END MARK
'''.replace("MARK", "SOLUTION"))   # written in two pieces, or this notebook would hold a marker itself
print([r.id for r in homework.scan(course)])
copied = homework.student_copy(course, fresh(workdir / "course_student"))
show_text((workdir / "course_student" / "activations.py").read_text())
assert copied == ["activations.softplus_backward"]

# %% [markdown]
# Code elsewhere can give an exercise away too: a NumPy reference in a test,
# a benchmark's hand-written version, a figure's formula. Frame its body with
# `# BEGIN SPOILER <id> [<id> ...]` and `# END SPOILER`: the copy withholds
# it whenever it strips one of those exercises, and code that needs it fails
# there with "withheld from the student copy". minigrad's own tests,
# benchmark and figures mark theirs this way:

# %%
spoilers = homework.find_spoilers(ROOT)
for s in spoilers:
    where = f"{Path(s.path).relative_to(ROOT)}:" + (f"cell {s.cell + 1}:" if s.cell is not None else "") + str(s.begin)
    print(f"  {where:48} gives away {', '.join(s.ids)}")
assert {ex for s in spoilers for ex in s.ids} <= set(homework.EXERCISES)

# %% [markdown]
# Markers are checked strictly: a typo, a missing `END`, nested or duplicate
# ids raise `homework.HomeworkError` naming the file and line, so a mistake
# can never leave a solution in the student copy.

# %%
(course / "broken.py").write_text("def f(x):\n    # BEGIN SOLUTION broken.f\n    return x\n")
try:
    homework.student_copy(course, workdir / "never_written")
    error = ""
except homework.HomeworkError as e:
    error = str(e)
print(error)
assert "broken.py" in error and not (workdir / "never_written").exists()

# %% [markdown]
# ## Exercises
#
# Each exercise leaves a blank for your answer (a `None` to replace), then
# gives the solution in the next cell, which checks your answer once you
# have given one.
#
# **Exercise 1.** How many exercises does the curriculum hold, and how many
# of them are optimizer updates (ids starting with `optim.` and ending with
# `_update`)? Count them from `homework.EXERCISES` in the cell below.

# %%
your_counts = None         # your answer: (exercises, optimizer updates)

# %% [markdown]
# *Solution.*

# %%
n_exercises = len(homework.EXERCISES)
n_updates = sum(ex.startswith("optim.") and ex.endswith("_update") for ex in homework.EXERCISES)
print(n_exercises, "exercises,", n_updates, "optimizer updates")
assert n_exercises == len(homework.find_exercises(PACKAGE)) and n_updates == 7
if your_counts is not None:
    assert tuple(your_counts) == (n_exercises, n_updates), f"your answer {your_counts}"
    print("right")

# %% [markdown]
# **Exercise 2.** Fix the simulated student's tanh (the square!) and answer
# the SGDM exercise ($v \leftarrow \lambda v - \eta g$, $\theta \leftarrow
# \theta + v$; `theta`, `g`, `state["v"]` and `group["momentum"]`,
# `group["lr"]` are at hand, see notebook 04), then grade again: the score
# should be 100%. Write your two answers in the cell below; left at `None`,
# the solution cell takes them from the answer key (so that no solution
# ships in this notebook).

# %%
your_tanh = None           # your answer: the corrected line, e.g. "        return ..." (8 spaces)
your_sgdm = None           # your answer: a list of lines of SGDM's update, each with its indentation

# %% [markdown]
# *Solution.* Put the answers in and grade again:

# %%
fixed = workdir / "student_fixed"
homework.student_copy(ROOT, fresh(fixed), exercises=assignment)
answer(fixed, "ops.exp_backward", key["ops.exp_backward"].body)
answer(fixed, "ops.tanh_backward", your_tanh.strip() if your_tanh is not None else key["ops.tanh_backward"].body)
answer(fixed, "optim.sgdm_update", your_sgdm if your_sgdm is not None else key["optim.sgdm_update"].body)

final = homework.grade(fixed, exercises=assignment)
print(final.table())
assert final.score == 1.0

# %% [markdown]
# **Exercise 3.** A student copy must never contain a solution. Check, for
# every exercise of the copy's curriculum, that its stripped body does not
# appear in a full student copy. (Make the copy in a new folder.) One-line
# bodies are the exception to look at: a one-line derivative may also
# appear, rightly, elsewhere in the source (an example op in a docstring,
# say), and gives nothing away that the derivative in the exercise's own
# docstring does not. (The project's meta-test
# `test_no_file_of_the_student_copy_holds_a_solution_line` makes the strict
# check for every file of the repository's copy: code, tests, docs,
# benchmarks and these notebooks.)

# %%
# your check here: make the copy, then look for each region's body in it


# %% [markdown]
# *Solution.* One copy, all its `.py` files read as one text, and each
# region's body looked for in it:

# %%
full_copy = workdir / "full_copy"
homework.student_copy(ROOT, fresh(full_copy))
copy_text = "\n".join(p.read_text(encoding="utf-8") for p in full_copy.rglob("*.py"))
found = {r.id: len(r.body) for r in regions if "\n".join(r.body).strip() in copy_text}
print("bodies found verbatim in the copy (id: lines):", found)
assert all(lines == 1 for lines in found.values()) and len(regions) == len(homework.EXERCISES)

# %% [markdown]
# From the chain rule (01) through the engine (02), training (03), the eight
# optimizers (04) and the training regimes (05), we have come to using all of
# it as homework (06). Tutorials 07 (the lecture's claims, tested), 08
# (curvature) and 09 (seeing inside a graph and a training run) go further.
