"""Tests for pages/2_Results.py, run headless with Streamlit's AppTest on tiny real-MNIST runs."""

import base64
import json
import pathlib
import re
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import forget_cached_resources, vega_spec
from dashboard import charts, class_charts, inside_view, manage_view, results_view, state, widgets
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset
from mnist_core.evaluate import cell_indices
from mnist_core.model import count_parameters
from mnist_core.local_training import train_or_reuse
from mnist_core.run_store import RUNS_DIR_VARIABLE, RunStore

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
ENTRYPOINT = str(REPO_ROOT / "streamlit_app.py")
# Real trainings on 10,000 examples: quick, and still far better than guessing.
# The run picker has one widget per language (see widgets.run_picker); these tests read English.
RUNS_WIDGET_KEY = results_view.RUNS_KEY + "_en"
FIRST_CONFIG = TrainConfig(hidden_size=16, hidden_layers=1, epochs=2, train_examples=10_000)
SECOND_CONFIG = TrainConfig(hidden_size=24, hidden_layers=1, epochs=2, train_examples=10_000)


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
        TrainConfig(hidden_size=16, hidden_layers=1, epochs=3, train_examples=10_000), RunStore(root), data_dir=data_dir,
        on_progress=lambda event: epochs_seen.append(event.epoch),
        should_stop=lambda: epochs_seen[-1] == 2,
    )
    return root


def use_store(monkeypatch, root):
    """Points the app at `root` and forgets every cached store and dataset of earlier tests."""
    monkeypatch.setenv(RUNS_DIR_VARIABLE, str(root))
    forget_cached_resources()


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


def confusion_chart(app):
    """Returns the confusion matrix's vega_lite_chart element: the one with the cell selection."""
    return next(chart for chart in app.main.get("vega_lite_chart") if chart.proto.selection_mode)


def click_cell(app, true_name, predicted_name):
    """Selects a confusion-matrix cell as a click in the browser does, then reruns the page.

    AppTest cannot click Vega-Lite marks, so the selection the browser sends (its shape as
    Streamlit 1.67 reports a point selection with fields) is put in the chart's session state;
    the script reads it back.
    """
    app.session_state[inside_view.CONFUSION_KEY] = {
        "selection": {class_charts.CELL_SELECTION: [{"true": true_name, "predicted": predicted_name}]}
    }
    app.run()
    assert not app.exception, [error.message for error in app.exception]
    return app


def image_captions(app):
    """Returns the caption of every image on the page, in order."""
    return [caption for image in app.main.get("image") for caption in image.captions]


def gallery_captions(app):
    """Returns the captions of every test image shown."""
    return image_captions(app)


def open_tab(app, label):
    """Opens one of the detail tabs under the test results, as a click on it does, and reruns the page."""
    app.session_state[inside_view.DETAIL_TAB_KEY] = label
    app.run()
    assert not app.exception, [error.message for error in app.exception]
    return app


def plotly_array(value):
    """Returns a figure JSON's array as NumPy; Plotly sends NumPy data as base64 typed arrays."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return data.reshape([int(size) for size in str(value.get("shape", len(data))).split(",")])
    return np.array(value)


def weights_heatmap(app):
    """Returns the first-layer weights' heatmap trace: the one whose hover names units."""
    traces = [figure_of(chart)["data"][0] for chart in app.main.get("plotly_chart")]
    return next(trace for trace in traces if "unit %{customdata}" in trace.get("hovertemplate", ""))


def test_no_runs_points_to_train(monkeypatch, tmp_path):
    use_store(monkeypatch, tmp_path / "empty")
    app = run_page()
    assert app.main.title[0].value == "Results"
    assert "No network has been trained yet" in app.main.info[0].value
    links = app.main.get("page_link")
    assert [(link.value, link.proto.page) for link in links] == [("Go to Train", "Train")]
    assert not app.get("plotly_chart") and not app.get("vega_lite_chart")
    assert not app.main.dataframe


