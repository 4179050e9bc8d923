"""Forged canvas messages sent from real Chromium reach the Draw page as one line each (issue 12).

A hostile visitor does not need the canvas to talk to the server: any websocket client can send a
widget state. Here Chromium draws real strokes, and Playwright rewrites each outgoing message on
its way to the server, swapping the drawing for a forged one (bad base64, no ";base64,", a 4×4
PNG, a 9000×9000 PNG, a 16-bit or 2-channel PNG, a drawing that is not even an object). The page
must answer each with at most one error line, never a traceback, and the huge image must not be
decoded (the server's peak memory is read from /proc).
"""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg

from browser_drawing import draw_one
from e2e_server import ARTIFACTS_DIR, StreamlitServer, save_screenshot, wait_for_idle
from mnist_core.run_store import RunStore

pytestmark = pytest.mark.e2e

EXCEPTION = "[data-testid='stException']"
ERROR_ALERT = "[data-testid='stAlertContentError']"
READING = "[data-testid='stMain'] [data-testid='stMetric']"
CANVAS_KEY_PREFIX = "draw_canvas_"
# Decoding the forged 9000×9000 RGBA PNG took the server from 681 to 3,153 MB before the size check.
MAX_PEAK_GROWTH_MB = 300


def png_url(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def huge_png_url(side):
    buffer = io.BytesIO()
    Image.new("RGBA", (side, side)).save(buffer, format="PNG", compress_level=9)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def stroke(side=280):
    """A vertical white stroke on black, like a drawn "1"."""
    ink = np.zeros((side, side), np.float64)
    ink[40:240, 130:150] = 1.0
    return ink


def forged_cases():
    """Returns (name, what replaces the canvas' drawing, text of the one error line or None for a reading).

    Built when the test runs, not on import: compressing the huge PNG takes a second or two, which
    every test session would otherwise pay while collecting, the fast tier included.
    """
    # No two cases in a row end the same way, so the test can wait for each case's own outcome
    # instead of reading what the previous case left on the page.
    return [
        ("bad-base64", {"data": "data:image/png;base64,@@@not base64@@@"}, "base64"),
        ("sixteen-bit", {"data": png_url((stroke() * 65535).astype(np.uint16))}, None),
        ("four-by-four", {"data": png_url(np.full((4, 4, 4), 255, np.uint8))}, "at least 8×8"),
        ("two-channel", {"data": png_url(np.dstack([(stroke() * 255).astype(np.uint8)] * 2))}, None),
        ("no-base64-marker", {"data": "data:image/png,iVBORw0KGgo="}, "base64"),
        ("huge", {"data": huge_png_url(9000)}, "megapixels"),
        # Last, as the page replaces a canvas whose state is not even an object with a fresh one.
        ("not-an-object", {"drawing": "not a drawing"}, "not a drawing"),
    ]


def forge(websocket, forged):
    """Forwards the page's websocket to the server, rewriting the canvas' state as `forged` says."""
    server = websocket.connect_to_server()

    def to_server(message):
        if isinstance(message, bytes) and forged:
            back = BackMsg()
            back.ParseFromString(message)
            for widget in back.rerun_script.widget_states.widgets:
                if CANVAS_KEY_PREFIX in widget.id and widget.WhichOneof("value") == "json_value":
                    state = json.loads(widget.json_value)
                    if "drawing" in forged:
                        state["drawing"] = forged["drawing"]
                    else:
                        state["drawing"]["data"] = forged["data"]
                    widget.json_value = json.dumps(state)
            message = back.SerializeToString()
        server.send(message)

    websocket.on_message(to_server)


def peak_memory_mb(server):
    """The server process' peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{server._process.pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def server_with_a_run(tmp_path_factory, tiny_result):
    runs_dir = tmp_path_factory.mktemp("forged_runs")
    RunStore(runs_dir).save(tiny_result)
    server = StreamlitServer(runs_dir, ARTIFACTS_DIR / "streamlit-forged-canvas.log").start()
    try:
        yield server
    finally:
        server.stop()


def test_forged_canvas_messages_are_one_line_in_chromium(server_with_a_run, new_page):
    page = new_page()
    forged = {}
    page.route_web_socket("**/_stcore/stream", lambda websocket: forge(websocket, forged))
    page.goto(f"{server_with_a_run.base_url}/Draw")
    wait_for_idle(page)
    page.get_by_text("Draw a digit on the black canvas").wait_for()
    # An honest stroke first: the rewriting route passes it through and the network reads it.
    draw_one(page)
    wait_for_idle(page)
    page.locator(READING).filter(has_text="The network reads").wait_for()
    baseline = peak_memory_mb(server_with_a_run)
    outcomes = {}
    for name, replacement, expected in forged_cases():
        forged.clear()
        forged.update(replacement)
        draw_one(page)
        # A large forged message reaches the server late, after the page last showed "not running".
        outcome = page.locator(READING).filter(has_text="The network reads") if expected is None else \
            page.locator(ERROR_ALERT).filter(has_text=expected)
        outcome.first.wait_for()
        wait_for_idle(page)
        save_screenshot(page, f"forged-canvas-{name}")
        errors = page.locator(ERROR_ALERT).all_inner_texts()
        outcomes[name] = errors
        assert page.locator(EXCEPTION).count() == 0, f"{name}: a traceback was shown"
        if expected is None:
            assert errors == [], f"{name}: {errors}"
            assert page.locator(READING).filter(has_text="The network reads").count() == 1, name
        else:
            assert len(errors) == 1 and expected in errors[0], f"{name}: {errors}"
    growth = peak_memory_mb(server_with_a_run) - baseline
    assert growth < MAX_PEAK_GROWTH_MB, f"the server's peak memory grew by {growth:.0f} MB; {outcomes}"
    assert server_with_a_run.health() == "ok"
