"""Homework: exercises marked in minigrad's own source, a student copy, a grader.

An exercise is one function body, framed by two comment lines of its own:
a line ``# BEGIN SOLUTION <id>`` just below the docstring and a line
``# END SOLUTION`` after the body, both at the body's indentation (see
``docs/homework.md`` for a picture). The signature and the docstring (the
task) stay outside, and the code between the markers is the normal, tested
implementation. The parts, one file each:

- ``curriculum.py``: :data:`EXERCISES`, every exercise in the order a
  student should solve them, from easy to hard (:data:`LEVELS`); each
  exercise's tests use only the exercises before it.
- ``markers.py``: :func:`scan` finds the regions (:class:`Region`) and
  :func:`find_spoilers` the code elsewhere that gives an answer away
  (``# BEGIN SPOILER <id> [<id> ...]`` / ``# END SPOILER``,
  :class:`Spoiler`); bad markers raise :class:`HomeworkError` with file:line.
- ``copy.py``: :func:`student_copy` copies a tree and replaces every chosen
  region's body by ``raise NotImplementedError("exercise <id>")`` at the
  marker's indentation, withholds the spoilers of those ids, keeps
  everything else byte-identical, and records the assignment
  (:data:`ASSIGNMENT`).
- ``grading.py``: :func:`grade` runs the *instructor's* exercise tests (the
  ``tests/`` folder next to this minigrad package; ``pytest --exercise <id>``
  selects them, see ``tests/conftest.py``) against a student copy, through
  ``watchdog.py`` (a subprocess with a per-test and an overall time limit,
  restarted after a crash), and returns a :class:`GradeReport`
  (``report.py``).
- ``catalogue.py``: :data:`MISTAKES`, the typical wrong answers of each
  exercise; targeted tests fail with their hint, and the report's table
  shows it next to the exercise.
- ``commands.py``: ``python -m minigrad student-copy`` and ``grade``.

``docs/homework.md`` is the instructor's guide.
"""

from .catalogue import MISTAKES, Mistake
from .commands import grade_command, student_copy_command
from .copy import ASSIGNMENT, student_copy
from .curriculum import EXERCISES, LEVELS
from .grading import GradingError, grade
from .markers import HomeworkError, Region, Spoiler, find_exercises, find_spoilers, scan
from .report import ExerciseResult, GradeReport

__all__ = ["EXERCISES", "LEVELS", "ASSIGNMENT", "MISTAKES", "HomeworkError", "GradingError", "Region", "Spoiler",
           "Mistake", "ExerciseResult", "GradeReport", "scan", "find_exercises", "find_spoilers", "student_copy",
           "grade", "student_copy_command", "grade_command"]
