"""Reached only by ``python -m minigrad`` run from the folder *above* a clone named ``minigrad``.

There, Python takes the clone's folder for the package (a namespace package,
as it has no ``__init__.py``) instead of the real one inside it, and would fail
with a baffling import error. Say what happened in one line instead.
"""

import sys

sys.exit("minigrad: this is the folder above the clone, so Python took the clone's folder for the "
         "package; cd into the clone (cd minigrad) and run the command again")
