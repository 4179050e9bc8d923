"""A trained network's arithmetic in NumPy: the one definition of "images → class probabilities".

The web server reads stored `.keras` files here without importing Keras or TensorFlow: importing
Keras into the server makes Streamlit reset Keras (a full garbage collection) after every script
run. A `.keras` file is a zip holding `config.json` (the layers) and `model.weights.h5` (HDF5, one
group per layer); only the Flatten → Dense (→ Dropout) … → Dense(10, softmax) networks that
`mnist_core.model.build_mlp` builds are accepted.
"""

import collections
import dataclasses
import io
import json
import zipfile

import h5py
import numpy as np

from mnist_core import keras_file
from mnist_core.config import ACTIVATIONS, IMAGE_SHAPE, NUM_CLASSES

PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]
# Images per matrix product: it bounds the memory wide layers take (5,000 × 2,048 float32 is 41 MB),
# while fewer, larger products run faster on a busy machine than many small ones.
BATCH_CHUNK = 5000
# Added to the probability before its log, as the saliency map has always done, so a class the
# network rules out entirely still has a finite log-probability.
LOG_EPSILON = 1e-7
# Layers that only reshape or act during training: they change nothing at inference.
_PASS_THROUGH_LAYERS = ("InputLayer", "Flatten", "Dropout")


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """A multilayer perceptron's weights, and what it computes from 28×28 images.

    Attributes:
        kernels: One (inputs, units) float32 matrix per Dense layer, the softmax output last.
        biases: One (units,) float32 vector per Dense layer.
        activation: The hidden layers' non-linearity, one of `config.ACTIVATIONS`.
    """

    kernels: tuple
    biases: tuple
    activation: str

    def __post_init__(self):
        _check_weights(self.kernels, self.biases, self.activation)

    @property
    def parameter_count(self):
        """Number of weights and biases."""
        return sum(kernel.size + bias.size for kernel, bias in zip(self.kernels, self.biases))

    def probabilities(self, images):
        """Returns (N, 10) float32 class probabilities for (N, 28, 28[, 1]) images.

        Images may be uint8 0–255 or float 0–1.

        Raises:
            ValueError: If `images` has another shape or is not numeric.
        """
        flat = as_flat_images(images, "images", batched=True)
        # A deque of one keeps only the last layer's output (the probabilities) alive.
        chunks = [collections.deque(self._layer_outputs(flat[start:start + BATCH_CHUNK]), maxlen=1)[0]
                  for start in range(0, len(flat), BATCH_CHUNK)]
        return np.concatenate(chunks) if chunks else np.zeros((0, NUM_CLASSES), np.float32)

    def saliency(self, image28, digit):
        """Returns gradient × input of log(probability of `digit`) for one image, as (28, 28) float32.

        Positive where ink raised the class's probability, negative where it lowered it, zero where
        there is no ink. The log keeps the map visible when the network is nearly certain, where
        the gradient of the probability itself almost vanishes.

        Raises:
            ValueError: If the image's shape or the digit is invalid.
        """
        if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit < NUM_CLASSES:
            raise ValueError(f"digit must be a whole number from 0 to {NUM_CLASSES - 1}, got {digit!r}.")
        flat = as_flat_images(image28, "image28", batched=False)
        outputs = [flat, *self._layer_outputs(flat)]
        probabilities = outputs[-1][0]
        # d log(p_d + ε) / d logits = p_d / (p_d + ε) · (onehot_d − p), the softmax's Jacobian row.
        gradient = -probabilities * probabilities[digit]
        gradient[digit] += probabilities[digit]
        gradient = (gradient / (probabilities[digit] + LOG_EPSILON))[np.newaxis]
        for layer in range(len(self.kernels) - 1, 0, -1):
            gradient = (gradient @ self.kernels[layer].T) * _activation_slope(self.activation, outputs[layer])
        gradient = gradient @ self.kernels[0].T
        return (gradient * flat).reshape(IMAGE_SHAPE[:2]).astype(np.float32)

    def first_layer_weights(self, max_units):
        """Returns the first hidden layer's weights as (min(units, max_units), 28, 28) images."""
        units = min(self.kernels[0].shape[1], max_units)
        return self.kernels[0][:, :units].T.reshape(units, *IMAGE_SHAPE[:2])

    def _layer_outputs(self, flat):
        """Yields each layer's output for (N, 784) float32 inputs, the probabilities last."""
        outputs = flat
        for layer, (kernel, bias) in enumerate(zip(self.kernels, self.biases)):
            logits = outputs @ kernel + bias
            outputs = _softmax(logits) if layer == len(self.kernels) - 1 else _activate(self.activation, logits)
            yield outputs


