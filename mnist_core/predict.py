"""Reading a drawing with a trained network: preprocessing, then the network's probabilities."""

import dataclasses

import numpy as np

from mnist_core.preprocess import Preprocessed, preprocess_drawing

NUM_DIGITS = 10  # Classes the network tells apart.


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


def predict_digit(network, image, mnist_style=True):
    """Preprocesses a drawing and asks the network which digit it is.

    Args:
        network: A `mnist_core.network.Network`, such as `Run.load_model()` returns.
        image: Any array `preprocess_drawing` accepts, such as a canvas' RGBA image data.
        mnist_style: Passed to `preprocess_drawing`; False resizes the canvas naively.

    Returns:
        A `Prediction`.

    Raises:
        ValueError: If the image is not a valid drawing.
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
    probabilities = network.probabilities(preprocessed.image[np.newaxis])[0]
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
