"""Real MNIST digits redrawn on a 280×280 canvas in the ways people draw, for tests and benches.

Shared by `tests/test_predict.py`, `bench/bench_predict.py` and `bench/bench_drawings.py`, so that
the accuracy the tests assert and the figures the benches print come from the same drawings.
"""

import os
import pathlib

import keras
import numpy as np
from keras import layers
from PIL import Image
from scipy import ndimage

CANVAS_SIZE = 280  # Side of the dashboard's drawing canvas in pixels.
VARIANT_KINDS = ("centred", "small_corner", "large", "off_centre", "thick", "thin", "thin_pen")
REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / ".." / "shared" / "data" / "tfds"


def data_dir():
    """Returns the tfds data_dir: $TFDS_DATA_DIR, else ../shared/data/tfds next to the repo."""
    return os.environ.get("TFDS_DATA_DIR", str(DEFAULT_DATA_DIR.resolve()))


def load_mnist_arrays(split):
    """Loads a whole MNIST split as uint8 images (N, 28, 28) and int64 labels (N,)."""
    import tensorflow_datasets as tfds

    images, labels = tfds.as_numpy(
        tfds.load(
            "mnist", split=split, batch_size=-1, as_supervised=True,
            data_dir=data_dir(), download=False,
        )
    )
    return images[..., 0], labels


def train_reference_model(epochs, seed=0):
    """Trains the seed's 2×50 network on the whole MNIST training split with in-memory arrays."""
    keras.utils.set_random_seed(seed)
    images, labels = load_mnist_arrays("train")
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Flatten(),
            layers.Dense(50, activation="relu"),
            layers.Dense(50, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(images[..., np.newaxis] / 255.0, labels, epochs=epochs, batch_size=100, verbose=0)
    return model


def make_variant(digit28, kind, rng):
    """Redraws one 28×28 MNIST digit on a 280×280 canvas, white ink on black.

    Args:
        digit28: (28, 28) uint8 MNIST image.
        kind: One of `VARIANT_KINDS`.
        rng: `numpy.random.Generator` that picks corners and offsets.

    Returns:
        (280, 280) uint8 array.

    Raises:
        ValueError: If `kind` is not one of `VARIANT_KINDS`.
    """
    if kind == "centred":
        return _place(_scaled(digit28, CANVAS_SIZE), 0, 0)
    if kind == "large":
        return _place(_scaled(digit28, 260), 10, 10)
    if kind == "small_corner":
        # A 70-pixel digit is what someone draws in a corner without thinking about scale.
        top, left = rng.choice([5, CANVAS_SIZE - 75], size=2)
        return _place(_scaled(digit28, 70), top, left)
    if kind == "off_centre":
        # A half-size digit pushed towards a corner tests the centring more than the scaling.
        top, left = rng.choice([0, CANVAS_SIZE - 140], size=2) + rng.integers(-5, 6, size=2)
        return _place(_scaled(digit28, 140), max(top, 0), max(left, 0))
    full = _place(_scaled(digit28, CANVAS_SIZE), 0, 0)
    if kind == "thick":
        return _reshape_strokes(full, 8, ndimage.grey_dilation)
    if kind == "thin":
        return _reshape_strokes(full, 5, ndimage.grey_erosion)
    if kind == "thin_pen":
        # The centre line of each stroke, redrawn with a 5-pixel brush, is what a fine pen draws;
        # the half-pixel tolerance keeps that line unbroken where the stroke bends.
        inside = ndimage.distance_transform_edt(full > 128)
        centre_line = (inside >= ndimage.maximum_filter(inside, size=3) - 0.5) & (inside > 1)
        return ndimage.binary_dilation(centre_line, structure=_disk(2)).astype(np.uint8) * 255
    raise ValueError(f"kind must be one of {', '.join(VARIANT_KINDS)}, got {kind!r}.")


def _scaled(digit28, side):
    """Scales a 28×28 digit to side×side with bilinear interpolation, as a smooth pen would."""
    return np.asarray(Image.fromarray(digit28).resize((side, side), Image.Resampling.BILINEAR))


def _place(patch, top, left):
    """Pastes a patch onto an empty canvas, cutting off what falls outside it."""
    canvas = np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.uint8)
    bottom, right = min(top + patch.shape[0], CANVAS_SIZE), min(left + patch.shape[1], CANVAS_SIZE)
    canvas[top:bottom, left:right] = patch[: bottom - top, : right - left]
    return canvas


def _reshape_strokes(canvas, radius, operation):
    """Grows (grey_dilation) or shrinks (grey_erosion) the strokes by `radius` pixels.

    Alternating 3×3 square and cross steps trace an octagon, close to a round pen and far
    faster than one large disk-shaped footprint.
    """
    square, cross = np.ones((3, 3), bool), ndimage.generate_binary_structure(2, 1)
    for step in range(radius):
        canvas = operation(canvas, footprint=square if step % 2 else cross)
    return canvas


def _disk(radius):
    """Returns a round footprint so that strokes grow or shrink evenly in every direction."""
    offsets = np.arange(-radius, radius + 1)
    return offsets[:, np.newaxis] ** 2 + offsets[np.newaxis, :] ** 2 <= radius**2
