"""The two homework commands of ``python -m minigrad``: ``student-copy`` and ``grade``.

Each takes the argparse Namespace of its subcommand, prints what it did, and
returns the exit status (the command line, ``minigrad/cli/homework.py``,
calls them by name, as ``minigrad.homework.<function>(args)``).
"""

import os
import sys

from .copy import student_copy
from .grading import GradingError, _instructor_root, grade
from .markers import HomeworkError, find_spoilers, scan

__all__ = ["student_copy_command", "grade_command"]


def _ids(args):
    """The exercise ids of a command line, or None for all.

    Accepts ``args.exercise`` (repeated ``--exercise ID``: a list, or one str)
    and ``args.exercises`` (``--exercises a,b``: a list, or a comma-separated str).
    """
    ids = []
    for name in ("exercise", "exercises"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        ids += [v for v in value or () if v]
    return ids or None


def student_copy_command(args):
    """``python -m minigrad student-copy SRC DST [--exercise ID ...]``; returns the exit status.

    ``args`` is the argparse Namespace, with ``src``, ``dst`` and ``exercise``
    (a list of ids or None) or ``exercises`` (a list, or ids separated by commas). Prints what was
    stripped, one line per exercise, then one line per spoiler withheld. A refused copy prints
    one line to stderr and returns 2.
    """
    try:
        stripped = student_copy(args.src, args.dst, _ids(args))
        regions = {r.id: r for r in scan(args.dst)}
        withheld = [s for s in find_spoilers(args.dst) if s.stubbed]
    except (HomeworkError, OSError) as e:
        print(f"minigrad student-copy: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote a student copy of {args.src} to {args.dst}: {len(stripped)} exercise(s) stripped")
    width = max((len(e) for e in stripped), default=0)
    for ex_id in stripped:
        r = regions[ex_id]
        where = os.path.relpath(r.path, args.dst).replace(os.sep, "/")
        print(f"  {ex_id:<{width}}  {where}:{r.begin}")
    if withheld:
        print(f"withheld {len(withheld)} spoiler(s), code elsewhere that gives these exercises away:")
        for s in withheld:
            where = os.path.relpath(s.path, args.dst).replace(os.sep, "/")
            cell = f" (cell {s.cell + 1})" if s.cell is not None else ""
            print(f"  {where}:{s.begin}{cell}  ({', '.join(s.ids)})")
    return 0


def grade_command(args):
    """``python -m minigrad grade PATH [--exercise ID ...]``; returns the exit status.

    ``args`` is the argparse Namespace, with ``path`` and ``exercise`` (a list
    of ids, one id, or None; or ``exercises``), and optionally ``timeout`` (seconds per test),
    ``total_timeout`` (seconds for the run) and ``verbose`` (also list each failed test). Prints the table. Returns
    0 when every graded test passed, 1 when some failed or grading was
    impossible, 2 for a bad PATH or id.
    """
    kwargs = {}
    for name in ("timeout", "total_timeout"):
        if getattr(args, name, None) is not None:
            kwargs[name] = getattr(args, name)
    try:
        report = grade(args.path, _ids(args), **kwargs)
    except HomeworkError as e:
        print(f"minigrad grade: error: {e}", file=sys.stderr)
        return 2
    except GradingError as e:
        print(f"minigrad grade: cannot grade: {e}", file=sys.stderr)
        return 1
    print(f"grading {report.path} with the tests in {_instructor_root() / 'tests'}")
    print(report.table())
    for problem in report.problems:
        print(f"note: {problem}")
    failed = [(n, t) for n, t in report.tests.items() if t[1] != "passed"]
    if failed and getattr(args, "verbose", False):
        for nodeid, (ex_id, outcome, message) in failed:
            print(f"{outcome.upper()} [{ex_id}] {nodeid}" + (f": {message}" if message else ""))
    return 0 if not failed and report.total else 1
