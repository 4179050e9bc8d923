"""Reading digits with a trained model: one drawing, a batch of images, and a saliency map."""

import dataclasses

import numpy as np

from mnist_core.preprocess import IMAGE_SIZE, Preprocessed, preprocess_drawing

NUM_DIGITS = 10  # Classes the network tells apart.
BATCH_CHUNK = 1000  # Images per model call in `predict_batch`, which bounds memory use.


@dataclasses.dataclass(frozen=True, eq=False)
class Prediction:
    """What the model read in one drawing.

    Attributes:
        digit: The most probable digit, or None when the drawing is empty.
        probability: Probability of `digit`; 0.0 when the drawing is empty.
        probabilities: (10,) float32 class probabilities; all zeros when the drawing is empty.
        image: (28, 28) float32 image the model saw.
        is_empty: True when there was nothing to recognise.
        message: "" or a sentence for the user explaining why nothing was recognised.
        preprocessed: The `Preprocessed` the image came from, with its teaching steps.
    """

    digit: int | None
    probability: float
    probabilities: np.ndarray
    image: np.ndarray
    is_empty: bool
    message: str
    preprocessed: Preprocessed


def predict_digit(model, image, mnist_style=True):
    """Preprocesses a drawing and asks the model which digit it is.

    Args:
        model: Keras model mapping (N, 28, 28, 1) float32 in [0, 1] to (N, 10) probabilities.
        image: Any array `preprocess_drawing` accepts, such as a canvas' RGBA image data.
        mnist_style: Passed to `preprocess_drawing`; False resizes the canvas naively.

    Returns:
        A `Prediction`.

    Raises:
        ValueError: If the image is not a valid drawing or the model's output is not (1, 10).
    """
    preprocessed = preprocess_drawing(image, mnist_style=mnist_style)
    if preprocessed.is_empty:
        return Prediction(
            digit=None,
            probability=0.0,
            probabilities=np.zeros(NUM_DIGITS, np.float32),
            image=preprocessed.image,
            is_empty=True,
            message=preprocessed.message,
            preprocessed=preprocessed,
        )
    probabilities = _call_model(model, preprocessed.image[np.newaxis])[0]
    digit = int(np.argmax(probabilities))
    return Prediction(
        digit=digit,
        probability=float(probabilities[digit]),
        probabilities=probabilities,
        image=preprocessed.image,
        is_empty=False,
        message="",
        preprocessed=preprocessed,
    )


def predict_batch(model, images28):
    """Returns the model's class probabilities for a stack of 28×28 images.

    Args:
        model: Keras model mapping (N, 28, 28, 1) float32 in [0, 1] to (N, 10) probabilities.
        images28: (N, 28, 28) or (N, 28, 28, 1) array, uint8 0–255 or float 0–1.

    Returns:
        (N, 10) float32 array.

    Raises:
        ValueError: If `images28` has another shape.
    """
    images = _as_model_images(images28, "images28", batched=True)
    chunks = [
        _call_model(model, images[start:start + BATCH_CHUNK])
        for start in range(0, len(images), BATCH_CHUNK)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, NUM_DIGITS), np.float32)


def saliency(model, image28, digit):
    """Returns gradient × input of one class's log-probability: which ink pixels argued for it.

    The log keeps the map visible when the network is nearly certain, where the gradient of the
    probability itself almost vanishes.

    Args:
        model: Keras model mapping (N, 28, 28, 1) float32 in [0, 1] to (N, 10) probabilities.
        image28: (28, 28) or (28, 28, 1) image, uint8 0–255 or float 0–1.
        digit: Class (0–9) whose probability is explained.

    Returns:
        (28, 28) float32 array; positive where ink raised the probability, negative where it
        lowered it, zero where there is no ink.

    Raises:
        ValueError: If the image's shape or the digit is invalid.
    """
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit < 10:
        raise ValueError(f"digit must be a whole number from 0 to 9, got {digit!r}.")
    import tensorflow as tf  # Here, so importing this module does not wait for TensorFlow.

    inputs = tf.convert_to_tensor(_as_model_images(image28, "image28", batched=False)[np.newaxis])
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        probability = model(inputs, training=False)[0, int(digit)]
        log_probability = tf.math.log(probability + 1e-7)
    gradient = tape.gradient(log_probability, inputs)
    return (gradient * inputs).numpy()[0, ..., 0].astype(np.float32)


def _as_model_images(images, name, batched):
    """Checks a (stack of) 28×28 image(s) and returns it as (..., 28, 28, 1) float32 in [0, 1]."""
    pixels = np.asarray(images)
    image_ndim = 3 if batched else 2
    if pixels.ndim == image_ndim + 1 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != image_ndim or pixels.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE):
        expected = "(N, 28, 28) or (N, 28, 28, 1)" if batched else "(28, 28) or (28, 28, 1)"
        raise ValueError(f"{name} must have shape {expected}, got shape {pixels.shape}.")
    if not np.issubdtype(pixels.dtype, np.number) or pixels.dtype == np.bool_:
        raise ValueError(f"{name} must be numeric, got dtype {pixels.dtype}.")
    scaled = pixels / 255.0 if np.issubdtype(pixels.dtype, np.integer) else pixels
    return scaled.astype(np.float32)[..., np.newaxis]


def _call_model(model, images):
    """Runs the model on (N, 28, 28) or (N, 28, 28, 1) float32 images; returns (N, 10)."""
    inputs = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1).astype(np.float32, copy=False)
    # Calling the model directly avoids `model.predict`, which builds a dataset and retraces,
    # costing about 47 ms a call against about 2 ms here.
    probabilities = np.asarray(model(inputs, training=False), dtype=np.float32)
    if probabilities.shape != (len(inputs), NUM_DIGITS):
        raise ValueError(
            f"The model must return shape ({len(inputs)}, {NUM_DIGITS}), "
            f"got {probabilities.shape}."
        )
    return probabilities


def predict_image28(model, image28):
    """Returns the model's class probabilities for one 28×28 image, such as `Prediction.image`.

    Args:
        model: Keras model mapping (N, 28, 28, 1) float32 in [0, 1] to (N, 10) probabilities.
        image28: (28, 28) or (28, 28, 1) image, uint8 0–255 or float 0–1.

    Returns:
        (10,) float32 array.

    Raises:
        ValueError: If the image's shape is invalid or the model's output is not (1, 10).
    """
    inputs = _as_model_images(image28, "image28", batched=False)[np.newaxis]
    # The Draw page calls several models per stroke. `predict_on_batch` reuses the model's compiled
    # predict step, about 1 ms a call, where the eager `model(inputs)` costs 5–40 ms on a busy
    # machine; unlike `model.predict` it builds no dataset, and it does not retrace across threads.
    probabilities = np.asarray(model.predict_on_batch(inputs), dtype=np.float32)
    if probabilities.shape != (1, NUM_DIGITS):
        raise ValueError(f"The model must return shape (1, {NUM_DIGITS}), got {probabilities.shape}.")
    return probabilities[0]
