"""The NumPy network against Keras itself: same probabilities and saliency from the same .keras file."""

import zipfile

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.network import Network, network_from_keras, read_network

# Every hidden activation the settings allow, one to three hidden layers, with and without dropout.
CONFIGS = [
    TrainConfig(hidden_size=16, hidden_layers=1, activation="relu"),
    TrainConfig(hidden_size=12, hidden_layers=2, activation="tanh", dropout=0.3),
    TrainConfig(hidden_size=8, hidden_layers=3, activation="sigmoid"),
    TrainConfig(hidden_size=20, hidden_layers=2, activation="elu", dropout=0.5),
    TrainConfig(hidden_size=10, hidden_layers=3, activation="relu", dropout=0.1),
]


def keras_model(config):
    """A network as training builds it, with non-zero biases so reading them is checked too."""
    import keras

    from mnist_core.model import build_mlp

    keras.utils.set_random_seed(config.hidden_size)
    model = build_mlp(config)
    rng = np.random.default_rng(config.hidden_size)
    for layer in model.layers:
        if hasattr(layer, "bias"):
            layer.bias.assign(rng.normal(0, 0.5, layer.bias.shape).astype(np.float32))
    return model


def saved(model, tmp_path):
    from mnist_core.run_record import model_to_bytes

    path = tmp_path / "model.keras"
    path.write_bytes(model_to_bytes(model))
    return path


def sample_images(count=40):
    """Digit-like inputs: mostly empty, with strokes of varying brightness, as uint8."""
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (count, 28, 28)).astype(np.uint8)
    images[rng.random((count, 28, 28)) < 0.7] = 0
    return images


def keras_saliency(model, image, digit):
    """The saliency map as the Draw page computed it before: TensorFlow's GradientTape."""
    import tensorflow as tf

    inputs = tf.convert_to_tensor((image / 255.0).astype(np.float32)[np.newaxis, ..., np.newaxis])
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        log_probability = tf.math.log(model(inputs, training=False)[0, digit] + 1e-7)
    return (tape.gradient(log_probability, inputs) * inputs).numpy()[0, ..., 0]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.describe())
def test_probabilities_and_saliency_match_keras(config, tmp_path):
    model = keras_model(config)
    network = read_network(saved(model, tmp_path))
    images = sample_images()
    expected = np.asarray(model(images[..., np.newaxis].astype(np.float32) / 255.0, training=False))
    probabilities = network.probabilities(images)
    assert probabilities.shape == (40, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    np.testing.assert_allclose(network.probabilities(images[..., np.newaxis] / 255.0), expected, atol=1e-5)
    for index, digit in ((0, 3), (1, int(expected[1].argmax())), (2, int(expected[2].argmin()))):
        heatmap = network.saliency(images[index], digit)
        reference = keras_saliency(model, images[index], digit)
        assert heatmap.shape == (28, 28) and np.abs(reference).max() > 0
        np.testing.assert_allclose(heatmap, reference, atol=1e-5 * max(1.0, np.abs(reference).max()))
    first = model.layers[1].kernel.numpy()
    np.testing.assert_array_equal(network.first_layer_weights(4), first[:, :4].T.reshape(4, 28, 28))
    assert network.parameter_count == model.count_params()


def test_network_from_keras_equals_the_saved_file(tmp_path):
    model = keras_model(CONFIGS[1])
    from_file, in_memory = read_network(saved(model, tmp_path)), network_from_keras(model)
    assert in_memory.activation == from_file.activation == "tanh"
    for left, right in zip(in_memory.kernels + in_memory.biases, from_file.kernels + from_file.biases, strict=True):
        np.testing.assert_array_equal(left, right)


def test_empty_batches_and_bad_shapes():
    network = Network((np.zeros((784, 10), np.float32),), (np.zeros(10, np.float32),), "relu")
    assert network.probabilities(np.zeros((0, 28, 28))).shape == (0, 10)
    np.testing.assert_allclose(network.probabilities(np.zeros((1, 28, 28))), 0.1)
    for shape in ((28, 28), (3, 28, 27), (2, 28, 28, 3)):
        with pytest.raises(ValueError, match="must have shape"):
            network.probabilities(np.zeros(shape))
    for digit in (-1, 10, 2.0, True):
        with pytest.raises(ValueError, match="digit"):
            network.saliency(np.zeros((28, 28)), digit)


def rewritten(path, member, change):
    """Rewrites one member of the .keras zip at `path` with `change(bytes)`."""
    contents = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            contents[name] = archive.read(name)
    contents[member] = change(contents[member])
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)


def test_files_that_are_not_such_a_network_are_refused_clearly(tmp_path):
    path = saved(keras_model(CONFIGS[0]), tmp_path)
    good = path.read_bytes()
    cases = {
        "not a readable .keras archive": lambda: path.write_bytes(b"not a zip"),
        "weights cannot be loaded": lambda: rewritten(path, "model.weights.h5", lambda data: b"\0" * len(data)),
        "holds a Conv2D layer": lambda: rewritten(path, "config.json", lambda data: data.replace(b'"Flatten"', b'"Conv2D"')),
        "activations": lambda: rewritten(path, "config.json", lambda data: data.replace(b'"softmax"', b'"linear"')),
        "not one of": lambda: rewritten(path, "config.json", lambda data: data.replace(b'"relu"', b'"gelu"')),
        "inputs of shape": lambda: rewritten(path, "config.json", lambda data: data.replace(b"28, 28, 1]", b"32, 32, 3]")),
        "architecture cannot be read": lambda: rewritten(path, "config.json", lambda data: b'{"config": {}}'),
    }
    for fragment, damage in cases.items():
        path.write_bytes(good)
        damage()
        with pytest.raises(ValueError, match=fragment):
            read_network(path)
    with pytest.raises(FileNotFoundError):
        read_network(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match=r"\(None, 3\)"):
        Network((np.zeros((784, 3), np.float32),), (np.zeros(3, np.float32),), "relu")
