"""The Draw page in AppTest: real MNIST digits injected as canvas drawings, read by a trained run."""

import base64
import io
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from broken_runs import corrupt_weights
from conftest import REPO_ROOT
from dashboard import draw_view
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.run_record import MODEL_FILE, _load_model_cached
from mnist_core.local_training import train_or_reuse
from mnist_core.run_store import RUNS_DIR_VARIABLE, RunStore
from unlike_drawings import horizontal_line

ENTRYPOINT = str(REPO_ROOT / "streamlit_app.py")
DRAW_PAGE = "pages/3_Draw.py"  # Relative to the entrypoint, as AppTest.switch_page wants it.
# The canvas' key before any Clear; streamlit-drawable-canvas 0.13 reads its drawing from it.
FIRST_CANVAS_KEY = f"{draw_view.CANVAS_KEY_PREFIX}0"
# Clear examples in the tfds test split: index 4 is a 7 and index 9 a 1.
SEVEN_INDEX, ONE_INDEX = 4, 9
EMPTY_CANVAS_TEXT = "Draw a digit"
NO_RUN_TEXT = "No network has been trained yet"
SALIENCY_TITLE = "Pixels that pushed towards"
TINY_LABEL = "1×16 relu, 1 ep, batch 100"  # TrainConfig(hidden_size=16, hidden_layers=1, epochs=1).
SEED_LABEL = "2×50 relu, 2 ep, batch 100"  # TrainConfig(epochs=2).


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory, data_dir, tiny_result):
    """A run store the pages find via $MNIST_RUNS_DIR: a 1×16 1-epoch run, then a 2-epoch seed run.

    The seed run is saved last, so it is the newest run and the one the Draw page picks first.
    """
    root = tmp_path_factory.mktemp("draw_runs")
    store = RunStore(str(root))
    store.save(tiny_result)
    run, _ = train_or_reuse(TrainConfig(epochs=2), store, data_dir=data_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(RUNS_DIR_VARIABLE, str(root))
        yield run


# The cached run store reads $MNIST_RUNS_DIR once, so each test starts without it.
pytestmark = pytest.mark.usefixtures("forgotten_caches")


@pytest.fixture(scope="module")
def mnist_test_images(data_dir):
    """The real MNIST test split as (N, 28, 28) uint8 images and their labels."""
    dataset = load_dataset("mnist", data_dir=data_dir)
    return dataset.test_images[..., 0], dataset.test_labels


def canvas_data_url(ink):
    """Encodes a 2-D uint8 ink image as the canvas sends it: a 280×280 RGBA PNG, white on black.

    Smaller images, such as 28×28 MNIST digits, are enlarged smoothly to the canvas size first.
    """
    canvas_shape = (draw_view.CANVAS_SIZE, draw_view.CANVAS_SIZE)
    grey = np.asarray(Image.fromarray(ink).resize(canvas_shape, Image.Resampling.BILINEAR))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def run_page(ink=None):
    """Runs the Draw page inside the whole app, with `ink` drawn on the canvas when given.

    The sidebar links to every page, and st.page_link finds pages only relative to the
    entrypoint, so in AppTest the page cannot run as its own main script.
    """
    app = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    app.run()
    if ink is not None:
        # streamlit-drawable-canvas 0.13 returns whatever drawing its widget state holds.
        app.session_state[FIRST_CANVAS_KEY] = {
            "drawing": {"raw": {"objects": []}, "data": canvas_data_url(ink)}
        }
    app.switch_page(DRAW_PAGE).run()
    assert not app.exception, [error.message for error in app.exception]
    assert app.main.title[0].value.endswith("Draw a digit")
    return app


def main_metrics(app):
    """Returns {label: value} of the metrics on the page itself, leaving out the sidebar's."""
    return {metric.label: metric.value for metric in app.main.metric}


def plotly_array(values):
    """Returns a Plotly figure array as float numbers, whether sent as a list or a typed buffer."""
    if isinstance(values, dict):
        # Plotly 6+ sends numeric arrays as typed base64 buffers, with a shape when they are 2-D.
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        return flat.reshape([int(side) for side in str(shape).split(",")] if shape else -1).astype(float)
    return np.asarray(values, dtype=float)


def page_figures(app):
    """Returns the page's Plotly figures as dicts, in page order."""
    return [json.loads(chart.proto.spec) for chart in app.main.get("plotly_chart")]


def bar_heights(app):
    """Returns the bar heights of the first Plotly bar chart on the page."""
    for figure in page_figures(app):
        trace = figure["data"][0]
        if trace.get("type") == "bar":
            return plotly_array(trace["y"])
    return None


def figure_titled(app, start):
    """Returns the first page figure whose title starts with `start`, or None."""
    for figure in page_figures(app):
        if figure["layout"].get("title", {}).get("text", "").startswith(start):
            return figure
    return None


def percent_value(text):
    """Returns a shown percentage such as "97.1%", "> 99.9%" or "< 0.1%" as a number of percent."""
    return float(text.lstrip("<> ").rstrip("%"))


def every_run_rows(app):
    """Returns the rows of the "One drawing, every run" table as dicts."""
    return app.main.dataframe[0].value.to_dict("records")


@pytest.mark.parametrize("index", [SEVEN_INDEX, ONE_INDEX])
def test_a_drawn_mnist_digit_is_read_correctly(trained_store, mnist_test_images, index):
    images, labels = mnist_test_images
    app = run_page(images[index])
    metrics = main_metrics(app)
    assert metrics["The network reads"] == str(labels[index])
    assert percent_value(metrics["Confidence"]) > 90
    assert not app.main.warning, "a real digit is not flagged as unlike a digit"
    heights = bar_heights(app)
    assert heights is not None and heights.shape == (10,)
    assert heights.sum() == pytest.approx(1.0, abs=1e-3)
    assert int(np.argmax(heights)) == labels[index]
    assert any("28×28" in expander.label for expander in app.main.expander)


def test_empty_canvas_asks_for_a_drawing(trained_store):
    app = run_page()
    assert any(EMPTY_CANVAS_TEXT in info.value for info in app.main.info)
    assert main_metrics(app) == {}
    assert bar_heights(app) is None


def test_a_dot_is_nothing_to_recognise(trained_store):
    # One click with the page's pen leaves a disc as wide as the pen in the middle of the canvas.
    rows, columns = np.mgrid[:draw_view.CANVAS_SIZE, :draw_view.CANVAS_SIZE]
    radius, centre = draw_view.STROKE_WIDTH / 2, draw_view.CANVAS_SIZE / 2
    dot = np.where((rows - centre) ** 2 + (columns - centre) ** 2 <= radius**2, 255, 0).astype(np.uint8)
    app = run_page(dot)
    assert any("Nothing to recognise" in info.value for info in app.main.info)
    assert main_metrics(app) == {}


def test_clear_empties_the_canvas(trained_store, mnist_test_images):
    images, _ = mnist_test_images
    app = run_page(images[SEVEN_INDEX])
    assert "The network reads" in main_metrics(app)
    app.button[0].click().run()
    assert any(EMPTY_CANVAS_TEXT in info.value for info in app.main.info)
    assert main_metrics(app) == {}


def test_without_runs_the_page_says_to_train_first(tmp_path, monkeypatch):
    monkeypatch.setenv(RUNS_DIR_VARIABLE, str(tmp_path / "empty"))
    app = run_page()
    assert any(NO_RUN_TEXT in info.value for info in app.main.info)
    assert [link.proto.page_script_hash != "" for link in app.main.get("page_link")] == [True]
    assert main_metrics(app) == {}
    assert not os.path.exists(tmp_path / "empty")


def test_every_run_reads_the_same_drawing(trained_store, mnist_test_images):
    images, labels = mnist_test_images
    app = run_page(images[SEVEN_INDEX])
    rows = every_run_rows(app)
    assert [row["Network"] for row in rows] == [SEED_LABEL, TINY_LABEL], "newest run first"
    assert all(row["Reads"] in [str(digit) for digit in range(10)] for row in rows)
    assert all(0 < row["Confidence"] <= 100 for row in rows)
    seed_row, tiny_row = rows
    assert seed_row["Reads"] == str(labels[SEVEN_INDEX])
    assert seed_row["Note"] == "Picked above" and tiny_row["Note"] == ""
    # The picked run's row and the metrics above it come from the same 28×28 image.
    shown = main_metrics(app)["Confidence"]
    if shown.startswith(">"):
        # "> 99.9%" stands for anything from 99.95% up, which the table shows unrounded.
        assert seed_row["Confidence"] >= 99.95
    else:
        assert seed_row["Confidence"] == pytest.approx(percent_value(shown), abs=0.06)
    assert seed_row["Test accuracy"] == pytest.approx(100 * trained_store.test_accuracy)
    tiny_run = RunStore().list()[1]
    input_image = plotly_array(figure_titled(app, "What the network sees")["data"][0]["z"])
    tiny_probabilities = tiny_run.load_model().probabilities(input_image[np.newaxis])[0]
    assert tiny_row["Confidence"] == pytest.approx(100 * tiny_probabilities.max(), abs=1e-3)


def test_saliency_map_sits_next_to_the_input(trained_store, mnist_test_images):
    images, labels = mnist_test_images
    app = run_page(images[SEVEN_INDEX])
    assert len(page_figures(app)) == 3, "probability bars, the 28×28 input and its saliency map"
    saliency_figure = figure_titled(app, f"{SALIENCY_TITLE} {labels[SEVEN_INDEX]}")
    assert saliency_figure is not None
    heatmap = saliency_figure["data"][0]
    assert heatmap["colorscale"][0][1] != heatmap["colorscale"][-1][1]
    assert heatmap["zmin"] == pytest.approx(-heatmap["zmax"]), "white must sit at zero"
    pixel_map = plotly_array(heatmap["z"])
    input_image = plotly_array(figure_titled(app, "What the network sees")["data"][0]["z"])
    assert pixel_map.shape == input_image.shape == (28, 28)
    assert np.all(pixel_map[input_image == 0] == 0), "gradient × input is zero where there is no ink"
    assert pixel_map.sum() > 0, "on balance the ink of a clear 7 argues for a 7"
    assert any("red ink pushed the network towards" in caption.value for caption in app.main.caption)


def test_the_page_explains_softmax_and_the_preprocessing_switch(trained_store, mnist_test_images):
    images, _ = mnist_test_images
    app = run_page(images[SEVEN_INDEX])
    assert any("Softmax" in expander.label for expander in app.main.expander)
    steps = next(expander for expander in app.main.expander if "28×28" in expander.label)
    assert steps.proto.expanded, "the preprocessing steps are shown open"
    assert any("only knows digits of that size and place" in caption.value for caption in app.main.caption)


def test_a_run_with_a_broken_model_is_shown_as_unavailable(trained_store, mnist_test_images, tmp_path, monkeypatch):
    images, labels = mnist_test_images
    for run in RunStore().list():
        shutil.copytree(run.path, tmp_path / os.path.basename(run.path))
    older = sorted(tmp_path.iterdir())[0]
    # Random bytes are skipped by the store's listing now; weights that cannot be read show on loading.
    corrupt_weights(older / MODEL_FILE)
    monkeypatch.setenv(RUNS_DIR_VARIABLE, str(tmp_path))
    app = run_page(images[SEVEN_INDEX])
    seed_row, broken_row = every_run_rows(app)
    assert seed_row["Reads"] == str(labels[SEVEN_INDEX])
    assert broken_row["Network"] == TINY_LABEL and broken_row["Reads"] == "—"
    assert broken_row["Note"].startswith("Unavailable: its model.keras file cannot be read")


def test_a_picked_run_with_a_broken_model_says_so(trained_store, mnist_test_images, tmp_path, monkeypatch):
    shutil.copytree(trained_store.path, tmp_path / trained_store.run_id)
    corrupt_weights(tmp_path / trained_store.run_id / MODEL_FILE)
    monkeypatch.setenv(RUNS_DIR_VARIABLE, str(tmp_path))
    app = run_page(mnist_test_images[0][SEVEN_INDEX])
    assert any("cannot be used" in error.value for error in app.main.error)
    assert main_metrics(app) == {}


def test_compared_models_fit_in_the_model_cache():
    # One more than the compared runs is the run picked above, which may be older than all of them.
    assert draw_view.MAX_COMPARED_RUNS + 1 <= _load_model_cached.cache_info().maxsize


def bar_texts(app):
    """Returns the values printed on the probability bars."""
    for figure in page_figures(app):
        trace = figure["data"][0]
        if trace.get("type") == "bar":
            return trace["text"]
    return None


def test_the_bars_print_their_values(trained_store, mnist_test_images):
    images, labels = mnist_test_images
    app = run_page(images[SEVEN_INDEX])
    texts, heights = bar_texts(app), bar_heights(app)
    assert len(texts) == 10 and all(text.endswith("%") for text in texts)
    for text, height in zip(texts, heights):
        assert percent_value(text) == pytest.approx(100 * height, abs=0.051) or text in ("> 99.9%", "< 0.1%")
    assert texts[labels[SEVEN_INDEX]] == main_metrics(app)["Confidence"]


def test_a_horizontal_line_is_read_but_said_to_be_unlike_a_digit(trained_store):
    app = run_page(horizontal_line(np.random.default_rng(0)))
    assert "The network reads" in main_metrics(app), "the network still answers"
    notes = [warning.value for warning in app.main.warning]
    assert len(notes) == 1 and "This does not look like a digit" in notes[0]
    assert "pixels tall" in notes[0] and "softmax always picks some class" in notes[0]
    assert any("some class always wins" in caption.value for caption in app.main.caption)


def test_the_trash_icon_and_clear_show_the_same_message(trained_store, mnist_test_images):
    # The canvas' trash icon empties it to its black background and sends that image.
    trashed = run_page(np.zeros((draw_view.CANVAS_SIZE, draw_view.CANVAS_SIZE), np.uint8))
    cleared = run_page(mnist_test_images[0][SEVEN_INDEX])
    cleared.button[0].click().run()
    assert [info.value for info in trashed.main.info] == [info.value for info in cleared.main.info]
    assert EMPTY_CANVAS_TEXT in trashed.main.info[0].value
    assert main_metrics(trashed) == main_metrics(cleared) == {}



def test_a_language_switch_renames_the_chosen_network_and_keeps_it(trained_store):
    app = run_page()
    english = app.selectbox(key="draw_run_en")
    assert english.value == trained_store.run_id and "ep, batch" in english.options[english.index]
    other = next(run.run_id for run in RunStore(os.environ[RUNS_DIR_VARIABLE]).list()
                 if run.run_id != trained_store.run_id)
    english.select(other).run()
    assert app.selectbox(key="draw_run_en").value == other

    app.session_state["language"] = "zh"
    app.run()
    assert not app.exception, [error.message for error in app.exception]
    chinese = app.selectbox(key="draw_run_zh")
    assert chinese.value == other, "the choice survives the language switch"
    assert "轮" in chinese.options[chinese.index] and "ep," not in chinese.options[chinese.index]
