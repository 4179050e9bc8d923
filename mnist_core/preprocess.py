"""Turning a drawing or a photo of a digit into the 28×28 image the network expects."""

import dataclasses

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_core.config import IMAGE_SIZE

FITTED_SIZE = 20  # MNIST fits each digit into a 20×20 box before centring it in 28×28.
MIN_CANVAS_SIDE = 8  # Smaller inputs cannot hold a recognisable digit.
INK_THRESHOLD = 0.1  # Ink level (0–1) above which a pixel counts for the bounding box.
MIN_INK_EXTENT = 0.04  # Ink whose box is below this share of the canvas side is a stray mark.
MIN_INK_MASS = 0.001  # Ink covering less than this share of the canvas is a stray mark.
MIN_EXTENT_PER_PEN = 1.25  # Ink no longer than this many pen widths is a dot, not a digit.
STROKE_WIDTH_RANGE = (1.75, 3.25)  # MNIST's 10th–90th percentile stroke width in the 20×20 box.
SUPERSAMPLING = 4  # Strokes are measured and reshaped at this multiple of the 20×20 box.
EMPTY_MESSAGE = "Nothing to recognise: draw a digit"


@dataclasses.dataclass(frozen=True, eq=False)
class Preprocessed:
    """The network input made from one drawing, with the steps that produced it.

    Attributes:
        image: (28, 28) float32 in [0, 1], white ink on black: what the network sees.
        is_empty: True when the drawing holds no digit; `image` is then all zeros.
        message: "" or a sentence for the user explaining why nothing was recognised.
        steps: Named 2-D float32 arrays in pipeline order, for teaching. MNIST style gives
            "ink", "cropped", "fitted" and "centred"; the naive style gives "ink" and "resized";
            an empty drawing gives only "ink".
    """

    image: np.ndarray
    is_empty: bool
    message: str
    steps: dict


def preprocess_drawing(image, mnist_style=True):
    """Turns a drawing into a 28×28 network input, following the recipe MNIST was made with.

    The ink is cropped to its bounding box, fitted into 20×20 keeping its aspect ratio, and
    placed in 28×28 so that its centre of mass sits at the centre, as in the MNIST dataset.
    Strokes much thinner or thicker than MNIST's are brought to its usual width on the way.

    Args:
        image: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, uint8 0–255 or float 0–1, with
            H and W at least 8. RGBA canvases may carry the ink in RGB (white on black) or only
            in alpha (dark ink on a transparent background). Dark-on-light images are inverted.
        mnist_style: False skips cropping and centring and just resizes the whole canvas to
            28×28, to show why the recipe matters.

    Returns:
        A `Preprocessed`.

    Raises:
        ValueError: If the array's shape, dtype or value range is not one of the above.
    """
    ink = _to_ink(_to_unit_float(image))
    steps = {"ink": ink}
    box = _ink_box(ink)
    if box is None or _is_stray_mark(ink, box):
        blank = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
        return Preprocessed(blank, True, EMPTY_MESSAGE, steps)
    if not mnist_style:
        steps["resized"] = _resize(ink, (IMAGE_SIZE, IMAGE_SIZE))
        return Preprocessed(steps["resized"], False, "", steps)
    steps["cropped"] = ink[box]
    steps["fitted"] = _fit_into_box(steps["cropped"], FITTED_SIZE)
    steps["centred"] = _centre_by_mass(steps["fitted"], IMAGE_SIZE)
    return Preprocessed(steps["centred"], False, "", steps)


def _to_unit_float(image):
    """Checks the array's layout and returns it as float32 in [0, 1] with a channel axis."""
    pixels = np.asarray(image)
    if pixels.dtype == np.bool_ or not np.issubdtype(pixels.dtype, np.number):
        raise ValueError(f"Expected a numeric image array, got dtype {pixels.dtype}.")
    if pixels.ndim == 2:
        pixels = pixels[..., np.newaxis]
    if pixels.ndim != 3 or pixels.shape[-1] not in (1, 3, 4):
        layouts = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
        raise ValueError(f"Expected an image of shape {layouts}, got shape {np.shape(image)}.")
    if min(pixels.shape[:2]) < MIN_CANVAS_SIDE:
        minimum = f"{MIN_CANVAS_SIDE}×{MIN_CANVAS_SIDE}"
        raise ValueError(f"Expected at least {minimum} pixels, got shape {np.shape(image)}.")
    high = 255 if np.issubdtype(pixels.dtype, np.integer) else 1
    low_value, high_value = np.min(pixels), np.max(pixels)
    if not (low_value >= 0 and high_value <= high):
        raise ValueError(
            f"Expected {pixels.dtype} pixel values from 0 to {high}, "
            f"got {low_value} to {high_value}."
        )
    return pixels.astype(np.float32) / np.float32(high)


def _to_ink(pixels):
    """Returns a 2-D ink image: 1 where there is ink, 0 for the background."""
    gray = _to_gray(pixels)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    # The border is nearly all background, even when the digit touches an edge, so its
    # median tells dark-on-light scans from white-on-black canvases.
    if background > 0.5:
        gray, background = 1 - gray, 1 - background
    # Removing the background level lets grey paper count as no ink at all.
    return np.clip((gray - background) / (1 - background), 0, 1).astype(np.float32)


