"""Meta-tests of the homework tooling: markers, the student copy, the grader, the curriculum,
the catalogue of mistakes.

The slow tests grade real stripped copies of this repository in subprocesses:
for every exercise, a copy with only that exercise stripped must fail all of
its tests, pass every test of the exercises before it, and still import; for
every catalogued mistake, a copy holding that wrong answer must fail with its
hint, and no other, next to the exercise in the grade table.
"""

import ast
import collections
import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from minigrad import homework
from minigrad.homework import commands, copy, grading, markers, watchdog
from minigrad.homework import (EXERCISES, MISTAKES, GradingError, HomeworkError, find_exercises, grade,
                               scan, student_copy)
from minigrad.homework.catalogue import mistakes_in

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests" / "homework"
# Marker lines are assembled here so that this file holds no marker of its own.
B, E = "# BEGIN " + "SOLUTION", "# END " + "SOLUTION"
BS, ES = "# BEGIN " + "SPOILER", "# END " + "SPOILER"

IS_STUDENT_COPY = any(r.stubbed for r in scan(REPO / "minigrad"))
needs_solutions = pytest.mark.skipif(IS_STUDENT_COPY, reason="this tree is a student copy")


def write_tree(root, files):
    """Create ``files`` ({relative path: text or bytes}) under ``root``."""
    for rel, content in files.items():
        path = Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return Path(root)


def lines(*rows):
    return "".join(row + "\n" for row in rows)


SQUARE = lines(
    "def square(x):",
    '    """Return x²."""',
    f"    {B} demo.square",
    "    y = x * x",
    "    return y",
    f"    {E}",
    "",
    "CONSTANT = 3",
)


# ================================================================ the curriculum

def test_the_curriculum_is_every_marked_exercise_in_order():
    assert len(EXERCISES) >= 18 and len(set(EXERCISES)) == len(EXERCISES)
    assert find_exercises(REPO / "minigrad") == list(EXERCISES)
    assert EXERCISES == tuple(ex for _, _, ids in homework.LEVELS for ex in ids)
    engine = [EXERCISES.index(ex) for ex in ("function.unbroadcast", "function.apply", "function.toposort",
                                             "function.backward_pass")]
    assert engine == sorted(engine), "the engine's exercises in the order the engine chapter builds them"


@needs_solutions
def test_the_levels_go_from_easy_to_hard():
    # measured crudely, by the lines of the answers: level 1 is one-liners, each level longer on average
    lines = {r.id: sum(1 for row in r.body if row.strip() and not row.strip().startswith("#"))
             for r in scan(REPO / "minigrad")}
    assert len(homework.LEVELS) == 4
    assert max(lines[ex] for ex in homework.LEVELS[0][2]) <= 3
    means = [sum(lines[ex] for ex in ids) / len(ids) for _, _, ids in homework.LEVELS]
    assert means[0] < means[1] < means[2] and min(lines[ex] for ex in homework.LEVELS[3][2]) >= 10, means


def test_every_exercise_has_tests_and_every_test_a_known_exercise():
    expected = grading._expected_tests(REPO / "tests")
    counts = {ex_id: 0 for ex_id in EXERCISES}
    for nodeid, ex_id in expected.items():
        assert ex_id in counts, f"{nodeid} grades an unknown exercise {ex_id!r}"
        counts[ex_id] += 1
    thin = {ex_id: n for ex_id, n in counts.items() if n < 3}
    assert not thin, f"exercises with fewer than 3 tests: {thin}"


def test_markers_sit_below_a_docstring_around_a_whole_body():
    for r in scan(REPO / "minigrad"):
        path = Path(r.path)
        text = path.read_text(encoding="utf-8").split("\n")
        after = text[r.end] if r.end < len(text) else ""
        # the region ends its function: what follows is blank or less indented
        assert not after.strip() or len(after) - len(after.lstrip()) < len(r.indent), \
            f"{r.path}:{r.end}: code after END SOLUTION in the same body"
        before = text[r.begin - 2].strip()
        assert before.endswith(('"""', "'''")) or before.startswith("def "), \
            f"{r.path}:{r.begin}: BEGIN SOLUTION is not the first line of a body"


def test_no_answer_is_one_call_of_a_helper_the_copy_keeps():
    # The student copy keeps every function outside the exercises: an answer that is one call of
    # such a helper gives itself away (`return _expand(g, ...)` once scored ops.sum_backward 14/14).
    found = []
    for r in scan(REPO / "minigrad"):
        code = [row.strip() for row in r.body if row.strip() and not row.strip().startswith("#")]
        if len(code) != 1:
            continue
        statement = ast.parse(code[0]).body[0]
        call = getattr(statement, "value", None)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            module = ast.parse(Path(r.path).read_text(encoding="utf-8"))
            helpers = {node.name for node in module.body if isinstance(node, ast.FunctionDef)}
            if call.func.id in helpers:
                found.append(f"{r.id}: its answer is one call of {call.func.id}, which the copy keeps")
    assert not found, "\n".join(found)


def test_mean_backward_waits_for_the_sum_exercise_in_the_copy(full_copy):
    # Mean's gradient is Sum's of g / n: in the copy it must not answer ops.sum_backward for it.
    out = subprocess.run([sys.executable, "-c", "import numpy as np; from minigrad import ops\n"
                          "node = ops.Mean(); node.forward(np.ones((2, 3)), axis=1)\n"
                          "try:\n    node.backward(np.ones(2))\n"
                          "except NotImplementedError as e:\n    print(e)"],
                         cwd=full_copy, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(full_copy)}, check=True)
    assert out.stdout.strip() == "exercise ops.sum_backward", out.stdout + out.stderr


def _docstrings_around(region):
    """The docstrings of the function that ``region`` is the body of, and of its class (if any)."""
    tree = ast.parse(Path(region.path).read_text(encoding="utf-8"))
    found = []
    def visit(node, outer):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                here = outer + [child]
                if isinstance(child, ast.FunctionDef) and child.lineno < region.begin <= child.end_lineno:
                    found.extend(ast.get_docstring(n) or "" for n in here)
                visit(child, here)
    visit(tree, [])
    return "\n".join(found)


def test_each_docstring_states_the_state_its_answer_writes():
    # A student writes the body from the docstrings alone: what the answer keeps on the optimizer
    # (self._pp) or in a parameter's state (state["v"]) must be named there, and a step count
    # that the answer advances must say so (t ← t + 1).
    missing = []
    for r in scan(REPO / "minigrad"):
        body, docs = "\n".join(r.body), _docstrings_around(r)
        assert docs, f"{r.id}: no docstring found around {r.path}:{r.begin}"
        for name in sorted(set(re.findall(r"\b(self\.\w+|state\[\"\w+\"\])\s*[-+*/]?=(?!=)", body))):
            said = "t ← t + 1" if name == 'state["t"]' else name
            if said not in docs:
                missing.append(f"{r.id}: the answer writes {name}, its docstrings never say {said!r}")
    assert not missing, "\n".join(missing)


# ================================================================ markers

