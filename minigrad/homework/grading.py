"""The grader: the instructor's exercise tests run against a student copy, scored per exercise.

The tests are the instructor's (the ``tests/`` folder next to the minigrad
package the grader is imported from), never the copy's own; they run under
the watchdog (:mod:`minigrad.homework.watchdog`) with the copy's ``minigrad``
on the import path, and the run must prove that it imported that one.
"""

import collections
import os
from pathlib import Path

from .copy import _assignment, _choose
from .curriculum import _order
from .markers import HomeworkError
from .report import ExerciseResult, GradeReport
from .watchdog import _run_pytest

__all__ = ["GradingError", "grade"]


class GradingError(RuntimeError):
    """The grader could not grade: wrong code imported, no instructor tests, a crashed run."""


def _instructor_root():
    """The source tree the grader runs from: the folder holding this minigrad package."""
    return Path(__file__).resolve().parents[2]  # minigrad/homework/grading.py -> the tree


def _copy_root(path):
    """The folder to put on the import path: it must hold ``minigrad/__init__.py``."""
    root = Path(path)
    if (root / "minigrad" / "__init__.py").is_file():
        return root.resolve()
    if root.name == "minigrad" and (root / "__init__.py").is_file():
        return root.resolve().parent
    raise HomeworkError(f"{str(path)!r} holds no minigrad package (no minigrad/__init__.py in it)")


def _refuse_links(package):
    """Refuse a package that is, or holds, a symbolic link: it would load code from outside the copy."""
    links = [package] if package.is_symlink() else []
    for folder, dirs, files in os.walk(package):
        links += [Path(folder, name) for name in sorted(dirs + files) if os.path.islink(os.path.join(folder, name))]
    if links:
        where = f"{links[0]} -> {os.readlink(links[0])}"
        more = f" (and {len(links) - 1} more link(s))" if len(links) > 1 else ""
        raise HomeworkError(f"the submission holds a symbolic link, {where}{more}: its code would come "
                            f"from outside the copy; replace the link with the file itself to grade")


_COLLECTED = {}  # cache of the instructor's test list: key -> {node id: exercise id}


