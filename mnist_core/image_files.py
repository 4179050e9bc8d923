"""Reading a digit image from a file, an upload or a canvas' PNG, within safe limits.

Every image is opened by its header first: its format must be one listed here and its size at
most MAX_IMAGE_PIXELS, so a small crafted file cannot make the decoder allocate gigabytes (a
140 KB PNG of 12000×12000 pixels took 2.4 GB and 20 s before this check). Images of more than
8 bits per channel are scaled to 8 bits rather than clipped, so a 16-bit scan reads like the same
scan in 8 bits.
"""

import dataclasses
import pathlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_core.messages import first_line

# At most 16 megapixels (4000×4000): far more than a photo of a digit needs, and about 64 MB decoded.
MAX_IMAGE_PIXELS = 16_000_000
# Formats Pillow may decode here; others (PSD, EPS, ICNS, …) are refused unread.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
ACCEPTED_TEXT = "PNG, JPEG, GIF, BMP, TIFF or WebP"
FIRST_FRAME_NOTE = "it holds several frames (an animated GIF or a multi-page TIFF); only the first is read"
# Pillow modes holding more than 8 bits per pixel, and their nominal full scale when fixed.
_WIDE_MODES = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I;16N": 65535, "I": None, "F": None}


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedImage:
    """One decoded image: `pixels` is what `preprocess_drawing` accepts; `notes` are for the user."""

    pixels: np.ndarray  # uint8: (H, W, 4) with transparency, (H, W) grey, (H, W, 3) colour.
    notes: tuple  # Sentences such as FIRST_FRAME_NOTE; empty for an ordinary image.


def load_image_file(path):
    """Reads an image file into an array that `preprocess_drawing` accepts.

    Args:
        path: Path of the file, or an open binary file such as an upload.

    Returns:
        uint8 array: (H, W, 4) for images with transparency, (H, W) for grayscale ones and
        (H, W, 3) otherwise. Only the first frame of an animated image is read.

    Raises:
        FileNotFoundError: If `path` names no file.
        ValueError: If the file is not an image in IMAGE_FORMATS, or is larger than MAX_IMAGE_PIXELS.
    """
    return read_image(path).pixels


def read_image(source, name=None):
    """Returns the `LoadedImage` in `source` (a path or a binary file), raising like `load_image_file`.

    `name` is how messages call the image (the path by default), e.g. "The drawing" for a canvas.
    """
    name = name or str(source)
    if isinstance(source, (str, pathlib.Path)) and not pathlib.Path(source).is_file():
        raise FileNotFoundError(f"No image file at {source}.")
    try:
        with Image.open(source, formats=IMAGE_FORMATS) as picture:
            _check_size(picture.size, name)
            notes = (FIRST_FRAME_NOTE,) if getattr(picture, "is_animated", False) else ()
            picture.load()
            return LoadedImage(_to_array(picture), notes)
    except UnidentifiedImageError as error:
        raise ValueError(f"{name} is not a PNG or JPEG image ({ACCEPTED_TEXT} are read too).") from error
    except (OSError, Image.DecompressionBombError, SyntaxError) as error:
        # Truncated or damaged data: Pillow names the problem, e.g. "image file is truncated".
        raise ValueError(f"{name} is not a PNG or JPEG image that can be decoded ({first_line(error)}).") from error


def _check_size(size, name):
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"{name} is {width}×{height} pixels; images of at most {MAX_IMAGE_PIXELS // 1_000_000} "
            "megapixels are read. Crop or shrink it first."
        )


def _to_array(picture):
    """Returns the picture as uint8, keeping transparency or colour and scaling wide pixel values."""
    if picture.mode in _WIDE_MODES:
        return _scaled_to_8_bits(np.asarray(picture), _WIDE_MODES[picture.mode])
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        return np.asarray(picture.convert("RGBA"))
    if picture.mode in ("1", "L"):
        return np.asarray(picture.convert("L"))
    return np.asarray(picture.convert("RGB"))


def _scaled_to_8_bits(values, full_scale):
    """Maps 16-bit, 32-bit or float grey levels to 0–255 by their full scale, never by clipping.

    A 32-bit or float image has no fixed full scale: values within 0–1, 0–255 or 0–65535 are read
    as that range (16-bit PNGs often open as 32-bit), and anything larger as 32-bit.
    """
    values = values.astype(np.float64)
    if full_scale is None:
        finite = values[np.isfinite(values)]
        largest = float(finite.max()) if finite.size else 0.0
        full_scale = next(scale for scale in (1.0, 255.0, 65535.0, 2.0**31 - 1, np.inf) if largest <= scale)
        full_scale = largest if np.isinf(full_scale) else full_scale
    scaled = np.nan_to_num(values / max(full_scale, 1e-12), nan=0.0, posinf=1.0, neginf=0.0)
    return np.round(np.clip(scaled, 0, 1) * 255).astype(np.uint8)