BAD_MARKERS = [  # id, files, where the error is, words of the message
    ("begin-without-end", {"m.py": lines("def f():", f"    {B} a", "    return 1")},
     "m.py:2", "no END"),
    ("end-without-begin", {"m.py": lines("def f():", "    return 1", f"    {E}")},
     "m.py:3", "without a BEGIN"),
    ("nested", {"m.py": lines("def f():", f"    {B} a", f"    {B} b", "    return 1", f"    {E}",
                              f"    {E}")},
     "m.py:3", "cannot nest"),
    ("duplicate-in-a-file", {"m.py": lines("def f():", f"    {B} a", "    return 1", f"    {E}",
                                           "def g():", f"    {B} a", "    return 2", f"    {E}")},
     "m.py:6", "duplicate exercise id 'a'"),
    ("duplicate-across-files", {"a.py": lines("def f():", f"    {B} same", "    return 1", f"    {E}"),
                                "b.py": lines("def g():", f"    {B} same", "    return 2", f"    {E}")},
     "b.py:2", "already used at"),
    ("no-id", {"m.py": lines("def f():", f"    {B}", "    return 1", f"    {E}")},
     "m.py:2", "malformed marker"),
    ("no-space", {"m.py": lines("def f():", "    #BEGIN SOLUTION a", "    return 1", f"    {E}")},
     "m.py:2", "malformed marker"),
    ("lower-case", {"m.py": lines("def f():", "    # begin solution a", "    return 1", f"    {E}")},
     "m.py:2", "malformed marker"),
    ("trailing-text", {"m.py": lines("def f():", f"    {B} a", "    return 1", f"    {E} here")},
     "m.py:4", "malformed marker"),
    ("end-indented-differently", {"m.py": lines("def f():", f"    {B} a", "    return 1", f"{E}")},
     "m.py:4", "must match"),
    ("mid-expression", {"m.py": lines("def f():", "    return (1 +", f"    {B} a", "        2)",
                                      f"    {E}")},
     "m.py:", "not valid Python"),
    ("end-spoiler-for-a-solution", {"m.py": lines("def f():", f"    {B} a", "    return 1", f"    {ES}")},
     "m.py:4", "END SPOILER without a BEGIN SPOILER"),
    ("spoiler-inside-a-solution", {"m.py": lines("def f():", f"    {B} a", f"    {BS} a", "    return 1",
                                                 f"    {ES}", f"    {E}")},
     "m.py:3", "cannot nest"),
    ("spoiler-without-an-id", {"m.py": lines("def f():", f"    {BS}", "    return 1", f"    {ES}")},
     "m.py:2", "malformed marker"),
    ("spoiler-of-no-exercise", {"m.py": lines("def f():", f"    {B} a", "    return 1", f"    {E}"),
                                "ref.py": lines("def g():", f"    {BS} a b", "    return 1", f"    {ES}")},
     "ref.py:2", "names b, which no exercise"),
    ("solution-in-a-notebook", {"n.ipynb": '{"cells": [{"cell_type": "code", "source": ["def f():\\n", '
                                           f'"    {B} a\\n", "    return 1\\n", "    {E}\\n"]}}]}}'},
     "n.ipynb (cell 1):2", "a notebook may hold spoilers"),
]


@pytest.mark.parametrize("files, where, words", [c[1:] for c in BAD_MARKERS],
                         ids=[c[0] for c in BAD_MARKERS])
def test_bad_markers_are_refused_with_file_and_line(tmp_path, files, where, words):
    src = write_tree(tmp_path / "src", files)
    with pytest.raises(HomeworkError) as info:
        student_copy(src, tmp_path / "dst")
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert where in message and words in message, message
    assert not (tmp_path / "dst").exists(), "a refused copy wrote something"


def test_find_exercises_orders_by_curriculum_then_by_file(tmp_path):
    src = write_tree(tmp_path, {
        "b.py": lines("def f():", f"    {B} zzz.first_in_b", "    return 1", f"    {E}"),
        "a.py": lines("def f():", f"    {B} function.apply", "    return 1", f"    {E}",
                      "def g():", f"    {B} ops.tanh_backward", "    return 1", f"    {E}",
                      "def h():", f"    {B} mmm.last_in_a", "    return 1", f"    {E}"),
    })
    assert find_exercises(src) == ["ops.tanh_backward", "function.apply", "mmm.last_in_a",
                                   "zzz.first_in_b"]


# ================================================================ the student copy

def test_student_copy_replaces_each_body_by_a_stub_at_its_indentation(tmp_path):
    src = write_tree(tmp_path / "src", {"pkg/demo.py": SQUARE})
    assert student_copy(src, tmp_path / "dst") == ["demo.square"]
    assert (tmp_path / "dst/pkg/demo.py").read_text() == lines(
        "def square(x):",
        '    """Return x²."""',
        f"    {B} demo.square",
        '    raise NotImplementedError("exercise demo.square")',
        f"    {E}",
        "",
        "CONSTANT = 3",
    )


def test_student_copy_keeps_tabs_crlf_and_every_other_byte(tmp_path):
    crlf = lines("class A:", "\tdef f(self):", f"\t\t{B} crlf.f", "\t\treturn 1", f"\t\t{E}",
                 "# café ☕").replace("\n", "\r\n").encode("utf-8")
    binary = bytes(range(256))
    src = write_tree(tmp_path / "src", {"crlf.py": crlf, "data.bin": binary,
                                         "notes.md": f"{B} x\nnot a .py file: left alone\n"})
    student_copy(src, tmp_path / "dst")
    want = lines("class A:", "\tdef f(self):", f"\t\t{B} crlf.f",
                 '\t\traise NotImplementedError("exercise crlf.f")', f"\t\t{E}",
                 "# café ☕").replace("\n", "\r\n").encode("utf-8")
    assert (tmp_path / "dst/crlf.py").read_bytes() == want
    assert (tmp_path / "dst/data.bin").read_bytes() == binary
    assert (tmp_path / "dst/notes.md").read_text() == (src / "notes.md").read_text()


def test_student_copy_leaves_out_caches_history_and_build_products(tmp_path):
    src = write_tree(tmp_path / "src", {
        "pkg/demo.py": SQUARE,
        "pkg/__pycache__/demo.cpython-311.pyc": b"compiled solution",
        "pkg/old.pyc": b"compiled solution",
        ".git/objects/ab": b"history",
        "minigrad.egg-info/PKG-INFO": "x",
        ".pytest_cache/v": "x",
        ".hypothesis/db": "x",
        "build/lib/pkg/demo.py": SQUARE,   # would be a duplicate id, and a solution
        "dist/pkg.whl": b"zip",
        "docs/build/keep.txt": "only the top-level build/ is skipped",
        "venv/pyvenv.cfg": "home = /usr/bin",   # a virtual environment, by any name
        "venv/lib/python3.11/site-packages/pkg/demo.py": SQUARE,
        "env2/pyvenv.cfg": "home = /usr/bin",
        "env2/bin/python": b"binary",
    })
    student_copy(src, tmp_path / "dst")
    copied = sorted(p.relative_to(tmp_path / "dst").as_posix()
                    for p in (tmp_path / "dst").rglob("*") if p.is_file())
    assert copied == [homework.ASSIGNMENT, "docs/build/keep.txt", "pkg/demo.py"]


def test_student_copy_of_chosen_exercises_only(tmp_path):
    two = SQUARE + lines("def cube(x):", '    """x³."""', f"    {B} demo.cube", "    return x ** 3",
                         f"    {E}")
    src = write_tree(tmp_path / "src", {"demo.py": two})
    assert student_copy(src, tmp_path / "dst", exercises=["demo.cube"]) == ["demo.cube"]
    text = (tmp_path / "dst/demo.py").read_text()
    assert "y = x * x" in text and "x ** 3" not in text
    with pytest.raises(HomeworkError, match="demo.square, demo.cube"):
        student_copy(src, tmp_path / "other", exercises=["demo.nope"])
    assert not (tmp_path / "other").exists()


def test_a_spoiler_is_withheld_with_any_exercise_it_names(tmp_path):
    two = SQUARE + lines("def cube(x):", '    """x³."""', f"    {B} demo.cube", "    return x ** 3",
                         f"    {E}")
    reference = lines("def reference(x):", '    """Both answers, written out."""', f"    {BS} demo.square demo.cube",
                      "    return x * x, x ** 3", f"    {ES}", "", "def other():", f"    {BS} demo.cube",
                      "    return 27", f"    {ES}")
    src = write_tree(tmp_path / "src", {"demo.py": two, "tests/test_demo.py": reference})
    assert [s.ids for s in homework.find_spoilers(src)] == [("demo.square", "demo.cube"), ("demo.cube",)]
    student_copy(src, tmp_path / "square", exercises=["demo.square"])
    text = (tmp_path / "square/tests/test_demo.py").read_text()
    assert "x * x, x ** 3" not in text and "return 27" in text   # the first names demo.square; the second not
    assert 'raise NotImplementedError("withheld from the student copy: it gives away demo.square, demo.cube")' in text
    student_copy(src, tmp_path / "all")
    stubbed = homework.find_spoilers(tmp_path / "all")
    assert [s.stubbed for s in stubbed] == [True, True]
    student_copy(tmp_path / "all", tmp_path / "again")          # idempotent, like the exercises
    assert (tmp_path / "again/tests/test_demo.py").read_bytes() == (tmp_path / "all/tests/test_demo.py").read_bytes()
    assert copy._assignment(tmp_path / "all")[0] == ["demo.square", "demo.cube"]  # spoilers are no exercises


