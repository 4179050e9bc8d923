"""The Draw page in AppTest: real MNIST digits injected as canvas drawings, read by a trained run."""

import base64
import io
import json
import os

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from conftest import REPO_ROOT
from dashboard import draw_view
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.runs import RUNS_DIR_VARIABLE, RunStore, train_or_reuse

ENTRYPOINT = str(REPO_ROOT / "streamlit_app.py")
DRAW_PAGE = "pages/3_Draw.py"  # Relative to the entrypoint, as AppTest.switch_page wants it.
# The canvas' key before any Clear; streamlit-drawable-canvas 0.13 reads its drawing from it.
FIRST_CANVAS_KEY = f"{draw_view.CANVAS_KEY_PREFIX}0"
# Clear examples in the tfds test split: index 4 is a 7 and index 9 a 1.
SEVEN_INDEX, ONE_INDEX = 4, 9
EMPTY_CANVAS_TEXT = "Draw a digit"
NO_RUN_TEXT = "No network has been trained yet"


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory, data_dir):
    """A run store holding one 2-epoch seed network, which the pages find via $MNIST_RUNS_DIR."""
    root = tmp_path_factory.mktemp("draw_runs")
    run, _ = train_or_reuse(TrainConfig(epochs=2), RunStore(str(root)), data_dir=data_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(RUNS_DIR_VARIABLE, str(root))
        yield run


@pytest.fixture(autouse=True)
def fresh_caches():
    """The cached run store reads $MNIST_RUNS_DIR once, so each test starts without it."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


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


def bar_heights(app):
    """Returns the bar heights of the first Plotly bar chart on the page."""
    for chart in app.main.get("plotly_chart"):
        trace = json.loads(chart.proto.spec)["data"][0]
        if trace.get("type") == "bar":
            heights = trace["y"]
            if isinstance(heights, dict):
                # Plotly 6+ sends numeric arrays as typed base64 buffers.
                heights = np.frombuffer(base64.b64decode(heights["bdata"]), dtype=heights["dtype"])
            return np.asarray(heights, dtype=float)
    return None


@pytest.mark.parametrize("index", [SEVEN_INDEX, ONE_INDEX])
def test_a_drawn_mnist_digit_is_read_correctly(trained_store, mnist_test_images, index):
    images, labels = mnist_test_images
    app = run_page(images[index])
    metrics = main_metrics(app)
    assert metrics["The network reads"] == str(labels[index])
    assert float(metrics["Confidence"].rstrip("%")) > 90
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
