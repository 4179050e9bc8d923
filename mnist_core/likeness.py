"""How much a 28×28 network input looks like the training images: the Draw page's "unlike any digit" check.

Softmax turns any input into ten probabilities that add up to 1, so a horizontal line or a
scribble still gets a confident-looking answer. This measure looks at the input instead: a
drawing is "unlike the training images" when its ink is far flatter than any training image, or
when even its nearest training images are further away than almost all training images are from
theirs. Both limits are read off the training images themselves, so they hold for MNIST and
Fashion-MNIST alike.
"""

import dataclasses

import numpy as np
from scipy import ndimage

from mnist_core.config import IMAGE_SIZE

REFERENCE_SIZE = 10_000  # Training images the distance is measured against (31 MB as float32).
CALIBRATION_SIZE = 2_000  # Other training images whose distances set the limit.
# The share of training images allowed past the distance limit. 0.5% keeps real digits, however
# they are drawn, flagged at most about as often, while catching about half of all scribbles
# (bench/bench_likeness.py prints both).
FLAGGED_TRAINING_SHARE = 0.005
NEIGHBOURS = 3  # Distances are averaged over this many nearest training images.
# A slight blur makes a stroke one pixel off its neighbour's count as close, not as far as a
# stroke somewhere else entirely; more blur lets letters pass for digits.
BLUR_SIGMA = 0.7
INK_LEVEL = 0.1  # Pixel value (0–1) above which a pixel counts for the ink's height.
# The flattest training images set the height limit: a drawing flatter than all but this share of
# them, such as a horizontal line, is unlike them.
FLAT_TRAINING_SHARE = 0.0005


@dataclasses.dataclass(frozen=True, eq=False)
class LikenessReference:
    """What the measure compares an input with, read once from a dataset's training images.

    Attributes:
        references: (REFERENCE_SIZE, 784) float32 blurred training images.
        reference_norms: (REFERENCE_SIZE,) float32 squared norms of `references`.
        distance_limit: Distance above which an input is unlike the training images.
        min_ink_height: Ink height in pixels below which an input is unlike them.
    """

    references: np.ndarray
    reference_norms: np.ndarray
    distance_limit: float
    min_ink_height: int


@dataclasses.dataclass(frozen=True)
class Likeness:
    """How one input compares with the training images.

    Attributes:
        distance: Mean distance to its NEIGHBOURS nearest training images (blurred).
        distance_limit: The reference's limit, for showing the two side by side.
        ink_height: Rows of the 28×28 input that hold ink.
        min_ink_height: The reference's height limit.
        is_unlike: True when the input is too flat or too far from every training image.
        reason: "" when alike, else "flat" or "far" (flat is checked first: it is the clearer).
    """

    distance: float
    distance_limit: float
    ink_height: int
    min_ink_height: int
    is_unlike: bool
    reason: str


def fit_likeness(train_images, seed=0):
    """Builds the reference from training images.

    Args:
        train_images: (N, 28, 28) or (N, 28, 28, 1) array, uint8 0–255 or float 0–1, with N at
            least 1,000.
        seed: Picks which images serve as references and which set the limits.

    Returns:
        A `LikenessReference`.

    Raises:
        ValueError: If the images have another shape or there are too few of them.
    """
    images = _as_flat_images(train_images, "train_images")
    if len(images) < 1000:
        raise ValueError(f"train_images must hold at least 1,000 images, got {len(images)}.")
    order = np.random.default_rng(seed).permutation(len(images))
    reference_count = min(REFERENCE_SIZE, len(images) // 2)
    references = _blurred(images[order[:reference_count]])
    calibration = images[order[reference_count:reference_count + CALIBRATION_SIZE]]
    reference = LikenessReference(references, np.einsum("ij,ij->i", references, references), 0.0, 0)
    distances = _neighbour_distances(reference, _blurred(calibration))
    heights = _ink_heights(images[order[: reference_count + CALIBRATION_SIZE]])
    return dataclasses.replace(
        reference,
        distance_limit=float(np.quantile(distances, 1 - FLAGGED_TRAINING_SHARE)),
        min_ink_height=int(np.quantile(heights, FLAT_TRAINING_SHARE)),
    )


def measure_likeness(reference, images28):
    """Measures how much each input looks like the training images.

    Args:
        reference: A `LikenessReference` from `fit_likeness`.
        images28: One (28, 28) image or a stack (N, 28, 28), optionally with a channel axis,
            uint8 0–255 or float 0–1, such as `Prediction.image`.

    Returns:
        One `Likeness` for one image, or a list of them for a stack.

    Raises:
        ValueError: If the images have another shape.
    """
    single = np.ndim(images28) == 2 or np.shape(images28) == (IMAGE_SIZE, IMAGE_SIZE, 1)
    images = _as_flat_images(np.asarray(images28)[np.newaxis] if single else images28, "images28")
    distances = _neighbour_distances(reference, _blurred(images))
    heights = _ink_heights(images)
    results = [_likeness(reference, float(distance), int(height)) for distance, height in zip(distances, heights)]
    return results[0] if single else results


def _likeness(reference, distance, height):
    """Combines one input's distance and ink height into a `Likeness`."""
    reason = ""
    if height < reference.min_ink_height:
        reason = "flat"
    elif distance > reference.distance_limit:
        reason = "far"
    return Likeness(distance, reference.distance_limit, height, reference.min_ink_height, bool(reason), reason)


def _as_flat_images(images, name):
    """Checks a stack of 28×28 images and returns it as (N, 784) float32 in [0, 1]."""
    pixels = np.asarray(images)
    if pixels.ndim == 4 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != 3 or pixels.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{name} must have shape (N, 28, 28) or (N, 28, 28, 1), got {np.shape(images)}.")
    if not np.issubdtype(pixels.dtype, np.number) or pixels.dtype == np.bool_:
        raise ValueError(f"{name} must be numeric, got dtype {pixels.dtype}.")
    scaled = pixels / 255.0 if np.issubdtype(pixels.dtype, np.integer) else pixels
    return scaled.reshape(len(pixels), -1).astype(np.float32)


def _blurred(flat_images):
    """Blurs (N, 784) images by BLUR_SIGMA pixels within each image."""
    stack = flat_images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return ndimage.gaussian_filter(stack, (0, BLUR_SIGMA, BLUR_SIGMA)).reshape(len(stack), -1)


def _neighbour_distances(reference, blurred):
    """Returns each blurred image's mean distance to its NEIGHBOURS nearest references."""
    norms = np.einsum("ij,ij->i", blurred, blurred)
    squared = norms[:, np.newaxis] - 2 * blurred @ reference.references.T + reference.reference_norms
    nearest = np.partition(squared, NEIGHBOURS - 1, axis=1)[:, :NEIGHBOURS]
    return np.sqrt(np.maximum(nearest.mean(axis=1), 0))


def _ink_heights(flat_images):
    """Returns how many rows of each 28×28 image hold ink, from its first inked row to its last."""
    inked_rows = flat_images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).max(axis=2) > INK_LEVEL
    first = inked_rows.argmax(axis=1)
    last = IMAGE_SIZE - 1 - inked_rows[:, ::-1].argmax(axis=1)
    return np.where(inked_rows.any(axis=1), last - first + 1, 0)