def test_a_spoiler_in_a_notebook_is_withheld_in_its_code_cell(tmp_path):
    # a jupytext pair: the .py and the .ipynb of one notebook lose the same lines
    cells = [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["The answer, by hand:"]},
             {"cell_type": "code", "execution_count": None, "id": "b", "metadata": {}, "outputs": [],
              "source": ["%matplotlib inline\n", "def ref(x):\n", f"    {BS} demo.square\n", "    return x * x\n",
                         f"    {ES}"]}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    src = write_tree(tmp_path / "src", {"demo.py": SQUARE, "tut.ipynb": text})
    student_copy(src, tmp_path / "dst")
    copied = (tmp_path / "dst/tut.ipynb").read_text(encoding="utf-8")
    stub = 'raise NotImplementedError("withheld from the student copy: it gives away demo.square")'
    cells[1]["source"][3] = f"    {stub}\n"
    assert copied == json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    [s] = homework.find_spoilers(tmp_path / "dst")
    assert s.stubbed and s.cell == 1 and s.begin == 3


def test_student_copy_command_lists_the_withheld_spoilers(tmp_path, capsys):
    src = write_tree(tmp_path / "src", {"demo.py": SQUARE, "bench.py": lines(
        "def fast(x):", f"    {BS} demo.square", "    return x * x", f"    {ES}")})
    args = types.SimpleNamespace(src=str(src), dst=str(tmp_path / "dst"), exercise=None)
    assert homework.student_copy_command(args) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "withheld 1 spoiler(s), code elsewhere that gives these exercises away:", "  bench.py:2  (demo.square)"]


def test_student_copy_records_the_exercises_it_was_made_for(tmp_path):
    two = SQUARE + lines("def cube(x):", '    """x³."""', f"    {B} demo.cube", "    return x ** 3",
                         f"    {E}")
    src = write_tree(tmp_path / "src", {"demo.py": two})
    student_copy(src, tmp_path / "one", exercises=["demo.cube"])
    student_copy(src, tmp_path / "all")
    student_copy(tmp_path / "one", tmp_path / "again", exercises=["demo.square"])  # a copy's own is replaced
    assert copy._assignment(tmp_path / "one") == (["demo.cube"], tmp_path / "one" / homework.ASSIGNMENT)
    assert copy._assignment(tmp_path / "all")[0] == ["demo.square", "demo.cube"]
    assert copy._assignment(tmp_path / "again")[0] == ["demo.square"]
    assert copy._assignment(src) == (None, None)
    (tmp_path / "one" / homework.ASSIGNMENT).write_text('{"exercises": "demo.cube"}')
    with pytest.raises(HomeworkError, match="damaged"):
        copy._assignment(tmp_path / "one")


def test_grade_of_a_damaged_assignment_says_so(tmp_path):
    copy = write_tree(tmp_path / "copy", {"minigrad/__init__.py": "", homework.ASSIGNMENT: "{"})
    with pytest.raises(HomeworkError, match="damaged"):
        grade(copy, tests=TESTS)


@pytest.mark.slow
@needs_solutions
def test_grade_scores_only_the_exercises_a_partial_copy_was_made_for(tmp_path, capsys):
    # the solved exercises left in a copy of two are the instructor's, not the student's
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["ops.exp_backward", "ops.log_backward"])
    report = grade(copy, tests=TESTS)
    assert list(report) == ["ops.exp_backward", "ops.log_backward"]
    assert report.score == 0.0 and report.total > 0
    assert "made for, as recorded in" in report.problems[0]
    assert list(grade(copy, exercises=["ops.mul_backward"], tests=TESTS)) == ["ops.mul_backward"]
    package_only = tmp_path / "pkg" / "minigrad"  # a copy of the minigrad folder alone
    student_copy(REPO / "minigrad", package_only, exercises=["ops.log_backward"])
    assert list(grade(package_only.parent, tests=TESTS)) == ["ops.log_backward"]


@pytest.mark.slow
@needs_solutions
def test_stray_modules_at_the_top_of_a_copy_do_not_shadow_what_the_tests_import(tmp_path):
    # a student's experiment named random.py or numpy.py next to minigrad/ must not break grading
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["ops.exp_backward"])
    for name in ("random", "numpy", "pytest", "json"):
        (copy / f"{name}.py").write_text(f"raise RuntimeError('a stray {name}.py of the student')\n")
    report = grade(copy, exercises=["ops.mul_backward", "ops.exp_backward"], tests=TESTS)
    assert report.minigrad_file == str(copy.resolve() / "minigrad" / "__init__.py")
    assert report["ops.mul_backward"].passed == report["ops.mul_backward"].total > 0, report.problems
    assert {t[2] for t in report.tests.values() if t[0] == "ops.exp_backward"} == \
        {"NotImplementedError: exercise ops.exp_backward"}


def test_student_copy_is_idempotent_and_never_touches_src(tmp_path):
    src = write_tree(tmp_path / "src", {"demo.py": SQUARE, "sub/x.txt": "x"})
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    student_copy(src, tmp_path / "once")
    student_copy(tmp_path / "once", tmp_path / "twice")
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert (tmp_path / "once/demo.py").read_bytes() == (tmp_path / "twice/demo.py").read_bytes()
    assert [r.stubbed for r in scan(tmp_path / "once")] == [True]
    assert [r.stubbed for r in scan(src)] == [False]


@pytest.mark.parametrize("dst", ["src/inside", "src", "src/a/b/../../deeper"])
def test_student_copy_refuses_a_destination_inside_the_source(tmp_path, dst):
    src = write_tree(tmp_path / "src", {"demo.py": SQUARE})
    with pytest.raises(HomeworkError, match="inside the source"):
        student_copy(src, tmp_path / dst)
    assert sorted(p.name for p in src.iterdir()) == ["demo.py"]


