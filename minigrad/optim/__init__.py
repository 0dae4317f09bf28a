"""Optimizers: the eight of the "New Optimization" lecture, on one base class."""

from .optimizer import Optimizer
from .sgd import SGD, SGDM
from .adagrad import Adagrad
from .rmsprop import RMSProp
from .adam import Adam, AMSGrad
from .radam import RAdam
from .swats import SWATS
from .regimes import minibatches, offline, online
from .train import History, train

__all__ = ["Optimizer", "SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad", "SWATS", "RAdam",
           "online", "minibatches", "offline", "train", "History"]
