"""pytest hooks shared by the whole suite: homework exercises and the grader's hooks.

- ``--exercise ID`` (repeatable) keeps only the tests marked
  ``@pytest.mark.exercise("ID")``; ``-m exercise`` keeps every exercise test.
- ``MINIGRAD_TEST_TIMEOUT=<seconds>`` limits each test phase (setup, call,
  teardown) with ``SIGALRM``: a test over the limit fails, the run goes on.
- ``MINIGRAD_GRADE_REPORT=<file>`` (set by ``minigrad.homework.grade``) writes
  one JSON line per test started and per test finished, plus the collected
  exercise tests, where ``minigrad`` was imported from and the session's end.
  With ``MINIGRAD_GRADE_ROOT=<folder>`` the session stops at once if
  ``minigrad`` is not imported from that folder. ``MINIGRAD_GRADE_RESUME=<file>``
  (a rerun after the test process died) names the tests already graded, which
  are left out, and the exercises' strikes so far. An exercise whose tests
  have hit the time limit (or crashed the process) ``STRIKES`` times has its
  remaining tests failed unrun, so one hanging stub cannot use up the whole
  run's time.
- In a student copy, a test that reaches code withheld from the copy (a
  spoiler: ``NotImplementedError("withheld from the student copy: ...")``)
  is reported as skipped, with that reason, not as failed: the student's
  answer may be right, and only the instructor's tests can tell.
- Outside grading, the session refuses to start when ``minigrad`` is imported
  from anywhere but the tree these tests belong to (an installed copy
  shadowing the checkout under test, e.g. plain ``pytest`` in a student copy
  while the original is installed): the tests would pass on the wrong code.
"""

import contextlib
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path

import pytest

_TIME_LIMIT_TEXT = "exceeded the per-test time limit"
_GAVE_UP_TEXT = "so this one was not run"
STRIKES = 2  # time-outs or crashes after which an exercise's remaining tests are not run


def pytest_addoption(parser):
    parser.addoption("--exercise", action="append", default=None, metavar="ID",
                     help='run only the tests marked @pytest.mark.exercise("ID") (repeatable)')


def pytest_configure(config):
    if not any(line.startswith("exercise") for line in config.getini("markers")):
        config.addinivalue_line("markers", "exercise(id): the test grades homework exercise <id>")
    report = os.environ.get("MINIGRAD_GRADE_REPORT")
    if report:
        reporter = _GradeReporter(report, os.environ.get("MINIGRAD_GRADE_ROOT"),
                                  os.environ.get("MINIGRAD_GRADE_RESUME"))
        config.pluginmanager.register(reporter, "minigrad-grade-reporter")


def pytest_sessionstart(session):
    if os.environ.get("MINIGRAD_GRADE_ROOT"):
        return  # the grade reporter checks the copy being graded
    tree = Path(__file__).resolve().parents[1]
    if not (tree / "minigrad" / "__init__.py").is_file():
        return
    import minigrad
    imported = Path(minigrad.__file__).resolve().parent
    if imported != tree / "minigrad":
        raise pytest.UsageError(
            f"these tests belong to {tree}, but `import minigrad` finds {imported}: they would "
            f"test that copy instead. Run `python -m pytest` from {tree} (it puts the tree first "
            f"on the path) or `pip install -e {tree}`.")


# ---------------------------------------------------------------- --exercise

def _exercise_of(item):
    """The exercise id a test grades, or None; refuses a malformed or doubled mark."""
    ids = []
    for mark in item.iter_markers("exercise"):
        if len(mark.args) != 1 or not isinstance(mark.args[0], str) or mark.kwargs:
            raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.exercise(\"<id>\") with one "
                                    f"exercise id, got args {mark.args} kwargs {mark.kwargs}")
        ids.append(mark.args[0])
    if len(set(ids)) > 1:
        raise pytest.UsageError(f"{item.nodeid}: a test grades one exercise, it is marked with "
                                f"{sorted(set(ids))}")
    return ids[0] if ids else None


