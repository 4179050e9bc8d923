"""The web server never imports Keras or TensorFlow, whatever page a visitor opens.

Streamlit 1.67 calls keras.backend.clear_session() (a full garbage collection) after every script
run once "keras" is in sys.modules, which made pages crawl while others trained; Keras belongs in
the Ray workers only. Each test runs the pages through AppTest in a fresh Python process, so what
the test process itself imported (it trains) cannot hide an import.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from mnist_core.run_store import RunStore

# Runs in the fresh process: every page, with a stored run, a drawing and its saliency map, then
# (with --train) a one-value sweep trained by the Ray workers and read back from the store.
SERVER_SCRIPT = r"""
import base64, io, json, sys
import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ENTRYPOINT = sys.argv[1]
seen = {}


def page(path=None, canvas=None):
    app = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    app.run()
    if canvas is not None:
        app.session_state["draw_canvas_0"] = {"drawing": {"raw": {"objects": []}, "data": canvas}}
    if path:
        app.switch_page(path).run()
    assert not app.exception, [error.message for error in app.exception]
    return app


def seven_on_canvas():
    ink = np.zeros((280, 280), np.uint8)
    ink[60:80, 70:210] = 255
    for row in range(80, 230):
        column = 190 - (row - 80) * 80 // 150
        ink[row, column - 10:column + 10] = 255
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([ink, ink, ink, np.full_like(ink, 255)]), mode="RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


home = page()
seen["home"] = [title.value for title in home.title]
train = page("pages/1_Train.py")
seen["train"] = [button.label for button in train.button]


def results_with_weights():
    # The weights, which need the stored network, are drawn when their tab is opened.
    results = page("pages/2_Results.py")
    results.session_state["results_detail_tab"] = "First-layer weights"
    results.run()
    assert not results.exception, [error.message for error in results.exception]
    return [header.value for header in results.subheader]


seen["results"] = results_with_weights()
draw = page("pages/3_Draw.py", canvas=seven_on_canvas())
seen["draw"] = {"metrics": [metric.label for metric in draw.main.metric],
                "charts": [json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "")
                           for chart in draw.get("plotly_chart")]}
sweep = page("pages/4_Sweep.py")
seen["sweep"] = [title.value for title in sweep.title]
if "--train" in sys.argv:
    sweep.selectbox(key="sweep_field").set_value("hidden_size")
    sweep.text_input(key="sweep_values").input("9")
    sweep.slider(key="sweep_epochs").set_value(1)
    sweep.button[0].click().run()
    import time
    deadline = time.monotonic() + 600
    while not (sweep.dataframe and list(sweep.dataframe[0].value["Status"]) == ["done"]):
        assert time.monotonic() < deadline, "the sweep never finished"
        time.sleep(1)
        sweep.run()
        assert not sweep.exception, [error.message for error in sweep.exception]
    seen["trained"] = list(sweep.dataframe[0].value["Status"])
    seen["results_after_training"] = results_with_weights()
seen["imported"] = sorted(name for name in ("keras", "tensorflow") if name in sys.modules)
print(json.dumps(seen))
"""


FAST_TEST = "test_every_page_with_a_run_and_a_drawing_imports_neither_keras_nor_tensorflow"
_STARTED = {}


def start_server_pages(store_dir, *flags):
    """Starts SERVER_SCRIPT in a fresh Python over the run store `store_dir`; returns the process."""
    import ray

    # The pages' job manager joins the test session's Ray instance instead of starting its own.
    environment = {"MNIST_RUNS_DIR": str(store_dir), "MNIST_RAY_ADDRESS": ray.get_runtime_context().gcs_address}
    return subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, str(REPO_ROOT / "streamlit_app.py"), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT, env={**os.environ, **environment},
    )


def pages_seen(process):
    """Waits for SERVER_SCRIPT's process and returns what it saw."""
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def start_in_background(test_name, request):
    """Starts the fast test's fresh Python over a stored run; conftest calls this before the first test.

    Begun then, its ~6 s of imports and page runs happen on the second core beside other tests.
    """
    if test_name != FAST_TEST or test_name in _STARTED:
        return None
    store_dir = request.getfixturevalue("tmp_path_factory").mktemp("keras_free_runs")
    RunStore(str(store_dir)).save(request.getfixturevalue("tiny_result"))
    _STARTED[test_name] = start_server_pages(store_dir)
    return _STARTED[test_name]


@pytest.fixture
def stored_run_dir(tmp_path, tiny_result):
    RunStore(str(tmp_path / "runs")).save(tiny_result)
    return tmp_path / "runs"


def test_every_page_with_a_run_and_a_drawing_imports_neither_keras_nor_tensorflow(request):
    start_in_background(FAST_TEST, request)  # Does nothing when conftest has started it.
    seen = pages_seen(_STARTED.pop(FAST_TEST))
    assert seen["imported"] == []
    assert seen["home"] == ["Train your first neural network"]
    assert "Train" in seen["train"]
    assert "First-layer weights" in seen["results"]
    assert "The network reads" in seen["draw"]["metrics"]
    assert any(title.startswith("Pixels that pushed towards") for title in seen["draw"]["charts"])
    assert seen["sweep"] == ["Sweep one setting"]


@pytest.mark.slow
def test_training_through_the_pages_imports_neither_keras_nor_tensorflow(stored_run_dir):
    seen = pages_seen(start_server_pages(stored_run_dir, "--train"))
    assert seen["trained"] == ["done"]
    assert "First-layer weights" in seen["results_after_training"]
    assert seen["imported"] == []