def read_network(path):
    """Reads the network in the `.keras` file at `path`, without Keras.

    Raises:
        FileNotFoundError: If there is no file at `path`.
        ValueError: If the file is not a readable `.keras` archive, or holds another network than
            Flatten → Dense … → Dense(10, softmax) on 28×28×1 images with a supported activation.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            layers = _dense_layers(keras_file.read_config(archive))
            weights_file = io.BytesIO(archive.read(keras_file.WEIGHTS_MEMBER))
    except FileNotFoundError:
        raise
    except (OSError, zipfile.BadZipFile, KeyError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"it is not a readable .keras archive ({_first_line(error)})") from error
    kernels, biases = _read_weights(weights_file, len(layers))
    hidden_activations = {layer["activation"] for layer in layers[:-1]}
    if layers[-1]["activation"] != "softmax" or len(hidden_activations) > 1:
        activations = [layer["activation"] for layer in layers]
        raise ValueError(f"its Dense layers use activations {activations}; expected one hidden activation "
                         "and softmax last")
    activation = hidden_activations.pop() if hidden_activations else ACTIVATIONS[0]
    return Network(tuple(kernels), tuple(biases), activation)


def network_from_keras(model):
    """Returns the `Network` holding a Keras model's current weights (the model's own Keras does the reading)."""
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    activations = {layer.get_config()["activation"] for layer in dense[:-1]}
    return Network(
        kernels=tuple(np.asarray(layer.kernel, np.float32) for layer in dense),
        biases=tuple(np.asarray(layer.bias, np.float32) for layer in dense),
        activation=activations.pop() if activations else ACTIVATIONS[0],
    )


def as_flat_images(images, name, batched):
    """Checks a (stack of) 28×28 image(s) and returns it as (N, 784) float32 in [0, 1]."""
    pixels = np.asarray(images)
    image_ndim = 3 if batched else 2
    if pixels.ndim == image_ndim + 1 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != image_ndim or pixels.shape[-2:] != IMAGE_SHAPE[:2]:
        expected = "(N, 28, 28) or (N, 28, 28, 1)" if batched else "(28, 28) or (28, 28, 1)"
        raise ValueError(f"{name} must have shape {expected}, got shape {np.shape(images)}.")
    if not np.issubdtype(pixels.dtype, np.number) or pixels.dtype == np.bool_:
        raise ValueError(f"{name} must be numeric, got dtype {pixels.dtype}.")
    scaled = pixels / np.float32(255) if np.issubdtype(pixels.dtype, np.integer) else pixels
    return scaled.astype(np.float32, copy=False).reshape(-1, PIXELS)


def _activate(activation, logits):
    if activation == "relu":
        return np.maximum(logits, 0)
    if activation == "tanh":
        return np.tanh(logits)
    if activation == "sigmoid":
        # The tanh form equals 1 / (1 + exp(-x)) and never overflows.
        return 0.5 * (1 + np.tanh(0.5 * logits))
    return np.where(logits > 0, logits, np.expm1(np.minimum(logits, 0)))  # elu with alpha 1.


def _activation_slope(activation, activated):
    """Returns the activation's derivative, computed from its output."""
    if activation == "relu":
        return (activated > 0).astype(np.float32)
    if activation == "tanh":
        return 1 - activated**2
    if activation == "sigmoid":
        return activated * (1 - activated)
    return np.where(activated > 0, 1, activated + 1).astype(np.float32)  # elu: exp(x) = output + 1 below 0.


def _softmax(logits):
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _dense_layers(architecture):
    """Returns the Dense layers' configs of a Keras Sequential config, checking every layer."""
    try:
        layers = architecture["config"]["layers"]
        dense = []
        for layer in layers:
            kind, settings = layer["class_name"], layer["config"]
            if kind == "InputLayer" and tuple(settings["batch_shape"][1:]) != IMAGE_SHAPE:
                raise ValueError(f"its model takes inputs of shape {tuple(settings['batch_shape'][1:])}, "
                                 f"not {IMAGE_SHAPE}")
            if kind == "Dense":
                if settings.get("use_bias") is False:
                    raise ValueError(f"its Dense layer {settings.get('name')!r} has no bias")
                dense.append({"units": settings["units"], "activation": settings["activation"]})
            elif kind not in _PASS_THROUGH_LAYERS:
                raise ValueError(f"its model holds a {kind} layer; only Flatten, Dense and Dropout are read")
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise ValueError(f"its model's architecture cannot be read ({error!r})") from error
    if not dense:
        raise ValueError("its model has no Dense layer")
    return dense


def _read_weights(weights_file, layer_count):
    """Reads each Dense layer's kernel and bias from a `.keras` weights file.

    Keras names each layer's group after its class in snake case, numbered from the second on in
    the order the model holds them: layers/dense, layers/dense_1, layers/dense_2, …
    """
    kernels, biases = [], []
    try:
        with h5py.File(weights_file, "r") as weights:
            for index in range(layer_count):
                group = weights[f"layers/{'dense' if index == 0 else f'dense_{index}'}/vars"]
                kernels.append(np.asarray(group["0"], dtype=np.float32))
                biases.append(np.asarray(group["1"], dtype=np.float32))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"its weights cannot be loaded ({_first_line(error)})") from error
    return kernels, biases


def _check_weights(kernels, biases, activation):
    """Raises ValueError unless the weights chain 784 pixels → … → 10 classes."""
    if not kernels or len(kernels) != len(biases):
        raise ValueError(f"it has {len(kernels)} weight matrices and {len(biases)} bias vectors")
    inputs = PIXELS
    for kernel, bias in zip(kernels, biases):
        if kernel.ndim != 2 or kernel.shape[0] != inputs or bias.shape != kernel.shape[1:]:
            raise ValueError(f"its weights of shapes {kernel.shape} and {bias.shape} do not follow "
                             f"a layer of {inputs} outputs")
        inputs = kernel.shape[1]
    if inputs != NUM_CLASSES:
        raise ValueError(f"it maps (None, {PIXELS}) to (None, {inputs}), not to (None, {NUM_CLASSES}) classes")
    if activation not in ACTIVATIONS:
        raise ValueError(f"its hidden activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__