def _to_gray(pixels):
    """Averages the colour channels; an RGBA image is first laid onto a contrasting backdrop."""
    if pixels.shape[-1] == 1:
        return pixels[..., 0]
    gray = pixels[..., :3] @ np.full(3, 1 / 3, np.float32)
    if pixels.shape[-1] == 3 or pixels[..., 3].min() == 1:
        return gray
    alpha = pixels[..., 3]
    # Transparent pixels have no meaningful colour, so the drawing lives in alpha: dark ink
    # goes onto white and light ink onto black, which keeps the strokes visible either way.
    ink_colour = float((gray * alpha).sum() / max(float(alpha.sum()), 1e-6))
    backdrop = 1.0 if ink_colour < 0.5 else 0.0
    return gray * alpha + backdrop * (1 - alpha)


def _ink_box(ink):
    """Returns the (row, column) slices of the ink's bounding box, or None without ink."""
    rows = np.flatnonzero(ink.max(axis=1) > INK_THRESHOLD)
    columns = np.flatnonzero(ink.max(axis=0) > INK_THRESHOLD)
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)


def _is_stray_mark(ink, box):
    """Tells a tap, a dot or a tiny scribble apart from something that may be a digit."""
    cropped = ink[box]
    longest_side = max(cropped.shape)
    if longest_side < MIN_INK_EXTENT * max(ink.shape):
        return True
    if cropped.sum() < MIN_INK_MASS * ink.size:
        return True
    # The largest distance from ink to background is half the pen width; a mark barely
    # longer than the pen is wide is a dot, while even a short "1" is several pens long.
    # Measuring at the supersampled box size keeps the cost the same for any canvas.
    detailed = _resize(cropped, _fitted_shape(cropped.shape, FITTED_SIZE * SUPERSAMPLING))
    strokes = np.pad(detailed > INK_THRESHOLD, 1)
    pen_width = 2 * ndimage.distance_transform_edt(strokes).max()
    return max(detailed.shape) < MIN_EXTENT_PER_PEN * pen_width


def _resize(image, shape):
    """Resizes a float image to (rows, columns) with anti-aliasing, keeping values in [0, 1]."""
    rows, columns = shape
    resized = Image.fromarray(image).resize((columns, rows), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized), 0, 1).astype(np.float32)


def _fit_into_box(cropped, size):
    """Scales the cropped ink so that its longer side is `size`, with MNIST-like strokes.

    Strokes outside MNIST's usual width (a fine pen, or a thick pen on a small digit) are
    thinned or thickened to the nearest end of `STROKE_WIDTH_RANGE`: the network has only
    seen that range, and a hairline shrinks to faint grey dots in 20×20.
    """
    detailed = _resize(cropped, _fitted_shape(cropped.shape, size * SUPERSAMPLING))
    strokes = detailed > detailed.max() / 2
    width = _stroke_width(strokes) / SUPERSAMPLING
    target_width = float(np.clip(width, *STROKE_WIDTH_RANGE))
    if width == target_width:
        return _resize(cropped, _fitted_shape(cropped.shape, size))
    shrink = (width - target_width) / 2 * SUPERSAMPLING
    # A margin lets thickened strokes grow past the edges of the crop instead of being cut.
    strokes = np.pad(strokes, int(np.ceil(max(-shrink, 0))) + 1)
    signed_distance = (
        ndimage.distance_transform_edt(strokes) - ndimage.distance_transform_edt(~strokes)
    )
    # A ramp one box pixel wide gives the soft, anti-aliased edges MNIST digits have.
    reshaped = np.clip((signed_distance - shrink) / SUPERSAMPLING + 0.5, 0, 1)
    reshaped = reshaped[_ink_box(reshaped)].astype(np.float32)
    return _resize(reshaped, _fitted_shape(reshaped.shape, size))


def _stroke_width(strokes):
    """Returns the median stroke width of a binary image, in pixels.

    Along a stroke's centre line the distance to the nearest background pixel is half the
    stroke's width plus half a pixel; the centre line is where that distance peaks locally.
    """
    inside = ndimage.distance_transform_edt(np.pad(strokes, 1))[1:-1, 1:-1]
    centre_line = (inside == ndimage.maximum_filter(inside, size=3)) & strokes
    return 2 * float(np.median(inside[centre_line])) - 1


def _fitted_shape(shape, size):
    """Returns the (rows, columns) of `shape` scaled so that its longer side is `size`."""
    scale = size / max(shape)
    return tuple(max(1, round(side * scale)) for side in shape)


def _centre_by_mass(fitted, size):
    """Places the fitted ink in a size×size image with its centre of mass at the centre."""
    placed = np.zeros((size, size), np.float32)
    top = (size - fitted.shape[0]) // 2
    left = (size - fitted.shape[1]) // 2
    placed[top:top + fitted.shape[0], left:left + fitted.shape[1]] = fitted
    centre_row, centre_column = ndimage.center_of_mass(placed)
    # Whole-pixel shifts keep the strokes sharp; MNIST's own centres sit within half a pixel.
    offset = (round(size / 2 - centre_row), round(size / 2 - centre_column))
    return ndimage.shift(placed, offset, order=0, mode="constant", cval=0.0)

