"""function.py and tensor.py: what the engine asks of NumPy; op subclasses."""

import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.tensor import _check_numpy_version


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


def test_a_subclass_of_an_op_runs_its_own_forward_and_backward():
    import minigrad as mg
    from minigrad import ops
    from minigrad.function import Function

    class Twice(ops.Mul):
        def forward(self, x, y):
            self.x, self.y = x, 2 * y
            return x * self.y

    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = Twice.apply(x, 3.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [6.0, 12.0])
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    assert ops.Mul.apply(x, 3.0).data.tolist() == [3.0, 6.0]  # Mul's own, untouched

    class Own(Function):  # a class that writes its own apply keeps it
        @classmethod
        def apply(cls, x):
            return "own"

    assert Own.apply(x) == "own"


def test_a_graph_alive_at_interpreter_exit_frees_quietly(tmp_path):
    """Tutorials 01 and 02, run as scripts, ended with 'Exception ignored in: Function.__del__':
    with IPython imported, the graph was freed after function.py's globals were set to None."""
    pytest.importorskip("IPython")
    script = tmp_path / "graph_at_exit.py"
    script.write_text("from IPython.display import Markdown\n"
                      "import numpy as np\n"
                      "import minigrad as mg\n"
                      "w = mg.Tensor(np.float64(0.5), requires_grad=True)\n"
                      "L = ((w * 2.0).tanh() - 1.0) ** 2\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "Exception ignored" not in done.stderr, done.stderr


def test_a_gradient_with_fewer_axes_than_its_input_gets_the_shape_message():
    """unbroadcast raised a bare IndexError for a (3,) gradient of a (3, 1) input."""
    class Flatten(mg.Function):
        def forward(self, x):
            return x.reshape(-1)

        def backward(self, g):
            return g                                   # forgot to reshape back

    x = mg.Tensor(np.ones((3, 1)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Flatten.backward returned a gradient of shape \(3,\) for an "
                                           r"input of shape \(3, 1\); it must have the input's shape"):
        Flatten.apply(x).sum().backward()


def test_a_complex_grad_for_backward_is_refused():
    """NumPy dropped the imaginary part with only a ComplexWarning."""
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="grad is complex"):
        (x * 2).backward(np.ones(3) * 1j)
    assert x.grad is None


def test_a_backward_may_return_its_gradients_as_a_list():
    # before: [g * y, g * x] counted as one gradient: "returned 1 gradients for 2 inputs"
    class ListMul(mg.Function):
        def forward(self, x, y):
            self.x, self.y = x, y
            return x * y

        def backward(self, g):
            return [g * self.y, g * self.x]

    a = mg.Tensor(np.array([2.0, 3.0]), requires_grad=True)
    b = mg.Tensor(np.array([5.0, 7.0]), requires_grad=True)
    ListMul.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0, 7.0])
    np.testing.assert_array_equal(b.grad, [2.0, 3.0])


def test_a_leaf_frozen_between_forward_and_backward_gets_no_gradient():
    # before: .grad was filled anyway, and an optimizer would then step the frozen parameter
    torch = pytest.importorskip("torch")
    w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    v = mg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = (w * w * v).sum()
    w.requires_grad_(False)
    y.backward()
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    tv = torch.tensor([3.0, 4.0], requires_grad=True)
    ty = (tw * tw * tv).sum()
    tw.requires_grad_(False)
    ty.backward()
    assert w.grad is None and tw.grad is None
    np.testing.assert_array_equal(v.grad, tv.grad.numpy())
