"""Looking inside a trained network: its first-layer weights as images."""

import numpy as np

from mnist_core.config import IMAGE_SHAPE

MAX_UNITS_SHOWN = 64


def first_layer_weights(model, max_units=MAX_UNITS_SHOWN):
    """Returns the first hidden layer's weights as one 28×28 image per unit.

    Each unit computes a weighted sum of the 784 pixels; drawn as an image, its weights show
    which strokes excite it (positive) and which inhibit it (negative).

    Returns:
        A float array of shape (min(units, max_units), 28, 28).
    """
    dense_layers = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    if not dense_layers:
        raise ValueError(f"Model {model.name!r} has no Dense layer to show.")
    kernel = np.asarray(dense_layers[0].get_weights()[0])
    if kernel.shape[0] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise ValueError(f"The first Dense layer takes {kernel.shape[0]} inputs, not 784 pixels.")
    units = min(kernel.shape[1], max_units)
    return kernel[:, :units].T.reshape(units, IMAGE_SHAPE[0], IMAGE_SHAPE[1])