def pytest_collection_modifyitems(config, items):
    owners = {item: _exercise_of(item) for item in items}
    wanted = config.getoption("exercise")
    if not wanted:
        return
    known = {ex_id for ex_id in owners.values() if ex_id}
    try:
        from minigrad.homework import EXERCISES
        known |= set(EXERCISES)
    except Exception:  # noqa: BLE001  (a broken copy being graded: judge by the tests alone)
        pass
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise pytest.UsageError(f"--exercise: unknown id(s) {', '.join(unknown)}; known: "
                                f"{', '.join(sorted(known))}")
    keep = [item for item in items if owners[item] in wanted]
    dropped = [item for item in items if owners[item] not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


# ---------------------------------------------------------------- per-test time limit

def _seconds():
    try:
        return float(os.environ.get("MINIGRAD_TEST_TIMEOUT", "0") or 0)
    except ValueError:
        return 0.0


@contextlib.contextmanager
def _time_limit(what):
    """Fail (``pytest.fail``, which ``except Exception`` does not catch) after the limit."""
    seconds = _seconds()
    if seconds <= 0 or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        pytest.fail(f"{what} {_TIME_LIMIT_TEXT} of {seconds:g} s", pytrace=False)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_WITHHELD = "withheld from the student copy"  # how minigrad.homework's spoiler stubs begin


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if (call.excinfo is not None and call.excinfo.errisinstance(NotImplementedError)
            and str(call.excinfo.value).startswith(_WITHHELD)):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f"Skipped: this test needs code {call.excinfo.value}; your instructor's "
                           f"tests run it")
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _time_limit("setup"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _time_limit("the test"):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with _time_limit("teardown"):
        return (yield)


# ---------------------------------------------------------------- grading report

def _inside(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# What NumPy's assertions write after their header and the test's own message (err_msg)
_NUMPY_DETAIL = re.compile(r"(Mismatched elements|Mismatch at index|Max (absolute|relative) difference|"
                           r"\(shapes |\(mismatch|x: |y: |ACTUAL: |DESIRED: )")


def _summary(message):
    """A failure's message in one line, as the grade report records it: its first line; for
    NumPy's assertions, whose first line is only ``AssertionError:``, the header after it
    ("Arrays are not equal") and the test's own message (``err_msg``), if it gave one."""
    rows = [row.strip() for row in message.splitlines()]
    filled = [i for i, row in enumerate(rows) if row]
    if not filled:
        return ""
    summary = rows[filled[0]]
    if summary.endswith(":") and len(filled) > 1:  # NumPy's "AssertionError: \nNot equal to ..."
        header = filled[1]
        summary = f"{summary} {rows[header]}"
        own = rows[header + 1] if header + 1 < len(rows) else ""
        if own and not _NUMPY_DETAIL.match(own):
            summary = f"{summary}: {own}"
    return summary


class _GradeReporter:
    """Writes the JSON lines that ``minigrad.homework.grade`` reads (flushed as it goes,
    so a run stopped by the overall time limit still leaves the tests it finished)."""

    def __init__(self, path, root, resume=None):
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115  (closed at unconfigure)
        self.root = root
        self.outcomes = {}  # node id -> [outcome, message] of the test being run
        self.owners = {}  # node id -> exercise id, from the collection
        self.done, self.strikes = set(), {}
        if resume:
            with open(resume, encoding="utf-8") as f:
                state = json.load(f)
            self.done, self.strikes = set(state["done"]), dict(state["strikes"])

    def write(self, **record):
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def check_minigrad(self):
        """Stop the session if any minigrad module comes from outside the graded folder."""
        if not self.root:
            return
        for name, module in list(sys.modules.items()):
            if name == "minigrad" or name.startswith("minigrad."):
                where = getattr(module, "__file__", None) or str(getattr(module, "__path__", ""))
                if not _inside(where, self.root):
                    self.write(wrong_minigrad=f"{name} from {where}")
                    pytest.exit(f"{name} was imported from {where}, not from {self.root}",
                                returncode=4)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        try:
            with _time_limit("import minigrad"):
                import minigrad
        except BaseException as e:  # noqa: BLE001  (SyntaxError, SystemExit, a time limit...)
            self.write(import_error=f"{type(e).__name__}: {e}".splitlines()[0])
            return
        self.write(minigrad_file=os.path.realpath(minigrad.__file__))  # through the grader's link
        self.check_minigrad()

    def pytest_collectreport(self, report):
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.write(collect_error=f"{report.nodeid}: {text[-1] if text else 'error'}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        left = [item for item in items if item.nodeid in self.done]
        if left:  # graded before the test process died
            config.hook.pytest_deselected(items=left)
            items[:] = [item for item in items if item.nodeid not in self.done]

    def pytest_collection_finish(self, session):
        self.owners = {item.nodeid: _exercise_of(item) for item in session.items}
        self.write(collected=[[nodeid, ex_id] for nodeid, ex_id in self.owners.items() if ex_id])

    def pytest_runtest_logstart(self, nodeid, location):
        self.write(started=nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        ex_id = _exercise_of(item)
        if self.strikes.get(ex_id, 0) >= STRIKES:
            pytest.fail(f"{STRIKES} earlier tests of {ex_id} timed out or crashed, {_GAVE_UP_TEXT}",
                        pytrace=False)

    def pytest_runtest_logreport(self, report):
        state = self.outcomes.setdefault(report.nodeid, [None, ""])  # outcome so far
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = _summary(getattr(crash, "message", None) or str(report.longrepr))
            if state[0] in (None, "skipped", "passed"):  # the first failure of a test decides
                outcome = ("timeout" if _TIME_LIMIT_TEXT in message else
                           "not run" if _GAVE_UP_TEXT in message else "failed")
                if outcome == "not run":
                    message = message.removeprefix("Failed: ")
                state[:] = [outcome, message]
        elif report.skipped and state[0] is None:
            state[:] = ["skipped", str(report.longrepr[-1]) if isinstance(report.longrepr, tuple)
                        else ""]
        elif report.when == "call" and report.passed and state[0] is None:
            state[0] = "passed"
        if report.when == "teardown":
            outcome, message = self.outcomes.pop(report.nodeid)
            outcome = outcome or "not run"
            if outcome == "timeout":
                ex_id = self.owners.get(report.nodeid)
                self.strikes[ex_id] = self.strikes.get(ex_id, 0) + 1
            self.write(nodeid=report.nodeid, outcome=outcome, message=message[:300])

    def pytest_sessionfinish(self, session, exitstatus):
        self.check_minigrad()
        self.write(finished=int(exitstatus))

    def pytest_unconfigure(self, config):
        self.file.close()
