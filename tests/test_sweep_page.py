"""AppTest test of the Sweep page: a small sweep trains, plots, and comes back from the store."""

import pytest

from app_helpers import open_page, rerun_until, use_fresh_store

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
    return list(app.dataframe[0].value["state"]) if app.dataframe else []


def test_sweep_trains_each_value_plots_it_and_reuses_stored_runs(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")
    app = run_sweep(open_page(SWEEP_PAGE))
    app = rerun_until(app, lambda page: states(page) == ["done", "done"] and page.get("plotly_chart"))
    assert list(app.dataframe[0].value["hidden_size"]) == [8, 12]
    figure = app.get("plotly_chart")[0].proto.spec
    assert '"x":[8,12]' in figure.replace(" ", "")
    assert len(list((tmp_path / "runs").iterdir())) == 2

    again = run_sweep(open_page(SWEEP_PAGE))
    assert states(again) == ["done (stored)", "done (stored)"]


def test_bad_sweep_values_get_a_message(monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path / "runs")
    app = open_page(SWEEP_PAGE)
    app.text_input(key="sweep_values").input("8, 4096")
    app.button[0].click().run()
    assert "hidden_size must be from 1 to 2048, got 4096" in app.error[0].value
