"""Draw-page helpers that render nothing: the canvas settings, its clearable key and the steps shown."""

import numpy as np
import streamlit as st

CANVAS_SIZE = 280  # Side of the drawing canvas in screen pixels: ten canvas pixels per MNIST pixel.
# A 20 px pen on a digit about 200 px tall becomes a 2 px stroke in MNIST's 20×20 box, the
# thin end of the strokes the network was trained on; the core evens out other widths.
STROKE_WIDTH = 20
INK_COLOUR = "#FFFFFF"  # White ink on black, like the MNIST images themselves.
BACKGROUND_COLOUR = "#000000"
CANVAS_KEY_PREFIX = "draw_canvas_"
_GENERATION_KEY = "draw_canvas_generation"
STEP_SIDE = 112  # Screen side of each preprocessing step shown, in pixels.
STEP_TITLES = {
    "ink": "Your drawing",
    "cropped": "Cropped to the ink",
    "fitted": "Fitted into 20×20",
    "centred": "Centred in 28×28",
    "resized": "Squeezed to 28×28",
}


def canvas_key():
    """Returns the canvas' widget key; a new key makes Streamlit mount a fresh, empty canvas."""
    return f"{CANVAS_KEY_PREFIX}{st.session_state.get(_GENERATION_KEY, 0)}"


def clear_canvas():
    """Empties the canvas on the next rerun; used as the Clear button's on_click callback."""
    st.session_state[_GENERATION_KEY] = st.session_state.get(_GENERATION_KEY, 0) + 1


def step_images(preprocessed):
    """Returns (caption, image) pairs of the preprocessing steps, as STEP_SIDE-pixel squares."""
    return [
        (STEP_TITLES.get(name, name), _square_thumbnail(image))
        for name, image in preprocessed.steps.items()
    ]


def _square_thumbnail(image):
    """Centres a 2-D image on a black square and resamples it to STEP_SIDE pixels a side.

    The square keeps tall crops such as a "1" from being stretched when shown at a fixed width,
    and nearest-neighbour sampling shows each network pixel as a crisp block.
    """
    rows, columns = image.shape
    side = max(rows, columns)
    square = np.zeros((side, side), np.float32)
    top, left = (side - rows) // 2, (side - columns) // 2
    square[top:top + rows, left:left + columns] = image
    picks = np.arange(STEP_SIDE) * side // STEP_SIDE
    return np.clip(square[np.ix_(picks, picks)], 0, 1)
