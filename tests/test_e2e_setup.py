"""Browser tests of how the app is served: light first pages, nothing fetched from the internet.

The server is started as the README starts it (settings from .streamlit/config.toml), on a store
that already holds one run, so the Results and Draw pages have something to show.
"""

import os
import re

import pytest

from e2e_server import (  # noqa: F401 (pytest finds the fixtures by name)
    ARTIFACTS_DIR, StreamlitServer, browser, new_page, page, record_timing, wait_for_idle,
)
from mnist_core.runs import RunStore

pytestmark = pytest.mark.e2e

PAGES = ("", "Train", "Results", "Draw", "Sweep")
# Pages that must render completely without TensorFlow in the server process.
LIGHT_PAGES = ("", "Train", "Sweep")
CHART = "[data-testid='stMain'] .js-plotly-plot .main-svg"
# Lines Streamlit's watchdog-based file watcher logs when it watches too much (a .venv inside).
WATCHER_TROUBLE = re.compile(r"inotify|watchdog|too many open files", re.IGNORECASE)


@pytest.fixture(scope="module")
def served_run(tmp_path_factory, tiny_result):
    """A server started on a store holding one tiny run; stopped after the module."""
    runs_dir = tmp_path_factory.mktemp("setup_runs")
    RunStore(str(runs_dir)).save(tiny_result)
    server = StreamlitServer(runs_dir, ARTIFACTS_DIR / "streamlit-setup.log").start()
    try:
        yield server
    finally:
        server.stop()


def open_page(page, base_url, path):
    """Opens a page of the app and waits until its script has run with a title and no exception."""
    page.goto(f"{base_url}/{path}")
    page.locator("h1").first.wait_for()
    wait_for_idle(page)
    assert page.locator("h1").first.inner_text().strip(), f"/{path} has an empty title"
    assert page.locator("[data-testid='stException']").count() == 0, f"/{path} shows an exception"


def tensorflow_loaded(server):
    """Tells whether the server process has loaded TensorFlow's native library."""
    maps = open(f"/proc/{server.pid}/maps").read()
    return "_pywrap_tensorflow_internal" in maps


def external_requests(page):
    """Starts recording the page's requests that leave 127.0.0.1; returns the list it fills."""
    seen = []
    page.on("request", lambda request: seen.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    return seen


def test_home_train_and_sweep_render_without_tensorflow(served_run, new_page):
    for path in LIGHT_PAGES:
        page = new_page()
        open_page(page, served_run.base_url, path)
        assert not tensorflow_loaded(served_run), f"/{path} imported TensorFlow into the server"


def test_results_draws_its_curves_soon_after_its_title(served_run, page, request):
    page.goto(f"{served_run.base_url}/Results")
    page.locator("h1").first.wait_for()
    shown = page.evaluate("performance.now()")
    page.locator(CHART).first.wait_for()
    charted = page.evaluate("performance.now()")
    wait_for_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    # Recorded, not asserted (a shared machine's timings vary); bench/bench_pages.py compares them.
    record_timing(request.node.name, {"title_to_first_chart_seconds": round((charted - shown) / 1000, 2)})


def test_no_deploy_button_and_nothing_fetched_from_the_internet(served_run, new_page):
    for path in PAGES:
        page = new_page()
        outside = external_requests(page)
        open_page(page, served_run.base_url, path)
        page.locator("[data-testid='stToolbar']").wait_for(state="attached")
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0, f"/{path} shows Deploy"
        favicon = page.locator("link[rel='shortcut icon']").get_attribute("href")
        assert favicon.startswith(("data:", "./", "/", "http://127.0.0.1")), f"/{path} favicon: {favicon}"
        assert outside == [], f"/{path} fetched {outside}"


def test_the_file_watcher_stays_quiet(served_run):
    log = served_run.log_path.read_text(errors="replace")
    trouble = [line for line in log.splitlines() if WATCHER_TROUBLE.search(line)]
    assert trouble == [], f"{len(trouble)} watcher lines in {served_run.log_path}, first: {trouble[0]}"
    assert os.path.getsize(served_run.log_path) < 20_000, "the server log grows far more than usual"
