"""AppTest test of the Sweep page: a small sweep trains, plots, and comes back from the store."""

import pytest

from app_helpers import open_page, rerun_until, use_fresh_store, vega_spec

SWEEP_PAGE = "pages/4_Sweep.py"
# The pages train in Ray workers, as on a real server.
pytestmark = pytest.mark.usefixtures("ray_instance")


def run_sweep(app):
    app.selectbox(key="sweep_field").set_value("hidden_size")
    app.text_input(key="sweep_values").input("8, 12")
    app.slider(key="sweep_epochs").set_value(1)
    app.button[0].click().run()
    return app


def states(app):
    return list(app.dataframe[0].value["Status"]) if app.dataframe else []


# Slow: its two trainings run at once, so the second Ray worker starts cold (a TensorFlow import)
# and compiles two new network shapes; the fast tier keeps the sweep's table and errors below, and
# test_chart_specs its axis.
@pytest.mark.slow
def test_sweep_trains_each_value_plots_it_and_reuses_stored_runs(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")
    app = run_sweep(open_page(SWEEP_PAGE))
    app = rerun_until(app, lambda page: states(page) == ["done", "done"] and len(page.get("vega_lite_chart")) == 2)
    table = app.dataframe[0].value
    # Human names, and no column that is empty ("None") for most rows.
    assert list(table.columns) == ["Hidden size", "Status", "Progress"]
    assert list(table["Hidden size"]) == ["8", "12"]
    accuracy, seconds = [vega_spec(chart) for chart in app.get("vega_lite_chart")]
    # The swept values themselves are the axis categories, in order, whatever has finished.
    assert accuracy["encoding"]["x"]["type"] == "ordinal"
    assert accuracy["encoding"]["x"]["scale"]["domain"] == ["8", "12"]
    assert accuracy["encoding"]["x"]["title"] == "Hidden size"
    assert [row["value"] for row in accuracy["data"]["values"]] == ["8", "12"]
    assert all(0.5 < row["test_accuracy"] < 1 for row in accuracy["data"]["values"])
    assert all(row["train_seconds"] > 0 for row in seconds["data"]["values"])
    assert len(list((tmp_path / "runs").iterdir())) == 2

    again = run_sweep(open_page(SWEEP_PAGE))
    assert states(again) == ["done (stored)", "done (stored)"]


def test_bad_sweep_values_get_a_message(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")
    app = open_page(SWEEP_PAGE)
    app.text_input(key="sweep_values").input("8, 4096")
    app.button[0].click().run()
    assert "hidden_size must be from 1 to 2048, got 4096" in app.error[0].value


def test_status_reads_progress_within_an_epoch():
    from types import SimpleNamespace

    from dashboard.sweep_view import status_text

    running = SimpleNamespace(state="running", epoch=2, epochs=3, step=120, steps_per_epoch=540, reused=False)
    assert status_text(running) == "epoch 2/3, step 120/540"
    queued = SimpleNamespace(state="queued", queue_position=2, reused=False)
    assert status_text(queued) == "waiting (queue position 2)"
    assert status_text(SimpleNamespace(state="done", reused=True)) == "done (stored)"
