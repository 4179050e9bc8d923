"""Tests for mnist_core.predict on real MNIST digits, redrawn on a canvas in several ways."""

import re

import numpy as np
import pytest

import drawing_variants
from mnist_core.network import network_from_keras
from mnist_core.predict import predict_digit
from mnist_core.preprocess import EMPTY_MESSAGE, Preprocessed, preprocess_drawing

# Every test here reads digits with a network trained for the module on the whole training split;
# the Draw page's AppTests exercise the same functions in the fast tier.
pytestmark = pytest.mark.slow

NUM_DIGITS_CHECKED = 300  # Test digits per variant: enough to tell 0.95 from 0.90.
# Redrawing costs a little accuracy through resampling; more than this means preprocessing lost
# something the network needs.
MAX_ACCURACY_DROP = 0.05
MIN_VARIANT_ACCURACY = 0.9


@pytest.fixture(scope="module")
def network():
    """The seed's 2×50 network after 2 epochs on real MNIST (about 96% test accuracy)."""
    return network_from_keras(drawing_variants.train_reference_model(epochs=2))


@pytest.fixture(scope="module")
def test_digits():
    images, labels = drawing_variants.load_mnist_arrays(f"test[:{NUM_DIGITS_CHECKED}]")
    return images, labels


@pytest.fixture(scope="module")
def baseline_accuracy(network, test_digits):
    images, labels = test_digits
    return float(np.mean(network.probabilities(images).argmax(axis=1) == labels))


def variant_accuracy(network, test_digits, kind, mnist_style=True):
    images, labels = test_digits
    rng = np.random.default_rng(0)
    inputs = np.stack(
        [
            preprocess_drawing(drawing_variants.make_variant(image, kind, rng), mnist_style).image
            for image in images
        ]
    )
    return float(np.mean(network.probabilities(inputs).argmax(axis=1) == labels))


def canvas_of(digit28, kind="centred"):
    return drawing_variants.make_variant(digit28, kind, np.random.default_rng(0))


def test_baseline_accuracy_on_raw_digits(baseline_accuracy):
    assert baseline_accuracy > 0.93


@pytest.mark.parametrize("kind", drawing_variants.VARIANT_KINDS)
def test_drawn_digits_read_almost_as_well_as_raw_ones(network, test_digits, baseline_accuracy, kind):
    accuracy = variant_accuracy(network, test_digits, kind)
    assert accuracy >= MIN_VARIANT_ACCURACY, f"{kind}: {accuracy:.3f}"
    assert accuracy >= baseline_accuracy - MAX_ACCURACY_DROP, f"{kind}: {accuracy:.3f}"


@pytest.mark.parametrize("kind", ["small_corner", "off_centre"])
def test_naive_resizing_fails_where_the_recipe_succeeds(network, test_digits, kind):
    assert variant_accuracy(network, test_digits, kind, mnist_style=False) < 0.5


def test_prediction_fields_are_consistent(network, test_digits):
    images, labels = test_digits
    prediction = predict_digit(network, canvas_of(images[0]))
    assert prediction.digit == labels[0]
    assert isinstance(prediction.digit, int) and isinstance(prediction.probability, float)
    assert prediction.probabilities.shape == (10,)
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert prediction.probability == pytest.approx(prediction.probabilities.max())
    assert prediction.image.shape == (28, 28)
    assert isinstance(prediction.preprocessed, Preprocessed)
    np.testing.assert_array_equal(prediction.image, prediction.preprocessed.image)
    assert not prediction.is_empty and prediction.message == ""


def test_prediction_matches_the_batch_path(network, test_digits):
    images, _ = test_digits
    canvas = canvas_of(images[1], "off_centre")
    expected = network.probabilities(preprocess_drawing(canvas).image[np.newaxis])[0]
    np.testing.assert_allclose(predict_digit(network, canvas).probabilities, expected, atol=1e-6)


def test_alpha_only_canvas_gives_the_same_prediction(network, test_digits):
    images, _ = test_digits
    ink = canvas_of(images[2])
    white_on_black = np.stack([ink, ink, ink, np.full_like(ink, 255)], axis=-1)
    black_on_transparent = np.stack([0 * ink, 0 * ink, 0 * ink, ink], axis=-1)
    np.testing.assert_allclose(
        predict_digit(network, black_on_transparent).probabilities,
        predict_digit(network, white_on_black).probabilities,
        atol=1e-6,
    )


def test_empty_canvas_predicts_nothing(network):
    prediction = predict_digit(network, np.zeros((280, 280, 4), np.uint8))
    assert prediction.is_empty and prediction.digit is None
    assert prediction.probability == 0.0
    np.testing.assert_array_equal(prediction.probabilities, np.zeros(10))
    assert prediction.message == EMPTY_MESSAGE
    assert not prediction.image.any()


def test_probabilities_accept_both_layouts_and_dtypes(network, test_digits):
    images, _ = test_digits
    from_uint8 = network.probabilities(images[:50])
    assert from_uint8.shape == (50, 10) and from_uint8.dtype == np.float32
    from_float = network.probabilities(images[:50, ..., np.newaxis] / 255.0)
    np.testing.assert_allclose(from_float, from_uint8, atol=1e-6)
    assert network.probabilities(images[:0]).shape == (0, 10)


@pytest.mark.parametrize("shape", [(5, 28, 27), (28, 28), (5, 28, 28, 3)])
def test_probabilities_reject_other_shapes(network, shape):
    with pytest.raises(ValueError, match=re.escape(f"got shape {shape}")):
        network.probabilities(np.zeros(shape, np.float32))


def test_saliency_is_gradient_times_input(network, test_digits):
    images, labels = test_digits
    image = images[3] / 255.0
    heatmap = network.saliency(image, int(labels[3]))
    assert heatmap.shape == (28, 28) and heatmap.dtype == np.float32
    assert not heatmap[image == 0].any()
    # Central differences on the strongest pixels check the gradient; ReLU nets are piecewise
    # linear, so a small step gives the same slope as the tape.
    step = 1e-3
    for row, column in zip(*np.unravel_index(np.argsort(-np.abs(heatmap).ravel())[:3], (28, 28))):
        brighter, darker = image.copy(), image.copy()
        brighter[row, column] += step
        darker[row, column] -= step
        up, down = network.probabilities(np.stack([brighter, darker]))[:, labels[3]]
        slope = (up - down) / (2 * step)
        assert heatmap[row, column] == pytest.approx(slope * image[row, column], rel=0.05, abs=1e-4)


@pytest.mark.parametrize("digit", [-1, 10, 2.0, True])
def test_saliency_rejects_a_bad_digit(network, digit):
    with pytest.raises(ValueError, match=re.escape(f"got {digit!r}")):
        network.saliency(np.zeros((28, 28), np.float32), digit)
