"""Draw-page helpers: the canvas settings, its clearable key, the steps shown and the panels below the reading."""

import io

import numpy as np
import streamlit as st

from dashboard import charts, glossary, results_view
from dashboard.glossary import tr
from mnist_core.data import CLASS_NAMES
from mnist_core.image_files import read_image
from mnist_core.predict import predict_image28, saliency

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
# Run.load_model keeps the last 8 models in memory. Comparing 7 runs leaves room for an older run
# picked above, so a stroke never reads a model from disk again; more would evict one every stroke.
MAX_COMPARED_RUNS = 7
EVERY_RUN_COLUMNS = {
    "Network": st.column_config.TextColumn(help="The run's settings, as on the Results page."),
    "Reads": st.column_config.TextColumn(help="The digit (or garment) this network finds most probable."),
    "Confidence": st.column_config.ProgressColumn(
        format="%.1f%%", min_value=0, max_value=100, help="Its softmax probability of that digit."
    ),
    # Accuracies are in percent, as on the Results page, so trailing zeros are kept.
    "Test accuracy": st.column_config.NumberColumn(format="%.2f%%", help="On the 10,000 test images."),
    "Note": st.column_config.TextColumn(),
}


def canvas_key():
    """Returns the canvas' widget key; a new key makes Streamlit mount a fresh, empty canvas."""
    return f"{CANVAS_KEY_PREFIX}{st.session_state.get(_GENERATION_KEY, 0)}"


def clear_canvas():
    """Empties the canvas on the next rerun; used as the Clear button's on_click callback."""
    st.session_state[_GENERATION_KEY] = st.session_state.get(_GENERATION_KEY, 0) + 1


def drawing_pixels(canvas):
    """Returns (pixels, "") of the canvas' drawing, (None, "") before the first stroke, or (None, reason).

    The canvas' own `image_data` would decode whatever PNG the browser sent, of any size, and raise
    on anything else; here the image goes through the same format and size checks as a file, and
    every malformed message from the browser becomes one sentence for the student.
    """
    if canvas is None:
        return None, tr("The canvas sent something that is not a drawing. Press Clear and draw again.",
                        "画布发来的不是一幅画。请按“清除”后重新画。")
    try:
        encoded = canvas.image_bytes
    except (ValueError, TypeError, AttributeError):
        # Only a message forged outside the canvas gets here: the canvas itself sends base64 PNG data.
        return None, tr("The drawing did not arrive as base64 PNG data. Press Clear and draw again.",
                        "这幅画没有以 base64 PNG 数据的形式送达。请按“清除”后重新画。")
    if encoded is None:
        return None, ""
    try:
        return read_image(io.BytesIO(encoded), name=tr("The drawing", "这幅画")).pixels, ""
    except ValueError as error:
        return None, str(error)


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


def load_model(run):
    """Returns (model, "") for a run, or (None, reason) when its model cannot be used.

    The reason is a lower-case clause without a full stop, to follow "cannot be used:" or "Unavailable:".
    """
    try:
        # The first model a server loads also imports TensorFlow, which takes seconds.
        with st.spinner(glossary.tr("Loading the network…", "正在加载网络…")):
            return run.load_model(), ""
    except FileNotFoundError:
        return None, "the run was deleted from the store"
    except ValueError:
        # Keras reports any unreadable model.keras as a ValueError.
        return None, "its model.keras file cannot be read; delete the run on Results"


def input_and_saliency(model, prediction, class_names):
    """Shows the 28×28 input next to its gradient × input map for the digit the network read."""
    answer = class_names[prediction.digit]
    pixel_map = saliency(model, prediction.image, prediction.digit)
    input_column, saliency_column, caption_column = st.columns(3, vertical_alignment="center")
    with input_column:
        st.plotly_chart(charts.image_figure(prediction.image, "What the network sees (28×28)"), width="content")
    with saliency_column:
        st.plotly_chart(charts.saliency_figure(pixel_map, f"Pixels that pushed towards {answer}"), width="content")
    caption_column.caption(
        f"Gradient × input: red ink pushed the network towards {answer}, blue ink pushed it away, "
        "and white pixels, including every pixel without ink, made no difference."
    )


def every_run_table(runs, image28, picked_run):
    """Shows how the newest stored runs each read the same 28×28 image, one row per run."""
    compared = runs[:MAX_COMPARED_RUNS]
    labels = list(results_view.curve_histories(compared))
    rows = [_reading_row(run, label, image28, run.run_id == picked_run.run_id) for run, label in zip(compared, labels)]
    st.dataframe(rows, column_config=EVERY_RUN_COLUMNS, hide_index=True, width="stretch")
    if len(runs) > len(compared):
        st.caption(f"The {len(compared)} newest of {len(runs)} runs; delete old runs on Results to compare others.")


def _reading_row(run, label, image28, picked):
    """Returns one table row: the run's settings, what it reads in the image, and its accuracy."""
    model, problem = load_model(run)
    probabilities = None
    if model is not None:
        try:
            probabilities = predict_image28(model, image28)
        except ValueError:
            problem = "its model does not give one probability per class"
    reads, confidence = "—", None
    if probabilities is not None:
        best = int(np.argmax(probabilities))
        reads, confidence = str(CLASS_NAMES[run.config.dataset][best]), 100 * float(probabilities[best])
    return {
        "Network": label,
        "Reads": reads,
        "Confidence": confidence,
        "Test accuracy": 100 * run.test_accuracy,
        "Note": f"Unavailable: {problem}" if problem else ("Picked above" if picked else ""),
    }