def test_student_copy_refuses_a_source_inside_the_destination_and_a_full_destination(tmp_path):
    src = write_tree(tmp_path / "outer/src", {"demo.py": SQUARE})
    with pytest.raises(HomeworkError, match="inside the destination"):
        student_copy(src, tmp_path / "outer")
    full = write_tree(tmp_path / "full", {"mine.txt": "do not overwrite"})
    with pytest.raises(HomeworkError, match="not an empty folder"):
        student_copy(src, full)
    (tmp_path / "empty").mkdir()
    assert student_copy(src, tmp_path / "empty") == ["demo.square"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(HomeworkError, match="not an empty folder"):
        student_copy(src, tmp_path / "file")


@pytest.fixture(scope="module")
def full_copy(tmp_path_factory):
    """The repository's student copy, every exercise stripped."""
    dst = tmp_path_factory.mktemp("student") / "copy"
    student_copy(REPO, dst)
    return dst


def _region_free(text, regions):
    """The lines of ``text`` outside the bodies of ``regions`` (marker lines kept)."""
    rows = text.split("\n")
    inside = {i for r in regions for i in range(r.begin, r.end - 1)}  # 0-based body rows
    return [row for i, row in enumerate(rows) if i not in inside]


@needs_solutions
def test_the_student_copy_is_byte_identical_outside_the_regions(full_copy):
    original = {p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if p.is_file()}
    copied = {p.relative_to(full_copy).as_posix() for p in full_copy.rglob("*") if p.is_file()}
    copied.remove(homework.ASSIGNMENT)  # the one file added: which exercises the copy was made for
    assert copied <= original
    assert all(not rel.endswith(".pyc") and "/.git/" not in f"/{rel}" for rel in copied)
    marked = {}
    for r in scan(REPO) + homework.find_spoilers(REPO):  # exercises, and code that gives them away
        marked.setdefault(Path(r.path).relative_to(REPO).as_posix(), []).append(r)
    for rel in copied:
        old, new = (REPO / rel).read_bytes(), (full_copy / rel).read_bytes()
        if rel not in marked:
            assert new == old, f"{rel} changed"
            continue
        regions = marked[rel]
        stubbed = scan(full_copy / rel) + homework.find_spoilers(full_copy / rel)
        def kinds(found):  # what each region is, in file order (the lines move as bodies shrink)
            return sorted((r.cell if isinstance(r, homework.Spoiler) and r.cell is not None else -1, r.begin,
                           getattr(r, "id", None), getattr(r, "ids", None)) for r in found)
        assert [k[0:1] + k[2:] for k in kinds(stubbed)] == [k[0:1] + k[2:] for k in kinds(regions)], rel
        assert all(r.stubbed for r in stubbed), rel
        if rel.endswith(".ipynb"):  # cell by cell: the code cells' lines outside the spoilers, all else
            old_cells, new_cells = json.loads(old)["cells"], json.loads(new)["cells"]
            assert len(old_cells) == len(new_cells)
            for i, (a, b) in enumerate(zip(old_cells, new_cells)):
                assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
                assert _region_free(markers._cell_text(b), [r for r in stubbed if r.cell == i]) == \
                    _region_free(markers._cell_text(a), [r for r in regions if r.cell == i]), (rel, i)
        else:
            assert _region_free(new.decode(), stubbed) == _region_free(old.decode(), regions), rel


def _text_files(root):
    """{relative path: bytes} of every file under ``root`` that a student copy would take.

    NOTE: not build/, .venv/ or caches: a build/lib copy of the sources would hold every
    solution line, and a virtual environment in the checkout is large.
    """
    return {rel: Path(path).read_bytes() for rel, path in markers._walk(root)}


def _body_lines(region):
    """The lines of an answer that are not GENERIC, stripped."""
    return [line.strip() for line in region.body if line.strip() and _as_code(line) not in GENERIC]


def _as_code(line):
    """A line of code compared by its characters: without a trailing comment and any whitespace."""
    return re.sub(r"\s+", "", re.sub(r"\s#\s.*$", "", line.strip()))


def _as_text(line):
    """A line of any file, as it may quote code: comment marks, prompts and backquotes dropped."""
    return _as_code(re.sub(r"^(#+|>>>|\.\.\.)", "", line.strip()).strip("`"))


# Lines of answers that may appear elsewhere in the copy, each for the reason given. A line not
# listed here found anywhere in the copy is a leak (compared without whitespace, see _as_code).
GENERIC = {
    # control flow and plain unpacking, found in any code
    "else:", "try:", "continue", "return", "whilestack:", "exceptValueErrorase:", "returng", "returnout",
    "returnorder", "returngx,gy", "gx=gy=None", "x,y=self.x,self.y", "n=len(X)",
    'beta1,beta2=group["betas"]', 'state["t"]+=1',
    # a call of a helper that the task names, or a check that other code makes as well
    "X,y=_check_data(X,y)", "order=toposort(root.grad_fn)", "update_moments(m,v,g,beta1,beta2)",
    "accumulate(x,gx)", "_check_saved(node)", "ifGradMode.anomaly:", "ifisinstance(x,Tensor):",
    "ifself.inputs[0]isnotNone:", "ifself.inputs[1]isnotNone:", "keep=keeporkeep_grad",
    # minibatches' argument check, which train repeats to fail before the first update
    "ifisinstance(batch_size,bool)ornotisinstance(batch_size,numbers.Integral)orbatch_size<1:",
    'raiseValueError(f"batch_sizemustbeanint>=1,got{batch_size!r}")',
    # the steps of any walk over a graph (viz draws one, tests check an order, tutorial 02's naive walk)
    "fornodeinorder:", "fornodeinreversed(order):", "forxinnode.inputs:", "ifgisNone:", "seen.add(node)",
    "order.append(node)", "ifxisnotNoneandx.grad_fnisnotNone:", "grads_in=node.backward(g)",
    # a full sum's gradient (bench's bare Sum node): alone it is a catalogued wrong answer of Sum's
    "returnnp.broadcast_to(g,self.shape)",
}


def _copy_texts(root):
    """{relative path: text} of every text file of the copy; a notebook as the text of its cells."""
    texts = {}
    for rel, path in markers._walk(root):
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary data
        if rel.endswith(".ipynb"):
            cells = json.loads(text)["cells"]
            text = "\n".join(markers._cell_text(c) + "\n" + json.dumps(c.get("outputs", [])) for c in cells)
        texts[rel] = text
    return texts


@needs_solutions
def test_no_file_of_the_student_copy_holds_a_solution_line(full_copy):
    # Every line of every answer, but the GENERIC ones, is looked for in every file of the copy:
    # code, tests, docs, benchmarks and notebooks, also in a comment, a doctest or a longer line.
    answers = {}
    for r in scan(REPO):
        for line in r.body:
            code = _as_code(line)
            if code and not code.startswith("#") and code not in GENERIC:
                answers.setdefault(code, r.id)
    assert len(answers) > 100
    longer = re.compile("|".join(re.escape(a) for a in answers if len(a) >= 16))  # one pass a line
    leaks = []
    for rel, text in _copy_texts(full_copy).items():
        for line in text.splitlines():
            code, quoted = _as_code(line), _as_text(line)
            if code in answers or _as_code(quoted) in answers or longer.search(quoted):
                leaks += [f"{rel}: {answer} (from {ex_id})" for answer, ex_id in answers.items()
                          if answer in (code, _as_code(quoted)) or (len(answer) >= 16 and answer in quoted)]
    assert not leaks, "answers in the student copy:\n" + "\n".join(sorted(set(leaks)))


# Code outside the exercises that gives them away (issue 29), each withheld from the copy as a spoiler.
GIVE_AWAYS = {
    "bench/bench_ops.py": {"function.apply", "function.toposort", "function.backward_pass",
                           "ops.mul_backward", "ops.tanh_backward"},              # the bare node graph
    "bench/bench_classifier.py": {"nn.cross_entropy_backward", "ops.matmul_backward", "optim.adam_moments",
                                  "optim.adam_update"},                           # the NumPy floor
    "minigrad/optim/radam.py": {"optim.radam_update"},                            # ρ_t and r_t, for pictures
    "tests/optim/test_optimizers.py": {"optim.adam_moments", "optim.adam_update", "optim.radam_update",
                                       "optim.swats_update", "optim.amsgrad_second_moment"},
                                                                # NumPy RAdam, SWATS, float32 Adam and AMSGrad
    "tests/homework/test_ex_optim.py": {"optim.sgd_update", "optim.sgdm_update", "optim.adagrad_update",
                                        "optim.rmsprop_update", "optim.adam_moments", "optim.adam_update",
                                        "optim.amsgrad_second_moment", "optim.radam_update",
                                        "optim.swats_update"},                    # the docstrings' rules
    "tests/homework/test_ex_ops.py": {"ops.mul_backward", "ops.matmul_backward", "ops.exp_backward",
                                      "ops.log_backward", "ops.tanh_backward", "ops.sum_backward",
                                      "ops.softmax_backward", "ops.log_softmax_backward"},
    "tests/homework/test_ex_nn.py": {"nn.cross_entropy_backward"},
    "tests/homework/wrong_answers.py": set(EXERCISES),                            # the catalogue's wrong answers
}


@needs_solutions
def test_the_code_that_gives_exercises_away_is_withheld_from_the_copy(full_copy):
    marked = {}
    for s in homework.find_spoilers(REPO):
        marked.setdefault(Path(s.path).relative_to(REPO).as_posix(), set()).update(s.ids)
    for rel, ids in GIVE_AWAYS.items():
        assert ids <= marked.get(rel, set()), f"{rel}: no spoiler of {sorted(ids - marked.get(rel, set()))}"
    withheld = homework.find_spoilers(full_copy)
    assert len(withheld) == sum(1 for _ in homework.find_spoilers(REPO)) and all(s.stubbed for s in withheld)


# Answers an audit found spelled out in other words than the answer key's (so the line-by-line
# search above missed them), as code without whitespace: they must stay out of every copy.
AUDITED_LEAKS = {
    "tests/optim/test_optimizers.py": ["np.maximum(v_max,v)", "np.sqrt(second)/math.sqrt(1-0.999**t)"],  # float32 Adam
    "tests/homework/test_ex_ops.py": ["np.outer(x,g)", "np.outer(g,y)", "lambdax,y,g:y@g"],  # 1-D matmul
}


def test_the_answers_an_audit_found_spelled_out_stay_out_of_the_copy(full_copy):
    found = []
    for rel, snippets in AUDITED_LEAKS.items():
        text = re.sub(r"\s+", "", (full_copy / rel).read_text(encoding="utf-8"))
        found += [f"{rel}: {snippet}" for snippet in snippets if snippet in text]
    assert not found, "\n".join(found)


@needs_solutions
def test_no_file_of_the_student_copy_holds_much_of_a_solution(full_copy):
    # Lines of a body may occur elsewhere (`n = len(X)`, `return gx, gy`), but no file may
    # hold half of an exercise's lines: that would be the solution, findable by a search.
    rows = {rel: {row.strip() for row in data.decode("utf-8", "replace").splitlines()}
            for rel, data in _text_files(full_copy).items()}
    found = []
    for r in scan(REPO):
        body = _body_lines(r)
        if len(body) < 4:
            continue
        for rel, present in rows.items():
            share = sum(line in present for line in body) / len(body)
            if share >= 1 / 2:
                found.append(f"{r.id}: {share:.0%} of its lines in {rel}")
    assert not found, "\n".join(found)


def test_the_student_copy_imports(full_copy):
    out = subprocess.run([sys.executable, "-c", "import minigrad, minigrad.nn, minigrad.optim; "
                          "print(minigrad.__file__)"], cwd=full_copy, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(full_copy)}, check=True)
    assert Path(out.stdout.strip()).resolve().is_relative_to(full_copy.resolve())


