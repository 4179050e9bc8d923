"""Browser tests of the Train page in Chromium: live curves, settings that react, a reload mid-training.

Each test drives a real `streamlit run` server (the fixtures of e2e_server) as a student would.
"""

import re

import pytest

from e2e_server import save_screenshot, wait_for_idle
from test_e2e_browser import PROGRESS, TRAINING_TIMEOUT, assert_no_exception, open_app, set_slider

pytestmark = pytest.mark.e2e

TRAIN_BUTTON = ".st-key-train_button button"
# Reads every curve of the first chart on the main area: its trace names and x values.
READ_CURVES = """() => {
    const chart = document.querySelector("[data-testid='stMain'] .js-plotly-plot");
    if (!chart || !chart.data) return null;
    return chart.data.map(trace => ({name: trace.name, x: Array.from(trace.x || []), colour: trace.line.color}));
}"""
# Long enough that the tests see it run for a while on a busy machine; each test stops it.
LONG_SETTINGS = "hidden_size=256&epochs=30&batch_size=8"
LONG_NAME = "Training 2×256 relu, 30 ep, batch 8"
# Progress text from the second epoch on: a stop there keeps the run.
PAST_FIRST_EPOCH = re.compile(r"^Epoch ([2-9]|[1-3]\d)/30")


def stop_training(page):
    page.locator("[class*='st-key-stop-']").get_by_role("button", name="Stop").click()
    page.get_by_text(re.compile("Training was stopped after|Stopped before the first full epoch")).wait_for(
        timeout=TRAINING_TIMEOUT * 1000)


def test_curves_grow_within_the_first_epoch_in_two_colours(app_server, page, request):
    # One image per step makes an epoch long enough to watch several redraws within it.
    open_app(page, app_server.base_url, "Train?hidden_size=256&epochs=30&batch_size=1")
    page.locator(TRAIN_BUTTON).click()
    page.locator(PROGRESS).get_by_text("Epoch 1/30").wait_for(timeout=TRAINING_TIMEOUT * 1000)
    # Sample the chart until the first validation point appears at the end of epoch 1.
    samples = []
    for _ in range(TRAINING_TIMEOUT * 5):
        curves = page.evaluate(READ_CURVES)
        if curves and curves[0]["x"]:
            samples.append(curves)
            if curves[1]["x"]:
                break
        page.wait_for_timeout(200)
    live = [curves[0]["x"] for curves in samples if not curves[1]["x"]]
    assert live and len(live[-1]) >= 3, f"the curve did not grow within the first epoch: {live}"
    assert len({len(x) for x in live}) >= 2, "the curve was drawn once, not as the epoch went on"
    save_screenshot(page, f"{request.node.name}-first-epoch")
    curves = page.evaluate(READ_CURVES)
    training, validation = curves[0], curves[1]
    assert training["name"].startswith("training") and validation["name"].startswith("validation")
    assert training["colour"] != validation["colour"], "training and validation differ in colour"
    within_first = [x for x in training["x"] if x <= 1]
    assert len(within_first) >= 10, f"fewer than 10 points in the first epoch: {training['x']}"
    assert validation["x"][0] == 1, f"the first validation point is not at the end of epoch 1: {validation['x']}"
    stop_training(page)
    assert_no_exception(page)


def test_settings_react_at_once_and_start_nothing(app_server, page):
    open_app(page, app_server.base_url, "Train")
    page.get_by_text("42,310 trainable parameters").wait_for()
    set_slider(page, "hidden_size", 128)
    page.get_by_text("118,282 trainable parameters").wait_for(timeout=30_000)
    page.get_by_text("Show the Keras code for these settings").click()
    page.get_by_text('layers.Dense(128, activation="relu")').first.wait_for(timeout=30_000)
    wait_for_idle(page)
    assert page.locator(PROGRESS).count() == 0, "moving a slider started a training"
    assert "hidden_size=128" in page.url, f"the settings are not in the link: {page.url}"
    assert_no_exception(page)


def test_a_reload_and_a_second_tab_show_the_running_training(app_server, new_page, request):
    page = new_page()
    open_app(page, app_server.base_url, f"Train?{LONG_SETTINGS}")
    page.locator(TRAIN_BUTTON).click()
    page.locator(PROGRESS).get_by_text("Epoch 1/30").wait_for(timeout=TRAINING_TIMEOUT * 1000)

    page.reload()
    wait_for_idle(page)
    heading = page.get_by_role("heading", name=LONG_NAME, exact=True)
    heading.wait_for(timeout=60_000)
    page.locator(PROGRESS).get_by_text(re.compile(r"^Epoch \d+/30")).wait_for(timeout=60_000)
    assert page.locator(".st-key-hidden_size [data-testid='stSliderThumbValue']").inner_text() == "256"
    save_screenshot(page, f"{request.node.name}-reloaded")

    second_tab = page.context.new_page()
    open_app(second_tab, app_server.base_url, "Train")
    second_tab.get_by_role("heading", name=LONG_NAME, exact=True).wait_for(timeout=60_000)

    stranger = new_page()  # Another browser: a student of its own, with no Stop for this training.
    open_app(stranger, app_server.base_url, f"Train?{LONG_SETTINGS}")
    assert stranger.get_by_role("heading", name=re.compile("^Training ")).count() == 0
    assert stranger.locator("[class*='st-key-stop-']").count() == 0

    page.locator(PROGRESS).get_by_text(PAST_FIRST_EPOCH).wait_for(timeout=TRAINING_TIMEOUT * 1000)
    stop_training(page)
    assert_no_exception(page)