def _expected_tests(tests):
    """{test node id: exercise id} of every exercise test, collected with the grader's own minigrad."""
    files = sorted(p for p in tests.rglob("*.py") if "__pycache__" not in p.parts)
    key = (str(tests), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    if key not in _COLLECTED:
        root = _instructor_root()
        records, code, tail, _, _ = _run_pytest(root, tests, ["-m", "exercise", "--collect-only"],
                                                per_test=0, overall=300)
        _fatal(records, root, tail, "collecting the instructor's tests")
        collected = next((r["collected"] for r in records if "collected" in r), None)
        problems = [r["collect_error"] for r in records if "collect_error" in r]
        if collected is None or problems:
            raise GradingError(f"the instructor's exercise tests in {tests} do not collect "
                               f"(exit status {code}): {'; '.join(problems) or tail}")
        _COLLECTED[key] = {nodeid: ex_id for nodeid, ex_id in collected}
    return _COLLECTED[key]


def _fatal(records, root, tail, doing):
    """Raise GradingError when the run imported minigrad from outside ``root``."""
    for r in records:
        if "wrong_minigrad" in r:
            raise GradingError(f"{doing}: the test run imported {r['wrong_minigrad']}, not the "
                               f"minigrad in {root} (an installed minigrad, or a copy that puts "
                               f"another one on sys.path, must not stand in for the copy graded)")
    if not any("minigrad_file" in r or "import_error" in r for r in records):
        raise GradingError(f"{doing}: the test run stopped before reporting anything:\n{tail}")


def grade(path, exercises=None, timeout=10.0, total_timeout=600.0, tests=None):
    """Run the instructor's exercise tests against the student copy at ``path``; score each.

    The tests are those under the ``tests/`` folder next to the minigrad
    package that this function belongs to (the instructor's tree), never the
    copy's own tests. They run in a subprocess whose working folder and
    ``PYTHONPATH`` are a folder holding only a link to the copy's
    ``minigrad`` (so that nothing else at the top of the copy, such as a
    stray ``random.py``, shadows what the tests import); inside it, the test session checks that
    ``minigrad`` (and each of its modules) was imported from the copy, and
    the grader fails loudly otherwise, so an installed original cannot make
    empty stubs pass.

    Parameters
    ----------
    path : str or os.PathLike
        The student copy: a folder that holds ``minigrad/``.
    exercises : list of str, optional
        Grade only these ids. Default: the exercises the copy was made for,
        as :func:`student_copy` recorded them in the copy's
        ``.minigrad-assignment.json`` (named in ``report.problems``), or,
        without that file, every exercise that has tests.
    timeout : float, default 10
        Seconds per test phase (setup, call, teardown); a test over it fails
        as ``"timeout"`` and the run goes on. After two of an exercise's tests
        have timed out or crashed, its remaining tests fail unrun (``"not
        run"``), so that one hanging stub cannot use up the whole run.
    total_timeout : float, default 600
        Seconds for the whole run; tests not reached by then count as failed
        (``"not run"``).
    tests : str or os.PathLike, optional
        The instructor's test folder (default ``tests/`` next to the package).

    Returns
    -------
    GradeReport
        Mapping exercise id → ``ExerciseResult(passed, total)`` with
        ``.score``; ``report.score`` is the mean over exercises. A test
        counts as passed only if it passed in the copy; the totals come from
        the instructor's own collection, so tests that fail to import or
        never run count as failed. A skipped test counts as not passed and
        is named in ``report.problems``: grading tests need nothing beyond
        minigrad's own dependencies, so a skip is the student's code calling
        ``pytest.skip`` or raising ``unittest.SkipTest``.

    Raises
    ------
    HomeworkError
        ``path`` holds no minigrad package, or an unknown exercise id.
    GradingError
        The instructor's tests are missing or do not collect, or the run
        imported minigrad from somewhere other than ``path``.

    Notes
    -----
    A test that kills the test process (a segfault, ``os._exit``) or ends
    the pytest session (``KeyboardInterrupt``, ``pytest.exit``) counts as
    ``"crashed"``, with what it did as its message, and the tests after it
    run in a new process; a test stuck where the time limit cannot interrupt
    it (in C code) is killed after three times ``timeout`` plus 10 s and
    counts as ``"timeout"``. Each is named in ``report.problems``.

    This keeps honest mistakes from passing (a stub that hangs, a test
    module that does not import, an installed minigrad shadowing the copy);
    it is not a sandbox. The student's code runs with the tests in one
    process and could tamper with them; review suspicious submissions. A
    copy whose top folder holds ``sitecustomize.py`` or ``usercustomize.py``
    is refused, since Python would run it before the tests, and so is a
    symbolic link in its ``minigrad`` package (the message names it): the
    code graded must be the copy's own.
    """
    root = _copy_root(path)
    for name in ("sitecustomize.py", "usercustomize.py"):
        if (root / name).exists():
            raise HomeworkError(f"{root / name} would run before the tests; remove it to grade")
    _refuse_links(root / "minigrad")
    tests = Path(tests).resolve() if tests is not None else _instructor_root() / "tests"
    if not tests.is_dir():
        raise GradingError(f"no instructor tests at {tests}: run the grader from a minigrad "
                           f"source tree (with its tests/ folder), or pass tests=")
    expected = _expected_tests(tests)
    known = _order(dict.fromkeys(expected.values()))
    problems = []
    if exercises is None:
        exercises, recorded = _assignment(root)
        if recorded is not None:
            missing = [e for e in exercises if e not in known]
            exercises = [e for e in exercises if e in known]
            problems.append(f"graded the {len(exercises)} exercise(s) this copy was made for, as "
                            f"recorded in {recorded}; pass exercises (--exercise) to choose others")
            if missing:
                problems.append(f"no tests for {', '.join(missing)} (in the assignment): not graded")
    chosen = _choose(exercises, known, "the exercises with tests are")
    args = ["-m", "exercise"] + [a for e in chosen for a in ("--exercise", e)]
    records, code, tail, timed_out, notes = _run_pytest(root, tests, args, timeout, total_timeout)
    _fatal(records, root, tail, f"grading {root}")

    minigrad_file = next((r["minigrad_file"] for r in records if "minigrad_file" in r), None)
    run_problems = [f"import minigrad failed: {r['import_error']}" for r in records if "import_error" in r]
    run_problems += [f"collection error: {r['collect_error']}" for r in records if "collect_error" in r]
    if timed_out:
        run_problems.append(f"the run exceeded {total_timeout:g} s and was stopped; the tests not "
                            f"reached count as failed (raise it with --total-timeout)")
    problems += run_problems + notes
    outcomes = {r["nodeid"]: (r["outcome"], r.get("message", "")) for r in records if "nodeid" in r}
    # a test the run never reached: say why, as far as the run tells
    never_ran = ("not run", run_problems[0] if run_problems else "the test run ended before reaching it")
    tests_seen, results = {}, {}
    for ex_id in chosen:
        passed = total = 0
        skipped = collections.Counter()  # reason -> count
        for nodeid, owner in expected.items():
            if owner != ex_id:
                continue
            outcome, message = outcomes.get(nodeid, never_ran)
            tests_seen[nodeid] = (ex_id, outcome, message)
            if outcome == "skipped":  # NOTE: grading tests need nothing optional: the student's doing
                skipped[message.removeprefix("Skipped: ")] += 1
            total += 1
            passed += outcome == "passed"
        results[ex_id] = ExerciseResult(passed, total)
        problems += [f"{n} test(s) of {ex_id} skipped, counted as not passed (a grading test never "
                     f"skips on its own): {reason or 'no reason given'}" for reason, n in skipped.items()]
    return GradeReport(str(root), minigrad_file, results, tests_seen, problems)