def test_stripping_the_student_copy_again_changes_nothing(full_copy, tmp_path):
    again = tmp_path / "again"
    student_copy(full_copy, again)
    for path in full_copy.rglob("*.py"):
        assert (again / path.relative_to(full_copy)).read_bytes() == path.read_bytes()


# ================================================================ pytest --exercise

def _pytest(*args, cwd=REPO, env=None):
    return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
                          cwd=cwd, capture_output=True, text=True, env=env)


def test_pytest_exercise_option_selects_the_tagged_tests():
    out = _pytest(str(TESTS), "--collect-only", "-q", "--exercise", "ops.tanh_backward",
                  "--exercise", "function.unbroadcast")
    assert out.returncode == 0, out.stdout + out.stderr
    selected = [row for row in out.stdout.splitlines() if "::" in row]
    assert selected and all("tanh" in row.lower() or "unbroadcast" in row for row in selected)
    expected = grading._expected_tests(REPO / "tests")
    want = sum(ex in ("ops.tanh_backward", "function.unbroadcast") for ex in expected.values())
    assert len(selected) == want


def test_pytest_exercise_option_refuses_an_unknown_id():
    out = _pytest(str(TESTS), "--collect-only", "-q", "--exercise", "ops.nope")
    assert out.returncode == 4
    assert "unknown id(s) ops.nope" in out.stderr + out.stdout


# ================================================================ grading

def test_grade_refuses_a_folder_without_minigrad_and_an_unknown_exercise(tmp_path):
    with pytest.raises(HomeworkError, match="no minigrad package"):
        grade(tmp_path)
    with pytest.raises(HomeworkError, match="unknown exercise"):
        grade(REPO, exercises=["ops.nope"])


def test_grade_command_passes_both_time_limits_on(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(commands, "grade", lambda path, ids, **kw: seen.update(kw) or
                        homework.GradeReport(str(path), None, {}))
    args = types.SimpleNamespace(path="copy", exercise=None, timeout=3.0, total_timeout=900.0)
    homework.grade_command(args)
    assert seen == {"timeout": 3.0, "total_timeout": 900.0}


def test_grade_command_prints_a_table(capsys):
    code = homework.grade_command(types.SimpleNamespace(path=str(REPO),
                                                        exercise=["function.unbroadcast"]))
    out = capsys.readouterr().out
    assert code == 0
    n = sum(ex == "function.unbroadcast" for ex in grading._expected_tests(REPO / "tests").values())
    assert re.search(rf"^function\.unbroadcast +{n}/{n} +100\.0%$", out, re.M), out
    assert re.search(rf"^total +{n}/{n} +100\.0%$", out, re.M), out


def test_student_copy_command_reports_and_refuses(tmp_path, capsys):
    src = write_tree(tmp_path / "src", {"demo.py": SQUARE})
    args = types.SimpleNamespace(src=str(src), dst=str(tmp_path / "dst"), exercise=None)
    assert homework.student_copy_command(args) == 0
    assert "demo.square  demo.py:3" in capsys.readouterr().out
    assert homework.student_copy_command(args) == 2        # now DST is not empty
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an empty folder" in err


@pytest.mark.slow
@needs_solutions
def test_in_a_student_copy_a_test_that_needs_withheld_code_is_skipped_not_failed(tmp_path):
    # Adam's tests compare with a NumPy reference, a spoiler of optim.adam_update: withheld
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["optim.adam_update"])
    key = next(r for r in scan(REPO / "minigrad") if r.id == "optim.adam_update")
    _plant(copy, "optim.adam_update", list(key.body))     # the right answer
    tests = "tests/homework/test_ex_optim.py"                # Adam's tests: not the whole suite's collection
    out = _pytest(tests, "--exercise", "optim.adam_update", "-q", "-rs", cwd=copy)
    assert out.returncode == 0, out.stdout[-3000:]
    assert re.search(r"\d+ passed, \d+ skipped", out.stdout), out.stdout[-3000:]
    assert "needs code withheld from the student copy: it gives away optim.adam_update" in out.stdout
    (copy / "minigrad" / "optim" / "adam.py").write_text(   # a wrong answer still fails
        (copy / "minigrad" / "optim" / "adam.py").read_text(encoding="utf-8").replace(
            "1 - beta1 ** t", "1 - beta1 ** (t + 1)", 1), encoding="utf-8")
    assert _pytest(tests, "--exercise", "optim.adam_update", "-q", cwd=copy).returncode == 1


@pytest.mark.slow
def test_grader_fails_loudly_when_the_original_minigrad_is_imported(tmp_path):
    copy = tmp_path / "copy"
    student_copy(REPO, copy)
    init = copy / "minigrad" / "__init__.py"
    init.write_text(  # what an editable install of the original would amount to
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "del sys.modules['minigrad']\n"
        "import minigrad\n")
    with pytest.raises(GradingError, match="not the minigrad in"):
        grade(copy, exercises=["function.apply"], tests=TESTS)


@pytest.mark.slow
def test_grader_ignores_the_original_on_pythonpath(tmp_path, monkeypatch):
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["function.apply"])
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    report = grade(copy, exercises=["function.apply"], tests=TESTS)
    assert report.minigrad_file == str(copy.resolve() / "minigrad" / "__init__.py")
    assert report["function.apply"].passed == 0 < report["function.apply"].total


@pytest.mark.slow
def test_a_hanging_stub_times_out_and_the_run_goes_on(tmp_path):
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["ops.tanh_backward"])
    ops_py = copy / "minigrad" / "ops.py"
    ops_py.write_text(ops_py.read_text(encoding="utf-8").replace(
        'raise NotImplementedError("exercise ops.tanh_backward")', "while True: pass"), encoding="utf-8")
    start = time.perf_counter()
    report = grade(copy, exercises=["ops.tanh_backward", "ops.exp_backward"], timeout=0.5,
                   tests=TESTS)
    outcomes = {ex: [t[1] for t in report.tests.values() if t[0] == ex]
                for ex in ("ops.tanh_backward", "ops.exp_backward")}
    # two strikes, then the exercise's other tests are failed without being run
    assert sorted(set(outcomes["ops.tanh_backward"])) == ["not run", "timeout"]
    assert outcomes["ops.tanh_backward"].count("timeout") == 2
    assert set(outcomes["ops.exp_backward"]) == {"passed"}
    assert time.perf_counter() - start < 30


