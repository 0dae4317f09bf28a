"""scikit-learn estimators: a minigrad MLP, trained by any of the eight optimizers, in a Pipeline.

:class:`MLPClassifier` and :class:`MLPRegressor` follow scikit-learn's
estimator rules, so they work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV`` like scikit-learn's own ``MLPClassifier``:

- ``__init__`` only stores its arguments; ``fit`` checks them, so a grid
  search can try any value and a bad one fails where it is used;
- ``fit(X, y)`` starts from fresh weights drawn from ``random_state`` and
  trains for ``epochs`` passes; ``partial_fit(X, y)`` makes one more pass over
  the data it is given (the lecture's on-line learning: the model learns from
  each chunk as it arrives and never needs the whole set at once);
- everything learned ends in ``_`` (``model_``, ``optimizer_``, ``classes_``,
  ``loss_curve_``, ``n_iter_``, ``n_features_in_``).

The learning itself is minigrad's: ``model_`` is an ``nn.Sequential`` of
``nn.Linear`` layers and activations (``nn.ReLU`` by default), ``optimizer_``
one of the eight optimizers of :mod:`minigrad.optim`, and every pass is one call of
:func:`minigrad.optim.train` under the chosen regime.

>>> from sklearn.datasets import load_iris
>>> from sklearn.model_selection import GridSearchCV
>>> from minigrad.estimators import MLPClassifier
>>> X, y = load_iris(return_X_y=True)
>>> grid = {"optimizer": ["sgdm", "adam"], "regime": ["minibatch", "offline"]}
>>> search = GridSearchCV(MLPClassifier(lr=0.01, epochs=30, random_state=0), grid).fit(X, y)
>>> sorted(search.best_params_)
['optimizer', 'regime']
"""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import nn, optim
from .grad_mode import no_grad
from .optim.regimes import regime_name
from .tensor import Tensor

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover  (older scikit-learn: the same helper, as a method)
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

__all__ = ["MLPClassifier", "MLPRegressor", "OPTIMIZERS", "ACTIVATIONS"]

# The names the ``optimizer`` parameter accepts (case-insensitive): the lecture's eight.
OPTIMIZERS = {
    "sgd": optim.SGD,
    "sgdm": optim.SGDM,
    "adagrad": optim.Adagrad,
    "rmsprop": optim.RMSProp,
    "adam": optim.Adam,
    "amsgrad": optim.AMSGrad,
    "swats": optim.SWATS,
    "radam": optim.RAdam,
}

# The names the ``activation`` parameter accepts: scikit-learn's, each as the layer it adds.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": None,  # no layer: the network is linear in x
}

