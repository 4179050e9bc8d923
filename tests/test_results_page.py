"""Tests for pages/2_Results.py, run headless with Streamlit's AppTest on tiny real-MNIST runs."""

import json
import pathlib
import re
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from mnist_core.config import TrainConfig
from mnist_core.model import count_parameters
from mnist_core.runs import RUNS_DIR_VARIABLE, RunStore, train_or_reuse

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
ENTRYPOINT = str(REPO_ROOT / "streamlit_app.py")
FIRST_CONFIG = TrainConfig(hidden_size=16, hidden_layers=1, epochs=2)
SECOND_CONFIG = TrainConfig(hidden_size=24, hidden_layers=1, epochs=2)
TABLE_COLUMNS = ["Run", "Layers", "Hidden size", "Parameters", "Train time (s)",
                 "Validation accuracy", "Test accuracy", "Stopped"]


@pytest.fixture(scope="module")
def two_run_store(tmp_path_factory, data_dir):
    """A store holding two finished tiny runs, trained once for the whole module."""
    root = tmp_path_factory.mktemp("two_runs")
    store = RunStore(root)
    for config in (FIRST_CONFIG, SECOND_CONFIG):
        train_or_reuse(config, store, data_dir=data_dir)
    return root


@pytest.fixture(scope="module")
def stopped_store(tmp_path_factory, data_dir):
    """A store holding one run of three planned epochs, stopped during its second epoch."""
    root = tmp_path_factory.mktemp("stopped_run")
    epochs_seen = []
    train_or_reuse(
        TrainConfig(hidden_size=16, hidden_layers=1, epochs=3), RunStore(root), data_dir=data_dir,
        on_progress=lambda event: epochs_seen.append(event.epoch),
        should_stop=lambda: epochs_seen[-1] == 2,
    )
    return root


def use_store(monkeypatch, root):
    """Points the app at `root` and forgets every cached store and dataset of earlier tests."""
    monkeypatch.setenv(RUNS_DIR_VARIABLE, str(root))
    st.cache_resource.clear()


def run_page():
    """Runs the Results page inside the whole app and returns the AppTest, failing on exceptions.

    The page is reached from the entrypoint because the sidebar links to every page: run as its
    own entrypoint (AppTest.from_file of pages/2_Results.py), the page knows no other page, and st.page_link
    raises StreamlitPageNotFoundError, which never happens in the real app.
    """
    app = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    app.run()
    app.switch_page("pages/2_Results.py").run()
    assert not app.exception, [error.message for error in app.exception]
    return app


def figure_of(element):
    """Returns the plotly figure JSON of an AppTest plotly_chart element."""
    return json.loads(element.proto.spec)


def test_no_runs_points_to_train(monkeypatch, tmp_path):
    use_store(monkeypatch, tmp_path / "empty")
    app = run_page()
    assert app.main.title[0].value == "Results"
    assert "No network has been trained yet" in app.main.info[0].value
    links = app.main.get("page_link")
    assert [(link.value, link.proto.page) for link in links] == [("Go to Train", "Train")]
    assert not app.get("plotly_chart")
    assert not app.main.dataframe