def _replace_stub(copy, ex_id, code):
    path = next(r.path for r in scan(copy) if r.id == ex_id)
    text = Path(path).read_text(encoding="utf-8")
    stub = f'raise NotImplementedError("exercise {ex_id}")'
    assert stub in text
    Path(path).write_text(text.replace(stub, code), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("code, how", [
    ("import os; os._exit(3)", "exit status 3"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
    ("import ctypes; ctypes.string_at(0)", "SIGSEGV"),
], ids=["os._exit", "SIGKILL", "segfault"])
def test_a_test_that_kills_the_process_is_named_and_the_later_tests_still_run(tmp_path, code, how):
    if how.startswith("SIG") and not hasattr(os, "killpg"):
        pytest.skip("POSIX signals")
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["function.unbroadcast"])
    _replace_stub(copy, "function.unbroadcast", code)
    report = grade(copy, exercises=["function.unbroadcast", "function.toposort"], tests=TESTS)
    own = [t for t in report.tests.values() if t[0] == "function.unbroadcast"]
    crashed = [t for t in own if t[1] == "crashed"]
    assert len(crashed) == 2 and all(how in t[2] for t in crashed), crashed
    assert {t[1] for t in own} == {"crashed", "not run"}
    later = report["function.toposort"]
    assert later.passed == later.total > 0, report.tests  # they ran in a new process
    assert sum(f"ended the test process ({how})" in p for p in report.problems) == 2


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="SIGALRM and process groups are POSIX")
def test_a_test_stuck_where_the_alarm_cannot_stop_it_is_killed_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(watchdog, "STALL_SLACK", 2)  # 8 s a kill, not 16 s
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["function.unbroadcast"])
    _replace_stub(copy, "function.unbroadcast",  # what a loop in C code amounts to
                  "import signal; signal.signal(signal.SIGALRM, signal.SIG_IGN); "
                  "any(iter(int, 1))")  # 0, 0, 0, ... forever
    start = time.perf_counter()
    # NOTE: 2 s, not less: toposort's tests, which must still pass, include a 100,000-op chain
    report = grade(copy, exercises=["function.unbroadcast", "function.toposort"], timeout=2,
                   tests=TESTS)
    own = [t for t in report.tests.values() if t[0] == "function.unbroadcast"]
    assert [t[1] for t in own].count("timeout") == 2 and {t[1] for t in own} == {"timeout", "not run"}
    assert report["function.toposort"].passed == report["function.toposort"].total > 0, report.tests
    assert any("its process was killed" in p for p in report.problems)
    assert time.perf_counter() - start < 2 * (3 * 2 + 2) + 30  # two kills after 3 × 2 s + 2 s each


@pytest.mark.slow
@pytest.mark.parametrize("has_killpg", [True, False], ids=["posix", "no killpg (Windows)"])
def test_the_overall_time_limit_stops_the_run(tmp_path, monkeypatch, has_killpg):
    if not has_killpg:
        monkeypatch.delattr(os, "killpg", raising=False)
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["ops.tanh_backward"])
    ops_py = copy / "minigrad" / "ops.py"
    ops_py.write_text(ops_py.read_text(encoding="utf-8").replace(
        'raise NotImplementedError("exercise ops.tanh_backward")',
        "import time\n        time.sleep(1000)"), encoding="utf-8")
    start = time.perf_counter()
    report = grade(copy, exercises=["ops.tanh_backward"], timeout=1000, total_timeout=6,
                   tests=TESTS)
    assert time.perf_counter() - start < 20
    assert any("exceeded 6 s" in p for p in report.problems)
    assert report["ops.tanh_backward"].passed == 0 < report["ops.tanh_backward"].total


@pytest.mark.slow
@needs_solutions
def test_grader_scores_the_original_100_percent():
    report = grade(REPO)
    assert list(report) == list(EXERCISES)
    assert report.score == 1.0 and report.passed == report.total > 0, report.table()
    assert not report.problems and "skipped" not in {t[1] for t in report.tests.values()}


@pytest.mark.slow
@needs_solutions
def test_grader_scores_an_untouched_student_copy_0(full_copy):
    report = grade(full_copy)
    assert report.minigrad_file == str(full_copy.resolve() / "minigrad" / "__init__.py")
    assert report.score == 0.0 and report.passed == 0 and report.total > 0
    assert {t[1] for t in report.tests.values()} == {"failed"}


def _hide_torch(tmp_path, monkeypatch):
    """Make `import torch` fail in the grader's test runs, as on a machine without PyTorch."""
    hidden = write_tree(tmp_path / "no_torch", {"torch.py": "raise ModuleNotFoundError('torch hidden by the test')\n"})
    monkeypatch.setenv("PYTHONPATH", str(hidden))


@pytest.mark.slow
@needs_solutions
def test_grading_needs_no_optional_package(tmp_path, monkeypatch):
    # An instructor with PyTorch and a student without it are graded on the same tests: no grading
    # test may need torch (its cross-checks are tests of their own, not marked as exercises).
    _hide_torch(tmp_path, monkeypatch)
    report = grade(REPO, exercises=list(EXERCISES))
    skipped = [f"{n}: {t[2]}" for n, t in report.tests.items() if t[1] == "skipped"]
    assert not skipped, "grading tests that skip without torch:\n" + "\n".join(skipped)
    assert report.score == 1.0 and report.passed == report.total > 0 and not report.problems


def _student(tmp_path, ex_id, code):
    """A copy with only ``ex_id`` stripped, whose stub is replaced by ``code``."""
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=[ex_id])
    _replace_stub(copy, ex_id, code)
    return copy


@pytest.mark.slow
@needs_solutions
@pytest.mark.parametrize("code, reason", [
    ('import unittest; raise unittest.SkipTest("not today")', "not today"),
    ('import pytest; pytest.skip("not today")', "not today"),
    ('import pytest; pytest.xfail("not today")', "no reason given"),   # pytest reports no skip reason
], ids=["SkipTest", "pytest.skip", "pytest.xfail"])
def test_a_skip_raised_by_student_code_counts_as_not_passed(tmp_path, capsys, code, reason):
    # a wrong answer that skips wherever it would fail must not score 100%
    copy = _student(tmp_path, "function.unbroadcast", f"if g.shape != shape: {code}\n    return g")
    report = grade(copy, exercises=["function.unbroadcast"], tests=TESTS)
    result = report["function.unbroadcast"]
    skipped = [t for t in report.tests.values() if t[1] == "skipped"]
    assert skipped and result.total == len(report.tests) and result.passed == result.total - len(skipped)
    assert result.score < 1.0
    assert report.problems == [f"{len(skipped)} test(s) of function.unbroadcast skipped, counted as not "
                               f"passed (a grading test never skips on its own): {reason}"]
    args = types.SimpleNamespace(path=str(copy), exercise=["function.unbroadcast"])
    assert homework.grade_command(args) == 1                 # a skip is not a pass
    assert "SKIPPED [function.unbroadcast]" not in capsys.readouterr().out


@pytest.mark.slow
@needs_solutions
def test_a_keyboard_interrupt_in_student_code_is_named_and_the_run_goes_on(tmp_path):
    copy = _student(tmp_path, "function.unbroadcast", "raise KeyboardInterrupt")
    report = grade(copy, exercises=["function.unbroadcast", "function.toposort"], tests=TESTS)
    own = [t for t in report.tests.values() if t[0] == "function.unbroadcast"]
    crashed = [t for t in own if t[1] == "crashed"]
    assert [t[2] for t in crashed] == ["this test raised KeyboardInterrupt, which ends a pytest run"] * 2
    assert {t[1] for t in own} == {"crashed", "not run"} and all(t[2] for t in own)  # every test says why
    later = report["function.toposort"]
    assert later.passed == later.total > 0, report.tests     # run in a new process
    assert sum("raised KeyboardInterrupt, which ends a pytest run; the tests after it ran in a new process"
               in p for p in report.problems) == 2


