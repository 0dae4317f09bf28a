"""function.py: what the engine asks of NumPy."""

import numpy as np
import pytest

from minigrad.function import _check_numpy_version


@pytest.mark.parametrize("version", ["1.24.0", "1.26.4", "1.99.0rc1"])
def test_numpy_1_is_refused_by_name(version):
    # With NumPy 1 a float32 graph quietly turns float64 (a 0-d float32 / a Python int
    # is float64 there) and np.asarray(t) fails inside NumPy: refuse at import instead.
    with pytest.raises(ImportError, match=rf"NumPy 2 or newer.*found {version}.*pip install"):
        _check_numpy_version(version)


@pytest.mark.parametrize("version", ["2.0.0", "2.0.2", "2.4.6", "2.5.0.dev0+git123", "3.0.0rc1"])
def test_numpy_2_and_later_pass(version):
    assert _check_numpy_version(version) is None


def test_the_installed_numpy_passes():
    assert _check_numpy_version(np.__version__) is None
