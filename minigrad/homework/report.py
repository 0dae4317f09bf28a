"""The grade report: each exercise's score, each test's outcome, and why an exercise probably failed."""

import collections.abc
import re
from dataclasses import dataclass, field

from .catalogue import mistakes_in

__all__ = ["ExerciseResult", "GradeReport"]

# the first line of a test that ran into an exercise's stub, as the grade reporter records it
_STUB = re.compile(r"NotImplementedError: exercise ([A-Za-z_][A-Za-z0-9_.]*)")


@dataclass(frozen=True)
class ExerciseResult:
    """The score of one exercise: ``passed`` of ``total`` tests, ``score`` = passed / total."""

    passed: int
    total: int

    @property
    def score(self):
        """Fraction of the exercise's tests passed, in [0, 1] (0 when it has no test)."""
        return self.passed / self.total if self.total else 0.0

    def __iter__(self):  # unpacks as (passed, total, score)
        return iter((self.passed, self.total, self.score))


@dataclass
class GradeReport(collections.abc.Mapping):
    """What :func:`grade` found: a read-only mapping exercise id → :class:`ExerciseResult`.

    Attributes
    ----------
    path : str
        The graded copy.
    minigrad_file : str or None
        ``minigrad.__file__`` as the test run imported it (inside ``path``);
        None if ``import minigrad`` failed there.
    results : dict
        Exercise id → ExerciseResult, in curriculum order.
    tests : dict
        Test node id → (exercise id, outcome, message); outcome is
        ``"passed"``, ``"failed"``, ``"timeout"``, ``"crashed"`` (the test
        process died during it), ``"skipped"`` or ``"not run"``.
    problems : list of str
        Run-level problems (``import minigrad`` failed, collection errors,
        the overall time limit), each one line.
    """

    path: str
    minigrad_file: object
    results: dict
    tests: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def __getitem__(self, ex_id):
        return self.results[ex_id]

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    @property
    def passed(self):
        """Tests passed, over all graded exercises."""
        return sum(r.passed for r in self.results.values())

    @property
    def total(self):
        """Tests run, over all graded exercises."""
        return sum(r.total for r in self.results.values())

    @property
    def score(self):
        """The mean of the exercises' scores, in [0, 1]: every exercise weighs the same."""
        return sum(r.score for r in self.results.values()) / len(self.results) if self.results else 0.0

    def notes(self):
        """Why each exercise with failed tests probably failed: ``{exercise id: [note, ...]}``.

        Read from the first lines of the failed tests' messages, two kinds:

        - ``likely mistake [<slug>]: <hint>``, once for each catalogued
          mistake (:mod:`minigrad.homework.catalogue`) that a targeted test
          of the exercise saw;
        - ``<n> of <k> failed tests stopped at <id>, not done yet``, for
          each *other* exercise whose stub (``NotImplementedError: exercise
          <id>``) those tests ran into: the exercise cannot be judged before
          that one is solved.

        Exercises with no note are left out.
        """
        found = {}
        for ex_id, outcome, message in self.tests.values():
            if outcome in ("passed", "skipped"):
                continue
            found.setdefault(ex_id, []).append(message)
        notes = {}
        for ex_id, messages in found.items():
            rows = list(dict.fromkeys(str(m) for text in messages for m in mistakes_in(text)))
            waits = collections.Counter(other for text in messages for other in set(_STUB.findall(text))
                                        if other != ex_id)
            rows += [f"{n} of {len(messages)} failed tests stopped at {other}, not done yet"
                     for other, n in waits.most_common()]
            if rows:
                notes[ex_id] = rows
        return notes

    def table(self):
        """The report as text: one row per exercise (passed/total, score, and its notes) and a total row.

        The ``note`` column appears when some exercise has a note (:meth:`notes`):
        a likely mistake, or an earlier exercise not done yet that stopped its
        tests; an exercise with several notes takes one line for each.
        """
        notes = {ex_id: rows for ex_id, rows in self.notes().items() if ex_id in self.results}
        width = max([len("exercise"), len("total")] + [len(e) for e in self.results])
        blank = " " * (width + 2 + 9 + 2 + 6)
        rows = [f"{'exercise':<{width}}  {'passed':>9}  {'score':>6}" + ("  note" if notes else "")]
        for ex_id, r in self.results.items():
            first, *more = notes.get(ex_id, [""])
            row = f"{ex_id:<{width}}  {f'{r.passed}/{r.total}':>9}  {100 * r.score:5.1f}%"
            rows.append(f"{row}  {first}" if first else row)
            rows += [f"{blank}  {note}" for note in more]
        rows.append(f"{'total':<{width}}  {f'{self.passed}/{self.total}':>9}  "
                    f"{100 * self.score:5.1f}%")
        return "\n".join(rows)
