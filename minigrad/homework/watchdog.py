"""The watchdog: pytest run in a subprocess on a student copy, under time limits, restarted after a crash.

The test process writes one JSON line per event (``tests/conftest.py``'s
grade reporter: a test started, a test finished, what was collected, where
``minigrad`` came from); this module reads them as they come. A test that
outlives the per-test limit where the alarm cannot stop it is killed; a test
that kills its process is recorded as ``"crashed"``; in both cases the tests
not yet run go on in a new process.
"""

import collections
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STALL_SLACK = 10
"""Seconds a stuck test gets beyond three per-test limits (setup, call, teardown) before its kill."""


def _import_folder(root, tmp):
    """A folder holding only a link to ``root/minigrad``: the test run's import path and working folder.

    NOTE: putting ``root`` itself first on the path would let any stray module
    at the top of the copy (a student's ``random.py`` or ``numpy.py``) shadow
    what the tests import. Where links cannot be made (Windows without the
    privilege), ``root`` is used as before.
    """
    folder = Path(tmp) / "import"
    folder.mkdir()
    try:
        os.symlink(root / "minigrad", folder / "minigrad", target_is_directory=True)
    except (OSError, NotImplementedError):
        return root
    return folder


def _clean_env(root, path, report, per_test):
    """The environment of a test run: only ``root`` provides minigrad, through ``path``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "PYTHONHOME")}
    others = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
              if p and not (Path(p) / "minigrad" / "__init__.py").exists()]
    env["PYTHONPATH"] = os.pathsep.join([str(path)] + others)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # write nothing into either tree
    env["MINIGRAD_GRADE_ROOT"] = str(root)
    env["MINIGRAD_GRADE_REPORT"] = str(report)
    env["MINIGRAD_TEST_TIMEOUT"] = str(per_test)
    return env


_MARKED = re.compile(rb"mark\.exercise\(")


def _exercise_files(tests):
    """The test files under ``tests`` that mark exercise tests (collecting only these is faster)."""
    files = sorted(p for p in tests.rglob("*.py") if "__pycache__" not in p.parts and
                   (p.name.startswith("test_") or p.name.endswith("_test.py")))
    return [p for p in files if _MARKED.search(p.read_bytes())]


def _read_records(path, offset):
    """The whole JSON lines of ``path`` from byte ``offset`` on, and the offset after them."""
    records = []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return records, offset
    whole = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next read
    for line in whole.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line cut off by a kill
    return records, offset + len(whole)


def _stop(proc):
    """Kill a test run and anything it started."""
    if hasattr(os, "killpg"):
        os.killpg(proc.pid, signal.SIGKILL)
    else:  # Windows: no process groups here; stop the run itself
        proc.kill()
    proc.wait()


def _tail(path, lines=15):
    """The last ``lines`` lines of a (possibly huge) output file."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 16384))
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-lines:])


def _how_it_died(code):
    """``"SIGSEGV"`` for a run killed by a signal, else ``"exit status 3"``."""
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _interruption(tail):
    """What a test did to end its pytest session early, read from the run's last lines of output."""
    if "KeyboardInterrupt" in tail:
        return "raised KeyboardInterrupt"
    exit_call = re.search(r"Exit: (.*?) !+$", tail, re.M)
    if exit_call:
        return f"called pytest.exit({exit_call[1]!r})"
    return "stopped the test session"


def _watch(cmd, cwd, env, out, report, stall, deadline):
    """Run one pytest process, watching its report; returns (records, returncode, stopped).

    ``stopped`` is None, ``"deadline"`` (the whole run's time is up) or
    ``"stalled"`` (a test outlived the per-test limit without the alarm
    stopping it, e.g. stuck in C code); the process is then killed.
    """
    records, offset, stopped = [], 0, None
    running, since = None, None  # the test in progress and when it started
    with open(out, "ab") as sink:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    while True:
        try:
            proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
        new, offset = _read_records(report, offset)
        records += new
        for r in new:
            if "started" in r:
                running, since = r["started"], time.monotonic()
            elif r.get("nodeid") == running:
                running = None
        if proc.returncode is not None:
            return records, proc.returncode, stopped
        if time.monotonic() > deadline:
            stopped = "deadline"
        elif stall and running is not None and time.monotonic() - since > stall:
            stopped = "stalled"
        if stopped:
            _stop(proc)


def _run_pytest(root, tests, args, per_test, overall):
    """Run pytest on the instructor's ``tests`` with ``root`` on the import path.

    Returns (records, returncode, output tail, timed_out, notes); records are
    the JSON lines the grading hooks of ``tests/conftest.py`` wrote. If the
    test process dies during a test (a segfault, ``os._exit``, a kill) or a
    test outlives the per-test limit without the alarm stopping it, that test
    is recorded as ``"crashed"`` or ``"timeout"`` and the tests not yet run go
    on in a fresh process; ``notes`` says what happened, one line each.
    """
    deadline = time.monotonic() + overall
    stall = 3 * per_test + STALL_SLACK if per_test else None  # three phases, then some slack
    records, notes, done, owners, strikes = [], [], set(), {}, {}
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-") as tmp:
        out, resume = Path(tmp) / "output.txt", Path(tmp) / "resume.json"
        path = _import_folder(root, tmp)
        files = [str(p) for p in _exercise_files(tests)] or [str(tests)]
        # NOTE: without hypothesis's plugin, which the homework tests do not use, pytest
        # starts in half the time (0.7 s, not 1.4 s), and grading starts one pytest per run
        cmd = [sys.executable, "-s", "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
               "-p", "no:hypothesispytest", "--rootdir", str(tests.parent), "-o", "addopts=",
               "--import-mode=importlib", "--show-capture=no", *args]
        for attempt in itertools.count():
            report = Path(tmp) / f"report-{attempt}.jsonl"
            env = _clean_env(root, path, report, per_test)
            if done:
                resume.write_text(json.dumps({"done": sorted(done), "strikes": strikes}),
                                  encoding="utf-8")
                env["MINIGRAD_GRADE_RESUME"] = str(resume)
            new, code, stopped = _watch(cmd, path, env, out, report, stall, deadline)
            records += new
            finished = {r["nodeid"] for r in new if "nodeid" in r}
            running = [r["started"] for r in new if "started" in r and r["started"] not in finished]
            ended = any("finished" in r for r in new)  # the session itself came to its end
            if stopped == "deadline" or not running:  # not running: died outside any test, or done
                break
            nodeid = running[-1]
            if stopped == "stalled":
                outcome, why = "timeout", (f"ran past the time limit without stopping (stuck "
                                           f"outside Python?), so its process was killed after {stall:g} s")
            elif ended:  # NOTE: KeyboardInterrupt or pytest.exit() in a test ends the whole session
                outcome, why = "crashed", f"{_interruption(_tail(out))}, which ends a pytest run"
            else:
                outcome, why = "crashed", f"ended the test process ({_how_it_died(code)})"
            records.append({"nodeid": nodeid, "outcome": outcome, "message": f"this test {why}"})
            notes.append(f"{nodeid} {why}; the tests after it ran in a new process")
            for r in new:
                owners.update(r.get("collected", ()))
            strikes = collections.Counter(owners.get(r["nodeid"]) for r in records
                                          if r.get("outcome") in ("timeout", "crashed"))
            done |= finished | {nodeid}
        timed_out = stopped == "deadline"
        tail = _tail(out)
    return records, code, tail, timed_out, notes

