"""Browser tests of the Train page in Chromium: live curves, settings that react, a reload mid-training.

Each test drives a real `streamlit run` server (the fixtures of e2e_server) as a student would.
"""

import re

import pytest

from e2e_server import save_screenshot, wait_for_idle
from test_e2e_browser import PROGRESS, TRAINING_TIMEOUT, assert_no_exception, open_app, set_slider

pytestmark = pytest.mark.e2e

TRAIN_BUTTON = ".st-key-train_button button"
LOSS_CHART = "[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg.marks"
# Reads the first chart of the main area (loss) as Vega-Lite drew it in SVG: each line's split,
# colour and vertices (pixels from the axis origin), and each dot's split, epoch and pixel.
READ_CURVES = """() => {
    const chart = document.querySelector("%s");
    if (!chart) return null;
    const split = element => ((element.getAttribute("aria-label") || "").match(/split: ([^;]*)/) || [])[1];
    const lines = Array.from(chart.querySelectorAll('path[aria-roledescription="line mark"]')).map(line => ({
        name: split(line), colour: line.getAttribute("stroke"),
        pixels: Array.from((line.getAttribute("d") || "").matchAll(/[ML](-?[0-9.]+),/g)).map(match => parseFloat(match[1]))}));
    const points = Array.from(chart.querySelectorAll('path[aria-roledescription="point"]')).map(point => ({
        name: split(point), epoch: parseFloat(point.getAttribute("aria-label").match(/epochs trained: ([0-9.]+)/)[1]),
        pixel: parseFloat(point.getAttribute("transform").match(/translate\\(([-0-9.]+)/)[1])}));
    return {lines, points};
}""" % LOSS_CHART


def curve_named(curves, prefix):
    return next((line for line in curves["lines"] if line["name"].startswith(prefix)), None)


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
        if curves and curve_named(curves, "training"):
            if not samples:
                page.evaluate(f"() => {{ window.liveChart = document.querySelector({LOSS_CHART!r}); }}")
            samples.append(curves)
            if curve_named(curves, "validation"):
                break
        page.wait_for_timeout(200)
    live = [curve_named(curves, "training")["pixels"] for curves in samples if not curve_named(curves, "validation")]
    assert live and len(live[-1]) >= 3, f"the curve did not grow within the first epoch: {live}"
    assert len({len(pixels) for pixels in live}) >= 2, "the curve was drawn once, not as the epoch went on"
    # Each redraw swapped the rows of the chart already drawn: the same SVG, never a new chart.
    assert page.evaluate(f"() => window.liveChart === document.querySelector({LOSS_CHART!r})"), \
        "the live chart was drawn anew instead of updated in place"
    save_screenshot(page, f"{request.node.name}-first-epoch")
    curves = page.evaluate(READ_CURVES)
    training, validation = curve_named(curves, "training"), curve_named(curves, "validation")
    assert training["colour"] != validation["colour"], "training and validation differ in colour"
    (first_validation, *_) = [point for point in curves["points"] if point["name"].startswith("validation")]
    assert first_validation["epoch"] == 1, f"the first validation point is not at the end of epoch 1: {curves['points']}"
    # The axis starts at 0 epochs, so a pixel divided by epoch 1's pixel is the epoch it stands for.
    epochs = [pixel / first_validation["pixel"] for pixel in training["pixels"]]
    within_first = [epoch for epoch in epochs if epoch <= 1 + 1e-6]
    assert len(within_first) >= 10, f"fewer than 10 points in the first epoch: {epochs}"
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
