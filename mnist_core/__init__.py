"""mnist_core: train, store, evaluate and query MNIST networks without any user interface."""

from mnist_core.config import TrainConfig

__all__ = ["TrainConfig"]
