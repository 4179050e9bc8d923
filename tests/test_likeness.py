"""Tests of the "unlike any digit" measure on real MNIST digits, drawn digits and non-digits."""

import numpy as np
import pytest

from drawing_variants import VARIANT_KINDS, make_variant
from mnist_core.data import load_dataset
from mnist_core.likeness import fit_likeness, measure_likeness
from mnist_core.preprocess import preprocess_drawing
from unlike_drawings import make_unlike

DIGITS_PER_KIND = 150
OTHERS_PER_KIND = 60


@pytest.fixture(scope="module")
def mnist(data_dir):
    return load_dataset("mnist", data_dir=data_dir)


@pytest.fixture(scope="module")
def reference(mnist):
    return fit_likeness(mnist.train_images)


def flagged_share(reference, canvases):
    """Returns the share of canvases flagged as unlike, after the MNIST-style preprocessing."""
    inputs = np.stack([preprocess_drawing(canvas).image for canvas in canvases])
    return float(np.mean([result.is_unlike for result in measure_likeness(reference, inputs)]))


def test_the_limits_come_from_the_training_digits(reference):
    # MNIST digits are fitted into a 20-pixel box, so hardly any is under half that height.
    assert 8 <= reference.min_ink_height <= 14
    assert reference.distance_limit > 0
    assert reference.references.shape == (10_000, 784)


def test_real_test_digits_are_rarely_flagged(reference, mnist):
    results = measure_likeness(reference, mnist.test_images[:1000])
    assert len(results) == 1000
    assert np.mean([result.is_unlike for result in results]) <= 0.01


@pytest.mark.parametrize("kind", VARIANT_KINDS)
def test_digits_drawn_on_the_canvas_are_rarely_flagged(reference, mnist, kind):
    rng = np.random.default_rng(0)
    canvases = [make_variant(image[..., 0], kind, rng) for image in mnist.test_images[:DIGITS_PER_KIND]]
    assert flagged_share(reference, canvases) <= 0.03


def test_every_horizontal_line_is_flagged_as_flat(reference):
    canvases = make_unlike("horizontal_line", OTHERS_PER_KIND)
    inputs = np.stack([preprocess_drawing(canvas).image for canvas in canvases])
    results = measure_likeness(reference, inputs)
    assert all(result.reason == "flat" for result in results)
    assert max(result.ink_height for result in results) < reference.min_ink_height


def test_most_scribbles_and_some_letters_are_flagged(reference):
    # Measured on 200 of each (bench/bench_likeness.py): 56% of scribbles and 12% of letters.
    assert flagged_share(reference, make_unlike("scribble", OTHERS_PER_KIND)) >= 0.35
    assert flagged_share(reference, make_unlike("letter", OTHERS_PER_KIND)) >= 0.03


def test_one_image_gives_one_result_and_bad_shapes_are_refused(reference, mnist):
    one = measure_likeness(reference, mnist.test_images[0])
    assert not one.is_unlike and one.reason == ""
    assert one.ink_height >= reference.min_ink_height
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        measure_likeness(reference, np.zeros((2, 27, 28)))
    with pytest.raises(ValueError, match="at least 1,000"):
        fit_likeness(mnist.train_images[:10])