def test_metric_shows_newest_run_test_accuracy(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest = RunStore(two_run_store).list()[0]
    app = run_page()
    metrics = {metric.label: metric.value for metric in app.main.metric}
    assert metrics["Test accuracy"] == f"{newest.test_accuracy * 100:.2f}%"
    assert metrics["Test loss"] == f"{newest.test_loss:.4f}"
    assert not app.main.warning


def curve_specs(app):
    """Returns the Vega-Lite specs of the loss and accuracy charts, the page's first two, each with its data rows."""
    return [vega_spec(chart) for chart in app.main.get("vega_lite_chart")[:2]]


def test_curves_overlay_the_latest_runs_with_short_legends(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    runs = RunStore(two_run_store).list()
    app = run_page()
    assert app.multiselect(key=RUNS_WIDGET_KEY).value == [run.run_id for run in runs], "the latest runs are preselected"
    loss, accuracy = curve_specs(app)
    assert (loss["title"], accuracy["title"]) == ("Loss (lower is better)", "Accuracy (higher is better)")
    # Only the setting the runs differ in is named: the hidden size; the dash tells training from validation.
    assert loss["encoding"]["color"]["scale"]["domain"] == ["1×24", "1×16"]
    assert loss["encoding"]["strokeDash"]["scale"]["domain"] == ["training (average over each epoch)",
                                                                  "validation (end of each epoch)"]
    newest_training = [row for row in loss["data"]["values"]
                       if row["run"] == "1×24" and row["split"].startswith("training")]
    assert [row["value"] for row in newest_training] == pytest.approx(runs[0].history["loss"])
    assert [row["epoch"] for row in newest_training] == [1.0, 2.0]
    assert len(accuracy["data"]["values"]) == 2 * 2 * 2, "two runs × training and validation × two epochs"

    app.multiselect(key=RUNS_WIDGET_KEY).set_value([runs[0].run_id]).run()
    loss, _ = curve_specs(app)
    colour = loss["encoding"]["color"]
    assert colour["field"] == "split" and colour["scale"]["range"] == ["#1f77b4", "#ff7f0e"], \
        "training and validation differ in colour"
    assert loss["encoding"]["x"]["scale"]["domain"] == [0, 2], "the axis spans the epochs trained"


def test_runs_table_lists_every_run(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    runs = RunStore(two_run_store).list()
    table = run_page().main.dataframe[0].value
    assert len(table) == 2
    assert list(table.columns[:4]) == ["Network", "Epochs", "Batch size", "Test accuracy"], "human columns first"
    assert table.columns[-1] == "Run id"
    assert list(table["Run id"]) == [run.run_id for run in runs]
    assert list(table["Network"]) == ["1×24 relu", "1×16 relu"]
    assert list(table["Epochs"]) == ["2", "2"]
    assert list(table["Parameters"]) == [count_parameters(run.config) for run in runs]
    assert list(table["Test accuracy"]) == pytest.approx([100 * run.test_accuracy for run in runs])


def test_downloads_offer_model_and_json(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    app = run_page()
    buttons = [button.proto for button in app.main.get("download_button")]
    assert [button.label for button in buttons] == ["Download the model (.keras)", "Download settings and results (.json)"]
    # The files are read on a click only: no run's model goes to the browser with every visit.
    assert all(button.deferred_file_id and not button.url for button in buttons)


def test_gallery_captions_name_true_and_predicted_class(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest = RunStore(two_run_store).list()[0]
    app = run_page()
    assert not gallery_captions(app), "the images wait behind their tab, so the charts come first"
    captions = gallery_captions(open_tab(app, "Surest mistakes"))
    assert len(captions) == 24
    assert all(re.fullmatch(r"true \d → predicted \d \((\d\d?|>99)%\)", caption) for caption in captions)
    expected_count = f"out of {len(newest.misclassified):,} misclassified"
    assert any(expected_count in caption.value for caption in app.main.caption)


def test_missing_dataset_is_an_error_and_the_page_goes_on(monkeypatch, tmp_path, two_run_store):
    use_store(monkeypatch, two_run_store)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no_data"))
    app = open_tab(run_page(), "Surest mistakes")
    assert "The image galleries need the test images" in app.main.error[0].value
    assert "TFDS_DATA_DIR" in app.main.error[0].value
    assert not gallery_captions(app)
    assert len(app.main.dataframe[0].value) == 2


def test_stopped_run_is_marked(monkeypatch, stopped_store):
    use_store(monkeypatch, stopped_store)
    app = run_page()
    assert "Stopped early after 1 epoch (of 3 planned)" in app.main.warning[0].value
    assert list(app.main.dataframe[0].value["Epochs"]) == ["1 of 3 (stopped)"]
    assert app.main.subheader[0].value == "Test results of 1×16 relu, stopped after 1 of 3 ep, batch 100"


def test_delete_removes_the_run_from_the_store(monkeypatch, tmp_path, two_run_store):
    # A copy keeps the module's store intact for the other tests.
    root = shutil.copytree(two_run_store, tmp_path / "copy")
    use_store(monkeypatch, root)
    # The newest run is the one compared by default, so deleting it also tests the fallback.
    doomed, kept = RunStore(root).list()
    # These runs were trained outside any browser session, so only the teacher may delete them.
    monkeypatch.setenv(state.ADMIN_TOKEN_VARIABLE, "teacher-token")
    app = run_page()
    app.text_input(key=manage_view.TEACHER_TOKEN_KEY).input("teacher-token").run()
    assert app.multiselect(key=RUNS_WIDGET_KEY).value == [doomed.run_id, kept.run_id]
    app.selectbox(key="results_manage_run_en").set_value(doomed.run_id).run()
    assert app.button(key="results_delete").disabled
    app.checkbox(key="results_confirm_delete").check().run()
    app.button(key="results_delete").click().run()
    assert not app.exception
    assert [run.run_id for run in RunStore(root).list()] == [kept.run_id]
    assert len(app.main.dataframe[0].value) == 1
    assert app.checkbox(key="results_confirm_delete").value is False
    assert app.multiselect(key=RUNS_WIDGET_KEY).value == [kept.run_id]
    assert {metric.label: metric.value for metric in app.main.metric}["Test accuracy"] == f"{kept.test_accuracy:.2%}"


def test_inspecting_a_compared_run_makes_it_the_active_run(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest, oldest = RunStore(two_run_store).list()
    app = run_page()
    app.multiselect(key=RUNS_WIDGET_KEY).set_value([newest.run_id, oldest.run_id]).run()
    app.selectbox(key="results_detail_run_en").set_value(oldest.run_id).run()
    assert {metric.label: metric.value for metric in app.main.metric}["Test accuracy"] == f"{oldest.test_accuracy:.2%}"
    # The callback runs before the sidebar is drawn, so the sidebar already shows the new choice.
    assert app.sidebar.metric[0].value == f"{oldest.test_accuracy:.2%}"


def test_cell_indices_on_a_hand_made_example():
    labels = np.array([4, 4, 9, 4, 7, 4, 4])
    misclassified = np.array([1, 3, 4, 5])
    probabilities = np.zeros((4, 10))
    probabilities[0, 9], probabilities[0, 4] = 0.6, 0.4  # Image 1, a 4 read as 9.
    probabilities[1, 9], probabilities[1, 4] = 0.9, 0.1  # Image 3, a 4 read as 9, more surely.
    probabilities[2, 1] = 1.0  # Image 4, a 7 read as 1.
    probabilities[3, 2] = 1.0  # Image 5, a 4 read as 2.
    indices, confidences = cell_indices(labels, misclassified, probabilities, 4, 9)
    assert indices.tolist() == [3, 1]
    assert confidences.tolist() == pytest.approx([0.9, 0.6])
    indices, confidences = cell_indices(labels, misclassified, probabilities, 4, 4)
    assert indices.tolist() == [0, 6]
    assert np.isnan(confidences).all()
    assert cell_indices(labels, misclassified, probabilities, 9, 4)[0].tolist() == []
    with pytest.raises(ValueError, match="predicted_class .* got 10"):
        cell_indices(labels, misclassified, probabilities, 4, 10)


def test_cell_indices_fill_every_cell_of_a_real_confusion_matrix(two_run_store, data_dir):
    run = RunStore(two_run_store).list()[0]
    labels = load_dataset("mnist", data_dir=data_dir).test_labels
    counts = np.array([
        [len(cell_indices(labels, run.misclassified, run.misclassified_probabilities, true_class, predicted_class)[0])
         for predicted_class in range(10)]
        for true_class in range(10)
    ])
    assert counts.tolist() == run.confusion.tolist()


def test_confusion_chart_is_selectable_and_hints_until_a_cell_is_clicked(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    run = RunStore(two_run_store).list()[0]
    app = run_page()
    chart = confusion_chart(app)
    assert list(chart.proto.selection_mode) == [class_charts.CELL_SELECTION]
    counts = {(row["true"], row["predicted"]): row["images"] for row in vega_spec(chart)["data"]["values"]}
    assert len(counts) == 100 and counts[("3", "5")] == run.confusion[3, 5]
    per_class = next(vega_spec(other) for other in app.main.get("vega_lite_chart")
                     if vega_spec(other)["data"]["values"][0].get("class") == "0")
    assert [row["accuracy"] for row in per_class["data"]["values"]] == pytest.approx(list(run.per_class_accuracy))
    assert not app.main.get("plotly_chart"), "Results opens without Plotly"
    assert inside_view.CELL_HINT in [info.value for info in app.main.info]


def test_clicking_a_mistake_cell_shows_its_images_surest_first(monkeypatch, two_run_store, data_dir):
    use_store(monkeypatch, two_run_store)
    run = RunStore(two_run_store).list()[0]
    # The most common confusion, so the cell holds several images.
    off_diagonal = run.confusion - np.diag(np.diag(run.confusion))
    true_class, predicted_class = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
    labels = load_dataset("mnist", data_dir=data_dir).test_labels
    indices, confidences = cell_indices(labels, run.misclassified, run.misclassified_probabilities,
                                        true_class, predicted_class)
    app = click_cell(run_page(), str(true_class), str(predicted_class))
    count = run.confusion[true_class, predicted_class]
    assert any(caption.value.startswith(f"true {true_class} → predicted {predicted_class}: {count} images.")
               for caption in app.main.caption)
    assert inside_view.CELL_HINT not in [info.value for info in app.main.info]
    shown = min(count, inside_view.CELL_IMAGES_SHOWN)
    captions = gallery_captions(app)[:shown]
    assert [int(caption.split(" · ")[0][1:]) for caption in captions] == indices[:shown].tolist()
    assert captions[0] == f"#{indices[0]} · " + (">99%" if confidences[0] >= 0.995 else f"{confidences[0]:.0%}")


def test_clicking_a_diagonal_cell_shows_correct_images(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    run = RunStore(two_run_store).list()[0]
    app = click_cell(run_page(), "3", "3")
    count = run.confusion[3, 3]
    summary = f"true 3 → predicted 3: {count:,} images. The 32 first in the test set are shown."
    assert any(caption.value.startswith(summary) for caption in app.main.caption)
    captions = gallery_captions(app)[:32]
    assert all(re.fullmatch(r"#\d+", caption) for caption in captions)
    assert not set(int(caption[1:]) for caption in captions) & set(run.misclassified.tolist())


def test_first_layer_weights_show_one_tile_per_unit(monkeypatch, two_run_store):
    use_store(monkeypatch, two_run_store)
    newest, oldest = RunStore(two_run_store).list()
    app = open_tab(run_page(), "First-layer weights")
    assert not app.main.get("image"), "one heatmap, not an image per unit"
    units = plotly_array(weights_heatmap(app)["customdata"])
    assert sorted(set(units.ravel()) - {0}) == list(range(1, 25)) and newest.config.hidden_size == 24
    app.multiselect(key=RUNS_WIDGET_KEY).set_value([oldest.run_id]).run()
    assert oldest.config.hidden_size == 16
    assert sorted(set(plotly_array(weights_heatmap(app)["customdata"]).ravel()) - {0}) == list(range(1, 17))
    assert any("red pixels excite it, blue pixels inhibit it" in caption.value for caption in app.main.caption)


def test_weights_mosaic_scales_each_unit_to_its_strongest_weight_with_gaps_between():
    weights = np.zeros((3, 2, 2))
    weights[0] = [[2.0, 0.0], [-1.0, 1.0]]
    weights[1] = [[0.5, -0.25], [0.0, 0.0]]
    mosaic, units = charts.weights_mosaic(weights, columns=2)
    # Two units to a row, each 2×2 with a one-pixel gap around it: 2 rows of tiles, 7×7 pixels.
    assert mosaic.shape == units.shape == (7, 7)
    assert mosaic[1:3, 1:3].tolist() == [[1.0, 0.0], [-0.5, 0.5]]
    assert mosaic[1:3, 4:6].tolist() == [[1.0, -0.5], [0.0, 0.0]]
    assert mosaic[4:6, 1:3].tolist() == [[0.0, 0.0], [0.0, 0.0]], "an all-zero unit stays zero"
    assert np.isnan(mosaic[0]).all() and np.isnan(mosaic[:, 3]).all() and np.isnan(mosaic[4:6, 4:6]).all()
    assert units[1, 1] == 1 and units[2, 5] == 2 and units[5, 2] == 3 and units[0, 0] == 0 and units[5, 5] == 0


def test_weights_figure_uses_a_diverging_scale_centred_on_zero():
    figure = charts.weights_figure(np.ones((4, 28, 28)))
    assert figure.layout.coloraxis.cmid == 0
    assert figure.layout.coloraxis.colorscale[0][1] != figure.layout.coloraxis.colorscale[-1][1]


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory, two_run_store, stopped_store):
    """The two finished runs and, newer than both, the stopped one."""
    root = tmp_path_factory.mktemp("mixed_runs")
    for source in (two_run_store, stopped_store):
        for folder in pathlib.Path(source).iterdir():
            shutil.copytree(folder, root / folder.name)
    return root


def test_a_stopped_run_is_never_the_default_over_a_finished_one(monkeypatch, mixed_store):
    use_store(monkeypatch, mixed_store)
    stopped, newest_finished, oldest = RunStore(mixed_store).list()
    assert stopped.stopped and not newest_finished.stopped
    app = run_page()
    assert app.multiselect(key=RUNS_WIDGET_KEY).value == [newest_finished.run_id, oldest.run_id]
    assert app.sidebar.metric[0].value == f"{newest_finished.test_accuracy:.2%}"
    titles = app.selectbox(key="results_manage_run_en").options
    assert any("stopped after 1 of 3 ep" in title for title in titles), titles


def fake_run(number, stopped=False, **settings):
    config = TrainConfig(**settings)
    history = {"loss": [0.3], "accuracy": [0.9], "val_loss": [0.3], "val_accuracy": [0.9], "epoch_fraction": [1.0]}
    return SimpleNamespace(run_id=f"2026-run-{number:04d}", config=config, history=history, stopped=stopped,
                           epochs_trained=1, test_accuracy=0.9)


def test_legends_name_only_the_settings_that_differ():
    runs = [fake_run(1, hidden_size=64), fake_run(2, hidden_size=64, learning_rate=0.01),
            fake_run(3, hidden_size=128), fake_run(4, hidden_size=64, epochs=20, stopped=True),
            fake_run(5, hidden_size=64)]
    labels = list(results_view.curve_histories(runs, short=True))
    assert labels == [
        "2×64, 5 ep, lr 0.001 (#0001)", "2×64, 5 ep, lr 0.01", "2×128, 5 ep, lr 0.001",
        "2×64, 20 ep, lr 0.001, stopped after 1 ep", "2×64, 5 ep, lr 0.001 (#0005)",
    ]


def test_the_comparison_starts_with_the_active_and_the_newest_finished_runs():
    runs = [fake_run(5, stopped=True), fake_run(4), fake_run(3), fake_run(2), fake_run(1)]
    assert widgets.default_compared(runs, active=runs[3]) == ["2026-run-0002", "2026-run-0004", "2026-run-0003"]
    assert widgets.default_compared(runs, active=None) == ["2026-run-0004", "2026-run-0003", "2026-run-0002"]
