"""optim.optimizer.axpy: y ← y + a·x in place, by BLAS where it can and by NumPy elsewhere."""

import numpy as np
import pytest

from minigrad.optim.optimizer import axpy


def _cases():
    rng = np.random.default_rng(0)
    full = rng.standard_normal((6, 8))
    yield "float32 contiguous (BLAS)", full.astype(np.float32), full[::-1].astype(np.float32).copy()
    yield "float64 contiguous (BLAS)", full, full[::-1].copy()
    yield "float64 strided y (NumPy)", full[:, :4].copy(), full[:, ::2]
    yield "float16 (NumPy)", full.astype(np.float16), full[::-1].astype(np.float16).copy()
    yield "0-d (BLAS)", np.array(1.5), np.array(2.0)


@pytest.mark.parametrize("name, x, y", list(_cases()), ids=[c[0] for c in _cases()])
def test_axpy_updates_y_in_place(name, x, y):
    expected = y.astype(np.float64) - 0.25 * x.astype(np.float64)
    before = y.__array_interface__["data"][0]
    x_copy = x.copy()
    axpy(-0.25, x, y, np.empty(y.shape, y.dtype))
    assert y.__array_interface__["data"][0] == before
    tol = 1e-3 if y.dtype == np.float16 else 1e-6
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    np.testing.assert_array_equal(x, x_copy)  # x is only read


def test_axpy_writes_into_a_strided_parameter_view():
    base = np.ones((4, 4))
    y = base[:, ::2]                      # not contiguous: BLAS would work on a copy
    axpy(2.0, np.ones((4, 2)), y, np.empty((4, 2)))
    np.testing.assert_array_equal(base[:, ::2], 3.0)
    np.testing.assert_array_equal(base[:, 1::2], 1.0)