def test_metric_shows_newest_run_test_accuracy(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest = RunStore(two_run_store).list()[0]
    app = run_page()
    metrics = {metric.label: metric.value for metric in app.main.metric}
    assert metrics["Test accuracy"] == f"{newest.test_accuracy * 100:.2f}%"
    assert metrics["Test loss"] == f"{newest.test_loss:.4f}"
    assert not app.main.warning


def test_curves_overlay_both_runs(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    runs = RunStore(two_run_store).list()
    app = run_page()
    assert len(figure_of(app.main.get("plotly_chart")[0])["data"]) == 4
    app.multiselect(key="results_runs").set_value([run.run_id for run in runs]).run()
    traces = figure_of(app.main.get("plotly_chart")[0])["data"]
    # Two runs × (loss, accuracy) × (train, validation).
    assert len(traces) == 8
    names = {trace["name"] for trace in traces}
    assert names == {f"{run.config.describe()} — {part}" for run in runs for part in ("train", "validation")}
    assert traces[0]["y"] == pytest.approx(runs[0].history["loss"])


def test_runs_table_lists_every_run(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    runs = RunStore(two_run_store).list()
    table = run_page().main.dataframe[0].value
    assert len(table) == 2
    assert set(TABLE_COLUMNS) <= set(table.columns)
    assert list(table["Run"]) == [run.run_id for run in runs]
    assert list(table["Parameters"]) == [count_parameters(run.config) for run in runs]
    assert list(table["Test accuracy"]) == pytest.approx([100 * run.test_accuracy for run in runs])
    assert list(table["Stopped"]) == [False, False]


def test_downloads_offer_model_and_json(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    app = run_page()
    labels = [button.proto.label for button in app.main.get("download_button")]
    assert labels == ["Download the model (.keras)", "Download settings and results (.json)"]


def test_gallery_captions_name_true_and_predicted_class(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest = RunStore(two_run_store).list()[0]
    app = run_page()
    captions = [caption for image in app.main.get("image") for caption in image.captions]
    assert len(captions) == 24
    assert all(re.fullmatch(r"true \d → predicted \d \((\d\d?|>99)%\)", caption) for caption in captions)
    expected_count = f"out of {len(newest.misclassified):,} misclassified"
    assert any(expected_count in caption.value for caption in app.main.caption)


def test_missing_dataset_is_an_error_and_the_page_goes_on(monkeypatch, tmp_path, two_run_store):
    use_store(monkeypatch, two_run_store)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no_data"))
    app = run_page()
    assert "The gallery needs the test images" in app.main.error[0].value
    assert "TFDS_DATA_DIR" in app.main.error[0].value
    assert not app.main.get("image")
    assert len(app.main.dataframe[0].value) == 2


def test_stopped_run_is_marked(monkeypatch, stopped_store):
    use_store(monkeypatch, stopped_store)
    app = run_page()
    assert "Stopped early after 1 epoch (of 3 planned)" in app.main.warning[0].value
    assert list(app.main.dataframe[0].value["Stopped"]) == [True]


def test_delete_removes_the_run_from_the_store(monkeypatch, tmp_path, two_run_store):
    # A copy keeps the module's store intact for the other tests.
    root = shutil.copytree(two_run_store, tmp_path / "copy")
    use_store(monkeypatch, root)
    # The newest run is the one compared by default, so deleting it also tests the fallback.
    doomed, kept = RunStore(root).list()
    app = run_page()
    assert app.multiselect(key="results_runs").value == [doomed.run_id]
    app.selectbox(key="results_manage_run").set_value(doomed.run_id).run()
    assert app.button(key="results_delete").disabled
    app.checkbox(key="results_confirm_delete").check().run()
    app.button(key="results_delete").click().run()
    assert not app.exception
    assert [run.run_id for run in RunStore(root).list()] == [kept.run_id]
    assert len(app.main.dataframe[0].value) == 1
    assert app.checkbox(key="results_confirm_delete").value is False
    assert app.multiselect(key="results_runs").value == [kept.run_id]
    assert {metric.label: metric.value for metric in app.main.metric}["Test accuracy"] == f"{kept.test_accuracy:.2%}"


def test_inspecting_a_compared_run_makes_it_the_active_run(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest, oldest = RunStore(two_run_store).list()
    app = run_page()
    app.multiselect(key="results_runs").set_value([newest.run_id, oldest.run_id]).run()
    app.selectbox(key="results_detail_run").set_value(oldest.run_id).run()
    assert {metric.label: metric.value for metric in app.main.metric}["Test accuracy"] == f"{oldest.test_accuracy:.2%}"
    # The callback runs before the sidebar is drawn, so the sidebar already shows the new choice.
    assert app.sidebar.metric[0].value == f"{oldest.test_accuracy:.2%}"
