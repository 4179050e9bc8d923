"""AppTest tests of the Home and Train pages: seed defaults, training, reuse and missing data."""

import json
import re

import pytest

from streamlit.testing.v1 import AppTest

from app_helpers import open_page, rerun_until, texts, use_fresh_store, vega_spec
from conftest import REPO_ROOT

TRAIN_PAGE = "pages/1_Train.py"
# The pages train in Ray workers, as on a real server.
pytestmark = pytest.mark.usefixtures("ray_instance")


@pytest.fixture
def fresh_store(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")
    return tmp_path / "runs"


def open_code_box(app):
    """Opens the Keras code box, as a click on it does, and reruns the page."""
    from dashboard.train_view import CODE_BOX_KEY

    app.session_state[CODE_BOX_KEY] = True
    app.run()
    assert not app.exception, app.exception
    return app


def test_controls_default_to_the_seed_notebook(fresh_store):
    app = open_page(TRAIN_PAGE)
    assert app.select_slider(key="hidden_size").value == 50
    assert app.slider(key="hidden_layers").value == 2
    assert app.slider(key="epochs").value == 5
    assert app.select_slider(key="batch_size").value == 100
    assert app.select_slider(key="learning_rate").value == 0.001
    assert app.selectbox(key="optimizer").value == "adam"
    assert app.selectbox(key="activation").value == "relu"
    assert app.slider(key="dropout").value == 0.0
    assert app.slider(key="validation_fraction").value == 0.1
    assert app.number_input(key="seed").value == 0
    assert app.radio(key="dataset").value == "mnist"
    assert "42,310 trainable parameters" in texts(app)
    assert "No run trained yet." in texts(app)


def train_tiny(app):
    app.select_slider(key="hidden_size").set_value(16)
    app.slider(key="hidden_layers").set_value(1)
    app.slider(key="epochs").set_value(1)
    app.button[0].click().run()
    return rerun_until(app, lambda page: any(metric.label == "Test accuracy" for metric in page.main.metric))


def test_training_shows_curves_and_test_metrics_then_reuses_them(fresh_store):
    app = train_tiny(open_page(TRAIN_PAGE))
    accuracy = next(metric for metric in app.main.metric if metric.label == "Test accuracy").value
    assert 85 < float(accuracy.rstrip("%")) < 100
    loss_chart, accuracy_chart = [vega_spec(chart) for chart in app.main.get("vega_lite_chart")]
    assert (loss_chart["title"], accuracy_chart["title"]) == ("Loss (lower is better)", "Accuracy (higher is better)")
    validation = [row for row in accuracy_chart["data"]["values"] if row["split"] == "validation (end of epoch)"]
    assert [row["epoch"] for row in validation] == [1.0]
    assert validation[0]["value"] == pytest.approx(float(next(
        metric for metric in app.main.metric if metric.label == "Validation accuracy").value.rstrip("%")) / 100, abs=1e-4)
    assert "Trained in" in texts(app)
    assert len(list(fresh_store.iterdir())) == 1, "the run is stored"
    app.run()
    assert "1×16 relu, 1 ep, batch 100" in " ".join(item.value for item in app.sidebar.markdown)

    again = open_page(TRAIN_PAGE)
    again.select_slider(key="hidden_size").set_value(16)
    again.slider(key="hidden_layers").set_value(1)
    again.slider(key="epochs").set_value(1)
    again.button[0].click().run()
    assert "trained before" in texts(again), "a stored config comes back at once, with no polling"
    assert next(metric for metric in again.main.metric if metric.label == "Test accuracy").value == accuracy


def test_bad_data_folder_gives_a_clear_message(fresh_store, monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-data"))
    app = open_page(TRAIN_PAGE)
    assert "not stored locally" in texts(app)
    app.slider(key="epochs").set_value(1)
    app.button[0].click().run()
    app = rerun_until(app, lambda page: len(page.error) > 0)
    assert "TFDS_DATA_DIR" in app.error[0].value


def test_home_shows_dataset_status_and_the_quick_start(fresh_store):
    app = open_page("streamlit_app.py")
    assert "MNIST is on this machine" in app.success[0].value
    assert "No runs yet" in texts(app)
    assert app.title[0].value == "Train your first neural network"
    labels = [link.proto.label for link in app.get("page_link")]
    quick_start = [label for label in labels if label.startswith("Train the seed network")]
    # An estimate for this machine, computed from the cost model, not a fixed promise.
    assert re.fullmatch(r"Train the seed network \(about \d+ s on this machine\)", quick_start[0]), labels


def test_presets_fill_the_controls_and_the_keras_code_follows(fresh_store):
    app = open_page(TRAIN_PAGE)
    assert "Seed notebook" in texts(app), "the seed defaults are recognised as the seed preset"
    app.pills(key="preset").set_value("Tiny").run()
    assert app.select_slider(key="hidden_size").value == 16 and app.slider(key="hidden_layers").value == 1
    assert "**Tiny** —" in texts(app)
    assert not app.code, "the listing waits until its box is opened"
    code = open_code_box(app).code[0].value
    assert code.count("layers.Dense(16, activation=\"relu\")") == 1 and "epochs=5" in code
    compile(code, "<keras_code>", "exec")


def test_settings_survive_a_visit_to_another_page(fresh_store):
    app = open_page(TRAIN_PAGE)
    app.select_slider(key="hidden_size").set_value(128)
    app.button[0].click().run()
    app.switch_page("pages/2_Results.py").run()
    app.switch_page(TRAIN_PAGE).run()
    assert app.select_slider(key="hidden_size").value == 128


def _stopped_history_page():
    from dashboard import train_view

    train_view.history_view(
        {"loss": [0.5, 0.4], "accuracy": [0.8, 0.85], "val_loss": [0.45, 0.42], "val_accuracy": [0.82, 0.84],
         "seconds": [1.0, 0.4], "epoch_fraction": [1.0, 0.4]},
    )


def test_the_table_says_which_epoch_a_stop_cut_short():
    app = AppTest.from_function(_stopped_history_page).run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["epoch"]) == ["1", "2 (40%)"]
    assert list(table["val_accuracy"]) == [0.82, 0.84]
    # Narrow enough for a 390 px phone inside an expander (about 322 px), so it never scrolls sideways.
    widths = [column["width"] for column in json.loads(app.dataframe[0].proto.columns).values() if "width" in column]
    assert len(widths) == 6 and sum(widths) <= 320


def test_settings_update_the_size_estimate_and_code_without_training(fresh_store):
    app = open_page(TRAIN_PAGE)
    app.select_slider(key="hidden_size").set_value(128).run()
    assert not app.exception
    assert "118,282 trainable parameters" in texts(app), "the size follows the slider at once"
    assert open_code_box(app).code[0].value.count('layers.Dense(128, activation="relu")') == 2
    assert "Press **Train**" in texts(app) and not app.get("progress"), "nothing started"
    from dashboard import state

    assert state.get_job_manager().jobs_for(app.session_state.owner_id) == []


def open_link(query):
    """Opens the Train page the way a shared link does, with `query` in the address."""
    linked = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
    linked.switch_page(TRAIN_PAGE)
    linked.query_params.update(query)
    linked.run()
    assert not linked.exception
    return linked


def test_settings_go_in_the_link_and_a_link_opens_them(fresh_store):
    app = open_page(TRAIN_PAGE)
    app.select_slider(key="hidden_size").set_value(128).run()
    app.slider(key="epochs").set_value(3).run()
    assert app.query_params == {"hidden_size": "128", "epochs": "3"}, "only settings that differ from the seed"

    linked = open_link({"hidden_size": "256", "epochs": "3", "learning_rate": "0.01", "optimizer": "sgd"})
    assert linked.select_slider(key="hidden_size").value == 256 and linked.slider(key="epochs").value == 3
    assert linked.select_slider(key="learning_rate").value == 0.01 and linked.selectbox(key="optimizer").value == "sgd"


def test_a_bad_link_falls_back_to_the_seed_with_a_one_line_note(fresh_store):
    linked = open_link({"hidden_size": "abc", "epochs": "500", "batch_size": "64", "dataset": "cifar"})
    assert linked.select_slider(key="hidden_size").value == 50 and linked.slider(key="epochs").value == 5
    assert linked.select_slider(key="batch_size").value == 64, "the valid value of the link is kept"
    note = next(caption.value for caption in linked.caption if "cannot be used" in caption.value)
    assert "hidden_size=abc" in note and "epochs=500" in note and "dataset=cifar" in note


def test_settings_from_link_accepts_only_values_the_controls_offer():
    from dashboard.train_settings import link_query, settings_from_link
    from mnist_core.config import TrainConfig

    values, rejected = settings_from_link({"hidden_size": "130", "dropout": "0.2", "seed": "-1", "optimizer": "adam"})
    assert values == {"dropout": 0.2, "optimizer": "adam"}
    assert rejected == ["hidden_size=130", "seed=-1"]
    config = TrainConfig(hidden_size=128, learning_rate=0.01)
    assert link_query(config) == {"hidden_size": "128", "learning_rate": "0.01"}
    assert settings_from_link(link_query(config)) == ({"hidden_size": 128, "learning_rate": 0.01}, [])


def test_a_new_session_of_the_same_browser_finds_its_running_training(fresh_store):
    from dashboard import state
    from mnist_core.config import TrainConfig

    owner = "0123456789abcdef0123456789abcdef"
    job = state.get_job_manager().submit(TrainConfig(hidden_size=256, epochs=40), owner=owner)
    try:
        # What the owner cookie gives a reloaded page; AppTest has no browser to hold the cookie.
        reloaded = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
        reloaded.session_state["owner_id"] = owner
        reloaded.switch_page(TRAIN_PAGE)
        reloaded.run()
        assert not reloaded.exception
        assert any(header.value == "Training 2×256 relu, 40 ep, batch 100" for header in reloaded.subheader)
        assert reloaded.button(key=f"stop-{job.job_id}")

        stranger = open_page(TRAIN_PAGE)
        assert not any(header.value.startswith("Training") for header in stranger.subheader)
        assert not [button for button in stranger.button if button.key and button.key.startswith("stop-")]
    finally:
        state.get_job_manager().stop(job.job_id, owner)


def test_unreachable_ray_is_one_line_naming_the_address(fresh_store, monkeypatch):
    monkeypatch.setenv("MNIST_RAY_ADDRESS", "127.0.0.1:9")
    app = open_page(TRAIN_PAGE)
    app = rerun_until(app, lambda page: len(page.error) > 0)
    assert len(app.error) == 1 and "127.0.0.1:9" in app.error[0].value
    app.button(key="retrain_button").click().run()  # Retrain: the job fails with the same message.
    app = rerun_until(app, lambda page: "Training is unavailable" not in texts(page))
    assert len(app.error) == 1 and "127.0.0.1:9" in app.error[0].value
    assert open_page("streamlit_app.py").title[0].value == "Train your first neural network"


# Slow: a 2×256 network in batches of 8 (a long first epoch, so Stop lands inside it) is a new
# shape the Ray worker must compile; test_jobs checks the same rule on the job manager quickly.
@pytest.mark.slow
def test_a_stop_before_the_first_full_epoch_says_nothing_was_kept(fresh_store):
    app = open_page(TRAIN_PAGE)
    app.select_slider(key="hidden_size").set_value(256)
    app.select_slider(key="batch_size").set_value(8)
    app.button(key="train_button").click().run()
    app = rerun_until(app, lambda page: any(bar.proto.text.startswith("Epoch 1/") for bar in page.get("progress")))
    stop = next(button for button in app.button if button.key and button.key.startswith("stop-"))
    stop.click().run()
    app = rerun_until(app, lambda page: "Stopped before the first full epoch" in texts(page))
    assert "nothing was kept" in texts(app) and "Keep a run I stop before its first full epoch" in texts(app)
    assert not list(fresh_store.glob("*/run.json")), "no run was stored"


def test_a_queued_training_says_where_it_waits_and_draws_its_curves_once_it_starts(fresh_store):
    from dashboard import state
    from mnist_core.config import TrainConfig

    manager, owner = state.get_job_manager(), "fedcba9876543210fedcba9876543210"
    # Two other students' long trainings take both trainers, so this student's waits in the queue.
    others = {f"other-{seed}": manager.submit(TrainConfig(hidden_size=16, epochs=40, seed=seed), owner=f"other-{seed}")
              for seed in (1, 2)}
    mine = manager.submit(TrainConfig(hidden_size=16, epochs=40, seed=3), owner=owner)
    try:
        app = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=120)
        app.session_state["owner_id"] = owner
        app.switch_page(TRAIN_PAGE)
        app.run()
        assert not app.exception, app.exception
        assert [info.value for info in app.main.info if info.value.startswith("Waiting")] == [
            "Waiting for a free trainer: position 1 in the queue (2 trainings run at once on this server). "
            "The curves appear once it starts."]
        assert app.button(key=f"stop-{mine.job_id}")
        assert not app.main.get("vega_lite_chart") and not app.main.get("progress"), "a queued job draws no charts"

        for other, job in others.items():
            manager.stop(job.job_id, other)
        # A small network's epoch can pass between two reruns of a busy page: any epoch will do.
        started = re.compile(r"Epoch \d+/40")
        app = rerun_until(app, lambda page: any(started.match(bar.proto.text) for bar in page.get("progress")))
        assert not any(info.value.startswith("Waiting") for info in app.main.info)
        titles = [vega_spec(chart)["title"] for chart in app.main.get("vega_lite_chart")]
        assert titles == ["Loss (lower is better)", "Accuracy (higher is better)"]
        assert app.button(key=f"stop-{mine.job_id}")
    finally:
        for job_owner, job in [*others.items(), (owner, mine)]:
            manager.stop(job.job_id, job_owner)