# NOTE: float32 input keeps a float32 network (fast, minigrad's default); anything else
# becomes float64, as scikit-learn's own MLP does. scikit-learn's checks compare a
# prediction made row by row with one made for the whole batch to 1e-7, which
# float32 matrix products (different BLAS kernels for 1 row and for many) can miss.
_DTYPES = (np.float64, np.float32)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, network, training passes.

    Subclasses say how targets become training targets (``_targets``), how
    many outputs the network has, and which loss it minimises (``_loss``).
    """

    def __init__(self, hidden_layer_sizes=(64,), optimizer="adam", lr=1e-3, regime="minibatch",
                 batch_size=32, epochs=50, weight_decay=0.0, random_state=None, activation="relu"):
        # NOTE: scikit-learn's rule: store the arguments unchanged and check nothing here;
        # clone() and set_params() rebuild estimators through __init__, and fit() checks.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.optimizer = optimizer
        self.lr = lr
        self.regime = regime
        self.batch_size = batch_size
        self.epochs = epochs
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.activation = activation

    # ------------------------------------------------------------ fitting

    def fit(self, X, y):
        """Train a fresh network for ``epochs`` passes over ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for the regressor)

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad parameter value (an unknown optimizer or regime, sizes
            below 1), bad data (NaN, wrong shapes), or fewer than two classes.
        FloatingPointError
            When the loss becomes NaN or infinite (lower ``lr``).

        A ``fit`` that raises leaves the estimator unfitted, whatever an
        earlier ``fit`` had learned.
        """
        self._forget_fit()
        try:
            self._check_params()
            X, y = validate_data(self, X, y, dtype=_DTYPES, **self._y_options)
            targets = self._targets(y, first=True)
            rng = _generator(self.random_state)
            model, optimizer = self._build(X.shape[1], X.dtype, rng)
            history = self._pass(model, optimizer, X, targets, self.epochs, rng)
        except BaseException:
            self._forget_fit()  # no classes_ or n_features_in_ of a fit that never finished
            raise
        self.model_, self.optimizer_, self._rng = model, optimizer, rng
        self._network_ = self._network()
        self.loss_curve_ = list(history.epoch_loss)
        self.n_iter_ = self.epochs
        return self

    def __sklearn_is_fitted__(self):
        """Fitted means a trained network: ``check_is_fitted`` asks this, not the ``_`` attributes."""
        return hasattr(self, "model_")

    def _forget_fit(self):
        """Drop what an earlier fit learned, so that a fit that fails leaves an unfitted estimator.

        NOTE: ``fit`` sets ``classes_`` (or ``n_outputs_``) and ``n_features_in_``
        before it builds the network; a failure after that (a bad ``lr``, a
        loss that overflows) left them beside the old ``model_``, whose answers
        then had the wrong shape or labels.
        """
        for name in ("model_", "optimizer_", "_rng", "_network_", "loss_curve_", "n_iter_", "classes_",
                     "n_outputs_", "n_features_in_", "feature_names_in_"):
            vars(self).pop(name, None)

    def _partial_fit(self, X, y, classes=None):
        """One pass over ``(X, y)``, building the network on the first call.

        Every call checks the parameters again: a later call takes a new
        ``lr``, ``weight_decay``, ``regime``, ``batch_size`` (set with
        ``set_params`` between calls, a schedule by hand), and refuses a new
        ``optimizer``, ``hidden_layer_sizes`` or ``activation``, which would
        need another network or optimizer state (``fit`` starts again).
        """
        first = not hasattr(self, "model_")
        self._check_params()
        if first:
            self._forget_fit()
        else:
            self._check_same_network()
        X, y = validate_data(self, X, y, reset=first, dtype=_DTYPES, **self._y_options)
        targets = self._targets(y, first=first, classes=classes)
        if first:
            self._rng = _generator(self.random_state)
            self.model_, self.optimizer_ = self._build(X.shape[1], X.dtype, self._rng)
            self._network_ = self._network()
            self.loss_curve_, self.n_iter_ = [], 0
        for group in self.optimizer_.param_groups:  # the optimizer checks them at its step
            group["lr"], group["weight_decay"] = self.lr, self.weight_decay
        X = X.astype(self.model_[0].weight.dtype, copy=False)  # the dtype of the first call
        history = self._pass(self.model_, self.optimizer_, X, targets, 1, self._rng)
        self.loss_curve_.extend(history.epoch_loss)
        self.n_iter_ += 1
        return self

    def _network(self):
        """What the network and optimizer were built from: (hidden sizes, activation, optimizer)."""
        return (_hidden_sizes(self.hidden_layer_sizes), self.activation, self.optimizer.lower())

    def _check_same_network(self):
        """Raise ValueError if a parameter the network or optimizer was built from changed since."""
        names = ("hidden_layer_sizes", "activation", "optimizer")
        for name, built, now in zip(names, self._network_, self._network()):
            if built != now:
                raise ValueError(f"partial_fit: {name} is {getattr(self, name)!r}, but the network was "
                                 f"built with {built!r} on the first call; a partial_fit continues that "
                                 f"network and its optimizer state, so call fit() to start a new one")

    def _pass(self, model, optimizer, X, targets, epochs, rng):
        """``epochs`` passes of minigrad's training loop under ``regime``; the History."""
        return optim.train(model, self._loss, optimizer, X, targets, regime=self.regime,
                           batch_size=self.batch_size, epochs=epochs, rng=rng)

    def _build(self, n_features, dtype, rng):
        """The network and its optimizer, weights drawn from ``rng``, in ``dtype``.

        Math::

            f(x) = W_L · a(… a(W_1 x + b_1) …) + b_L     (a = activation; none on the output)
        """
        sizes = [n_features, *_hidden_sizes(self.hidden_layer_sizes), self._n_outputs]
        act = ACTIVATIONS[self.activation]
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out, rng=rng, dtype=dtype)] + ([act()] if act else [])
        if act:
            layers.pop()  # no activation after the output layer
        model = nn.Sequential(*layers)
        optimizer = OPTIMIZERS[self.optimizer.lower()](model.parameters(), lr=self.lr,
                                                        weight_decay=self.weight_decay)
        return model, optimizer

    def _check_params(self):
        """Check the parameters ``__init__`` stored, at fit time (scikit-learn's convention).

        ``lr`` and ``weight_decay`` are checked by the optimizer itself: ``lr``
        in [0, ∞), the one rule of the optimizers, the command line's ``--lr``
        and the estimators (0 keeps the initial weights, as in PyTorch).
        """
        _hidden_sizes(self.hidden_layer_sizes)
        if not isinstance(self.optimizer, str):
            raise TypeError(f"optimizer must be a name (str), got {type(self.optimizer).__name__}")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)} (case-insensitive)")
        regime_name(self.regime)  # any spelling of online, minibatch, offline; else ValueError
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of "
                             f"{', '.join(ACTIVATIONS)} (scikit-learn's names)")
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        seed = self.random_state
        if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed < 0:
            raise ValueError(f"random_state must be None, an int >= 0, a RandomState or a Generator, "
                             f"got {seed!r}")

    # ------------------------------------------------------------ predicting

    def _forward(self, X):
        """The network's outputs for ``X``, as an ndarray: eval mode, no graph.

        ``X`` is not cast down to a float32 network's dtype: float64 input
        runs in float64 (NumPy's promotion), so a value beyond float32's range
        (1e39) is not turned into inf. Outputs that are not finite raise
        ``ValueError``: a row of NaN would otherwise become class 0.
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=_DTYPES)
        self.model_.eval()
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):  # the check below says it
            out = self.model_(Tensor(X)).data
        if not np.isfinite(out).all():
            rows = np.flatnonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))
            raise ValueError(f"the network's output is not finite for {len(rows)} row(s) of X (the "
                             f"first: row {rows[0]}); its values are too large for the network")
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier trained with minigrad, as a scikit-learn estimator.

    Math::

        z = f(x) = W_L · a(… a(W_1 x + b_1) …) + b_L        (one logit per class; a = activation)
        p(k | x) = softmax(z)_k = e^(z_k) / Σ_j e^(z_j)
        L = −(1/|B|) Σ_{i∈B} log p(y_i | x_i)                      (cross-entropy of a batch B)
        θ ← optimizer's update with g = ∂L/∂θ, |B| set by ``regime``
        predict(x) = classes_[argmax_k z_k]

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (64,)
        Units of each hidden layer; ``()`` gives softmax regression.
    optimizer : str, default "adam"
        One of ``sgd``, ``sgdm``, ``adagrad``, ``rmsprop``, ``adam``,
        ``amsgrad``, ``swats``, ``radam`` (case-insensitive), with its
        defaults of :mod:`minigrad.optim` other than ``lr``.
    lr : float, default 1e-3
        Learning rate η given to the optimizer.
    regime : {"minibatch", "online", "offline"}, default "minibatch"
        Examples per update: ``batch_size``, one, or all (``"batch"`` is
        accepted for ``"offline"``). See :mod:`minigrad.optim.regimes`.
    batch_size : int, default 32
        Examples per update of the ``"minibatch"`` regime.
    epochs : int, default 50
        Passes over the data in ``fit``; every pass runs to the end (no
        early stopping).
    weight_decay : float, default 0.0
        L2 penalty given to the optimizer: ``g ← g + weight_decay·θ``.
    random_state : None, int, numpy.random.RandomState or Generator
        Source of the initial weights and of the shuffles. An int makes every
        ``fit`` the same; ``None`` draws from NumPy's global random state, as
        scikit-learn does.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
        The hidden layers' nonlinearity a, by scikit-learn's names: ``nn.ReLU``,
        ``nn.Tanh``, ``nn.Sigmoid``, or none (a linear model however deep).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels (any type ``np.unique`` sorts: ints, strings).
    n_features_in_ : int
        Features seen in ``fit``; ``feature_names_in_`` too for a DataFrame.
    model_ : nn.Sequential
        The trained minigrad network; its dtype is float32 for float32 input,
        float64 otherwise.
    optimizer_ : optim.Optimizer
        The optimizer with its state, which ``partial_fit`` continues.
    loss_curve_ : list of float
        Mean training loss of each pass (one value per epoch).
    n_iter_ : int
        Passes made so far: ``epochs`` after ``fit``, plus one per ``partial_fit``.

    Notes
    -----
    Differences from scikit-learn's ``MLPClassifier``: the optimizer is any
    of the lecture's eight with its own defaults (``solver="sgd"`` there has
    Nesterov momentum, here ``"sgd"`` is plain SGD and ``"sgdm"`` has
    momentum 0.9); all ``epochs`` run (no ``tol`` or early stopping);
    ``weight_decay`` is the optimizer's L2 term on every parameter, biases
    included, where scikit-learn's ``alpha`` penalises only the weights and
    divides by the batch size; a binary problem has two softmax outputs
    rather than one logistic output (the same model, written once); fewer
    than two classes raise ``ValueError``.

    References
    ----------
    .. [1] D. E. Rumelhart, G. E. Hinton, R. J. Williams, "Learning
       representations by back-propagating errors", Nature 323, 1986.
    .. [2] scikit-learn developers, "Developing scikit-learn estimators",
       https://scikit-learn.org/stable/developers/develop.html

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from minigrad.estimators import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MLPClassifier(lr=0.01, random_state=0)).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> mlp = clf[-1]
    >>> mlp.n_iter_, len(mlp.loss_curve_), mlp.loss_curve_[-1] < mlp.loss_curve_[0]
    (50, 50, True)
    >>> clf.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    _y_options = {}

    def partial_fit(self, X, y, classes=None):
        """One pass over ``(X, y)``: on-line learning from data that arrives in chunks.

        The first call (on an estimator that was not fitted) builds the
        network and needs ``classes``, every label that will ever come, as
        the number of outputs cannot change later. Later calls continue from
        the current weights and optimizer state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            Required on the first call; if given later, it must equal ``classes_``.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from minigrad.estimators import MLPClassifier
        >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["a", "a", "b", "b"])
        >>> clf = MLPClassifier(random_state=0)
        >>> for _ in range(3):
        ...     clf = clf.partial_fit(X, y, classes=["a", "b"])
        >>> clf.n_iter_, len(clf.loss_curve_), clf.classes_.tolist()
        (3, 3, ['a', 'b'])
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be given on the first call of partial_fit "
                             "(every label that will ever come, e.g. classes=np.unique(y_all))")
        return self._partial_fit(X, y, classes)

    def _targets(self, y, first, classes=None):
        """Class labels → int64 indices into ``classes_`` (set on the first call)."""
        check_classification_targets(y)
        if first:
            if classes is not None:
                classes = np.asarray(classes)
                if classes.ndim != 1:
                    raise ValueError(f"classes must be a 1-D list of labels, got shape {classes.shape}")
                check_classification_targets(classes)  # no NaN, no 1.5
            classes = np.unique(y if classes is None else classes)
            if len(classes) < 2:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes, got 1 class: "
                                 f"{classes.tolist()}")
            self.classes_ = classes
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes).tolist()} differ from the classes of the "
                             f"first call, {self.classes_.tolist()}")
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"y holds labels {unknown.tolist()} that are not in classes_ "
                             f"{self.classes_.tolist()}")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    @property
    def _n_outputs(self):
        return len(self.classes_)

    @staticmethod
    def _loss(logits, labels):
        return nn.functional.cross_entropy(logits, labels)

    def predict_proba(self, X):
        """Class probabilities, softmax of the logits: shape (n_samples, n_classes), float64.

        Columns follow ``classes_``; each row sums to 1.
        """
        logits = self._forward(X).astype(np.float64)
        with no_grad():
            return Tensor(logits).softmax(axis=1).data

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably as log_softmax of the logits."""
        logits = self._forward(X).astype(np.float64)
        with no_grad():
            return Tensor(logits).log_softmax(axis=1).data

    def predict(self, X):
        """The class of each row: ``classes_[argmax of the logits]``."""
        logits = self._forward(X)  # NOTE: first, so that an unfitted estimator raises NotFittedError
        return self.classes_[np.argmax(logits, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor trained with minigrad, as a scikit-learn estimator.

    Math::

        ŷ = f(x) = W_L · a(… a(W_1 x + b_1) …) + b_L        (one output per target; a = activation)
        L = (1/(|B|·k)) Σ_{i∈B} Σ_j (ŷ_ij − y_ij)²          (mean squared error, k targets)
        θ ← optimizer's update with g = ∂L/∂θ, |B| set by ``regime``

    Parameters
    ----------
    hidden_layer_sizes, optimizer, lr, regime, batch_size, epochs, weight_decay, random_state,
    activation
        As for :class:`MLPClassifier`.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets (columns of a 2-D ``y``, else 1).
    n_features_in_, model_, optimizer_, loss_curve_, n_iter_
        As for :class:`MLPClassifier`.

    Notes
    -----
    The loss is the plain mean squared error, where scikit-learn's
    ``MLPRegressor`` reports half of it in ``loss_curve_``. Targets are not
    scaled: standardise a ``y`` of large magnitude (``TransformedTargetRegressor``)
    or the first steps will be huge. As in scikit-learn, a ``y`` with one
    column gives 1-D predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.estimators import MLPRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> y = np.sin(3 * X[:, 0])
    >>> reg = MLPRegressor(hidden_layer_sizes=(32, 32), lr=0.01, epochs=100, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _y_options = {"multi_output": True, "y_numeric": True}

    def partial_fit(self, X, y):
        """One pass over ``(X, y)``, continuing from the current weights (see MLPClassifier).

        Returns
        -------
        self
        """
        return self._partial_fit(X, y)

    def _targets(self, y, first, classes=None):
        """``y`` as a float 2-D array (n_samples, n_outputs)."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:  # scikit-learn's MLPRegressor warns too
            warnings.warn("a column-vector y was passed when a 1d array was expected; its "
                          "predictions are 1-D (use y.ravel())", DataConversionWarning, stacklevel=4)
        targets = y.reshape(len(y), -1)
        if first:
            self.n_outputs_ = targets.shape[1]
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} outputs (shape {y.shape}), but the network "
                             f"was fitted with {self.n_outputs_}")
        return targets

    @property
    def _n_outputs(self):
        return self.n_outputs_

    @staticmethod
    def _loss(output, target):
        return nn.functional.mse_loss(output, target)

    def predict(self, X):
        """The predicted targets: shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        y = self._forward(X)
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# ---------------------------------------------------------------- helpers

def _hidden_sizes(sizes):
    """``hidden_layer_sizes`` as a list of ints ≥ 1 (a single int is one layer)."""
    items = [sizes] if isinstance(sizes, numbers.Integral) else sizes
    try:
        items = list(items)
    except TypeError:
        raise ValueError(f"hidden_layer_sizes must be a tuple of ints >= 1, got {sizes!r}") from None
    for n in items:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"hidden_layer_sizes must be a tuple of ints >= 1, got {sizes!r}")
    return [int(n) for n in items]


def _generator(random_state):
    """A NumPy Generator for ``random_state``, following scikit-learn's convention.

    An int seeds ``np.random.default_rng`` directly (``random_state=0`` draws
    what ``rng=0`` draws elsewhere in minigrad); a Generator is used as it is;
    ``None`` and a ``RandomState`` give a seed drawn from that RandomState
    (``None``: NumPy's global one, which ``np.random.seed`` controls).
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)