@pytest.mark.slow
@needs_solutions
def test_a_test_never_reached_says_why(tmp_path):
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["function.toposort"])
    init = copy / "minigrad" / "__init__.py"
    init.write_text("raise KeyboardInterrupt\n" + init.read_text(encoding="utf-8"), encoding="utf-8")
    report = grade(copy, exercises=["function.toposort"], tests=TESTS)
    assert report.passed == 0 < report.total
    assert {t[2] for t in report.tests.values()} == {"import minigrad failed: KeyboardInterrupt: "}


@pytest.mark.parametrize("link", ["minigrad/ops.py", "minigrad/optim", "minigrad"])
def test_a_symbolic_link_in_a_submission_is_refused_naming_it(tmp_path, capsys, link):
    copy = write_tree(tmp_path / "copy", {"minigrad/__init__.py": "", "minigrad/optim/__init__.py": "",
                                          "minigrad/ops.py": ""})
    target = REPO / link
    (copy / link).unlink() if (copy / link).is_file() else shutil.rmtree(copy / link)
    os.symlink(target, copy / link, target_is_directory=target.is_dir())
    with pytest.raises(HomeworkError) as info:
        grade(copy, tests=TESTS)
    assert str(info.value) == (f"the submission holds a symbolic link, {copy / link} -> {target}: its code "
                               f"would come from outside the copy; replace the link with the file itself to "
                               f"grade")
    args = types.SimpleNamespace(path=str(copy), exercise=None)
    assert homework.grade_command(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{copy / link} -> {target}" in err and "installed" not in err


# ================================================================ the catalogue of mistakes

def _load_wrong_answers():
    """tests/homework/wrong_answers.py, loaded by path (it is no test module)."""
    spec = importlib.util.spec_from_file_location("minigrad_wrong_answers", TESTS / "wrong_answers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_exercise_has_a_catalogued_mistake_and_each_a_targeted_test():
    slugs = [m.slug for m in MISTAKES]
    assert len(set(slugs)) == len(slugs), "a slug names one mistake"
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)
    assert {m.exercise for m in MISTAKES} == set(EXERCISES), \
        f"exercises without a catalogued mistake: {sorted(set(EXERCISES) - {m.exercise for m in MISTAKES})}"
    assert [m.exercise for m in MISTAKES] == sorted((m.exercise for m in MISTAKES), key=EXERCISES.index)
    for m in MISTAKES:    # one line each, short enough for the grade reporter's 300 characters
        assert "\n" not in m.hint and len(str(m)) < 250, m.slug
    tests = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_ex_*.py"))
    used = {s for s in slugs if f'"{s}"' in tests}
    assert not set(slugs) - used, f"catalogued mistakes no test names: {sorted(set(slugs) - used)}"
    assert mistakes_in(f"AssertionError: {homework.catalogue.message('adam-t-off-by-one')}") == \
        [m for m in MISTAKES if m.slug == "adam-t-off-by-one"]


@needs_solutions
def test_every_catalogued_mistake_has_a_wrong_answer_that_plants():
    module = _load_wrong_answers()
    wrong, key = module.wrong_answers(), {r.id: r for r in scan(REPO / "minigrad")}
    assert set(wrong) == {m.slug for m in MISTAKES}
    for m in MISTAKES:
        body = module.planted_body(key[m.exercise], wrong[m.slug])
        assert body != list(key[m.exercise].body), f"{m.slug}: the wrong answer is the answer"


def _report(tests, results=None):
    """A GradeReport of made-up test outcomes {node id: (exercise, outcome, message)}."""
    results = results or {}
    for ex_id, outcome, _ in tests.values():
        passed, total = results.get(ex_id, (0, 0))
        results[ex_id] = (passed + (outcome == "passed"), total + 1)
    return homework.GradeReport("copy", None, {ex: homework.ExerciseResult(*pt) for ex, pt in results.items()}, tests)


def _load_conftest():
    """tests/conftest.py, loaded by path, for its helpers."""
    spec = importlib.util.spec_from_file_location("minigrad_tests_conftest", REPO / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure_of(check):
    """The message pytest records for the AssertionError that ``check()`` raises."""
    with pytest.raises(AssertionError) as info:
        check()
    return info.exconly()


def test_the_grade_report_keeps_the_tests_own_message_after_numpys_header():
    summary = _load_conftest()._summary
    a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    said = "x.grad and y.grad share memory: accumulate(t, g) copies the first g"
    assert summary(_failure_of(lambda: np.testing.assert_array_equal(a, b, err_msg=said))) == \
        f"AssertionError: Arrays are not equal: {said}"
    assert summary(_failure_of(lambda: np.testing.assert_allclose(a, b, rtol=1e-5, err_msg="w after step 3"))) == \
        "AssertionError: Not equal to tolerance rtol=1e-05, atol=0: w after step 3"
    assert summary(_failure_of(lambda: np.testing.assert_allclose(a, [1.0, 3.0, 4.0], err_msg="shape"))) == \
        "AssertionError: Not equal to tolerance rtol=1e-07, atol=0: shape"
    assert summary(_failure_of(lambda: np.testing.assert_allclose(a, b))) == \
        "AssertionError: Not equal to tolerance rtol=1e-07, atol=0"       # no message of its own
    assert summary(_failure_of(lambda: np.testing.assert_array_equal(a, b))) == "AssertionError: Arrays are not equal"
    def plain():
        assert a[0] == 2.0, "a plain assert's message"
    assert summary(_failure_of(plain)) == "AssertionError: a plain assert's message"
    assert summary("Failed: likely mistake [sgd-uphill]: θ moved\nmore") == "Failed: likely mistake [sgd-uphill]: θ moved"
    assert summary("") == ""


def test_the_table_shows_the_likely_mistake_next_to_the_failing_exercise():
    hint = homework.catalogue.message("tanh-no-square")
    report = _report({
        "t::a": ("ops.exp_backward", "passed", ""),
        "t::b": ("ops.tanh_backward", "failed", f"AssertionError: {hint}"),
        "t::c": ("ops.tanh_backward", "failed", "Failed: " + hint + " (and more)"),
        "t::d": ("ops.tanh_backward", "failed", "AssertionError: Not equal to tolerance rtol=1e-05, atol=1e-07"),
        "t::e": ("ops.tanh_backward", "passed", ""),
    })
    assert report.notes() == {"ops.tanh_backward": [hint]}
    rows = report.table().splitlines()
    assert rows[0].split() == ["exercise", "passed", "score", "note"]
    assert rows[1].split() == ["ops.exp_backward", "1/1", "100.0%"]
    assert rows[2].startswith("ops.tanh_backward ") and rows[2].endswith("1/4   25.0%  " + hint), rows[2]
    assert rows[3].startswith("total") and len(rows) == 4


def test_the_table_names_the_exercise_not_done_yet_that_stopped_the_tests():
    report = _report({
        "t::a": ("function.toposort", "failed", "NotImplementedError: exercise function.apply"),
        "t::b": ("function.toposort", "failed", "NotImplementedError: exercise function.apply"),
        "t::c": ("function.toposort", "failed", "AssertionError: " + homework.catalogue.message("toposort-preorder")),
        "t::d": ("optim.sgd_update", "failed", "NotImplementedError: exercise optim.sgd_update"),  # its own stub
    })
    notes = report.notes()
    assert notes == {"function.toposort": [homework.catalogue.message("toposort-preorder"),
                                           "2 of 3 failed tests stopped at function.apply, not done yet"]}
    rows = report.table().splitlines()
    assert rows[1].endswith(notes["function.toposort"][0]) and rows[2].strip() == notes["function.toposort"][1]
    assert rows[2].startswith(" " * len("function.toposort")) and rows[3].split() == ["optim.sgd_update", "0/1", "0.0%"]
    assert "note" not in _report({"t::a": ("optim.sgd_update", "passed", "")}).table()


def _plant(copy, ex_id, lines):
    """Write ``lines`` in place of the stub of ``ex_id`` in the copy at ``copy``."""
    region = next(r for r in scan(copy) if r.id == ex_id)
    path = Path(region.path)
    rows = path.read_text(encoding="utf-8").split("\n")
    assert rows[region.begin] == region.indent + region.stub
    rows[region.begin:region.begin + 1] = lines
    path.write_text("\n".join(rows), encoding="utf-8")


def _grade_planted(mistake, body, root):
    copy = root / mistake.slug
    student_copy(REPO / "minigrad", copy / "minigrad", exercises=[mistake.exercise])
    _plant(copy, mistake.exercise, body)
    return grade(copy, exercises=[mistake.exercise], tests=TESTS, timeout=30)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """{slug: the grade of a copy holding that wrong answer}, two runs at a time."""
    module = _load_wrong_answers()
    wrong, key = module.wrong_answers(), {r.id: r for r in scan(REPO / "minigrad")}
    root = tmp_path_factory.mktemp("planted")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {m.slug: pool.submit(_grade_planted, m, module.planted_body(key[m.exercise], wrong[m.slug]), root)
                   for m in MISTAKES}
        return {slug: f.result() for slug, f in futures.items()}


@pytest.mark.slow
@needs_solutions
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.slug for m in MISTAKES])
def test_each_catalogued_mistake_is_caught_and_named(planted, mistake):
    _check_caught_and_named(planted[mistake.slug], mistake)


@pytest.mark.slow
@needs_solutions
def test_other_ways_to_make_a_catalogued_mistake_are_caught_and_named(tmp_path):
    module = _load_wrong_answers()
    key, by_slug = {r.id: r for r in scan(REPO / "minigrad")}, {m.slug: m for m in MISTAKES}
    variants = module.variants()
    assert variants and all(slug in by_slug for slug, _ in variants)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [(by_slug[slug], pool.submit(
            _grade_planted, by_slug[slug], module.planted_body(key[by_slug[slug].exercise], wrong), tmp_path / str(i)))
            for i, (slug, wrong) in enumerate(variants)]
        for mistake, future in futures:
            _check_caught_and_named(future.result(), mistake)


def _check_caught_and_named(report, mistake):
    """The grade of a copy holding a wrong answer fails its exercise naming ``mistake``, and no other."""
    result = report[mistake.exercise]
    assert not report.problems, report.problems
    assert result.passed < result.total, f"{mistake.slug}: the wrong answer passes every test"
    failed = [t[2] for t in report.tests.values() if t[1] != "passed"]
    named = [m.slug for m in mistakes_in("\n".join(failed))]
    assert mistake.slug in named, f"{mistake.slug} is not named; the failures say:\n" + "\n".join(failed)
    assert set(named) == {mistake.slug}, f"{mistake.slug} is named with other mistakes: {sorted(set(named))}"
    assert report.notes()[mistake.exercise] == [str(mistake)]
    assert re.search(rf"^{re.escape(mistake.exercise)} .*  {re.escape(str(mistake))}$", report.table(), re.M), \
        report.table()


@pytest.mark.slow
@needs_solutions
def test_a_right_answer_waiting_for_an_earlier_exercise_says_which(tmp_path, capsys):
    # toposort answered right in a copy where function.apply, before it, is still a stub
    copy = tmp_path / "copy"
    student_copy(REPO, copy, exercises=["function.apply", "function.toposort"])
    key = next(r for r in scan(REPO / "minigrad") if r.id == "function.toposort")
    _plant(copy, "function.toposort", list(key.body))
    args = types.SimpleNamespace(path=str(copy), exercise=["function.toposort"])
    assert homework.grade_command(args) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("function.toposort "))
    n = sum(ex == "function.toposort" for ex in grading._expected_tests(REPO / "tests").values())
    assert row.endswith(f"0/{n}    0.0%  {n} of {n} failed tests stopped at function.apply, not done yet"), out


@pytest.mark.slow
@needs_solutions
def test_a_student_copy_still_checks_every_exercise_with_its_own_tests(tmp_path):
    # There the tests that compare with withheld code are skipped, so a wrong answer could look
    # green: hand-computed steps and finite differences must still check each exercise. Every
    # answer is written back into a full copy, which is graded with its own tests.
    copy = tmp_path / "copy"
    student_copy(REPO, copy)
    for region in scan(REPO / "minigrad"):
        _plant(copy, region.id, list(region.body))
    report = grade(copy, tests=copy / "tests", timeout=30)
    outcomes = {ex_id: collections.Counter() for ex_id in EXERCISES}
    for ex_id, outcome, _ in report.tests.values():
        outcomes[ex_id][outcome] += 1
    assert all(set(counts) <= {"passed", "skipped"} for counts in outcomes.values()), outcomes
    few = {ex_id: counts["passed"] for ex_id, counts in outcomes.items() if counts["passed"] < 2}
    assert not few, f"exercises checked by fewer than 2 tests in a student copy: {few}"


# ================================================================ one exercise at a time

def _grade_with_only(ex_id, root):
    copy = root / ex_id
    student_copy(REPO, copy, exercises=[ex_id])
    # its own tests and those of every earlier exercise (a later one may need it: not graded)
    return grade(copy, exercises=list(EXERCISES[:EXERCISES.index(ex_id) + 1]), tests=TESTS, timeout=30)


@pytest.fixture(scope="module")
def stripped_one_by_one(tmp_path_factory):
    """{exercise: the grade of a copy with only that exercise stripped}, two runs at a time."""
    root = tmp_path_factory.mktemp("one-by-one")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {ex: pool.submit(_grade_with_only, ex, root) for ex in EXERCISES}
        return {ex: f.result() for ex, f in futures.items()}


@pytest.mark.slow
@needs_solutions
@pytest.mark.parametrize("ex_id", EXERCISES)
def test_stripping_one_exercise_fails_its_tests_and_only_later_ones(stripped_one_by_one, ex_id):
    report = stripped_one_by_one[ex_id]
    assert report.minigrad_file is not None and not report.problems, report.problems
    own = {n: t for n, t in report.tests.items() if t[0] == ex_id}
    assert own, f"{ex_id} has no tests"
    passing = [n for n, t in own.items() if t[1] == "passed"]
    assert not passing, f"tests of {ex_id} pass without its solution: {passing}"
    earlier = EXERCISES[:EXERCISES.index(ex_id)]
    broken = [f"{n} ({t[0]}): {t[2]}" for n, t in report.tests.items()
              if t[0] in earlier and t[1] != "passed"]
    assert not broken, f"tests of earlier exercises need {ex_id}:\n" + "\n".join(broken)


# ---------------------------------------------------------------- the instructors' guide

GUIDE = REPO / "docs" / "homework.md"
GUIDE_COPIES = [(command, printed) for command, printed in re.findall(
    r"```console\n\$ (python -m minigrad student-copy \. /tmp/hw/[^\n]+)\n(.*?)```",
    GUIDE.read_text(encoding="utf-8") if GUIDE.exists() else "", re.S) if printed.startswith("wrote ")]


@pytest.mark.slow
@pytest.mark.skipif(IS_STUDENT_COPY or not GUIDE.exists(), reason="the guide's table describes the full tree")
def test_guide_table_of_the_original_is_what_grade_prints():
    # the number of tests of each exercise, which goes stale whenever an exercise gains a test
    pytest.importorskip("torch")  # the guide's run has the cross-check extra: 3 tests need torch
    printed = re.search(r"```console\n\$ python -m minigrad grade \.\n(.*?)```",
                        GUIDE.read_text(encoding="utf-8"), re.S).group(1).splitlines()
    result = subprocess.run([sys.executable, "-m", "minigrad", "grade", "."], cwd=REPO, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"grading {REPO} with the tests in {REPO / 'tests'}"
    assert lines[1:] == printed[1:]


@pytest.mark.skipif(IS_STUDENT_COPY or not GUIDE_COPIES, reason="the guide's listings describe the full tree")
@pytest.mark.parametrize("command, printed", GUIDE_COPIES, ids=range(len(GUIDE_COPIES)))
def test_guide_listings_are_what_student_copy_prints(command, printed, tmp_path):
    # The listings give each exercise's line in the copy: they go stale whenever code moves.
    argv = command.split()[1:]
    argv[4] = str(tmp_path / Path(argv[4]).name)                 # DST /tmp/hw/course -> a fresh folder
    result = subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace(str(tmp_path), "/tmp/hw") == printed, \
        "docs/homework.md is out of date: run python docs/make_homework_guide.py"
