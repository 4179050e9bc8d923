"""Benchmark: how fast the dashboard's pages load in Chromium, against a bare one-page Streamlit app.

Everything runs in one go on this machine, so the ratios compare like with like even when the
machine is busy. Both servers start the way a user starts them (`streamlit run` with the project's
.streamlit/config.toml for the dashboard). Every page load opens a new tab, i.e. a new Streamlit
session. "Fresh" loads use a new browser profile (nothing cached) on a server that has just
started; "warm" loads reuse one browser profile, whose HTTP cache holds the app's scripts after
the first visit, as a student's browser does when they reload or open another page. Warm loads
of the bare app and of the dashboard's pages take turns, round after round, and each figure is
the median of its rounds.

    "appears"  seconds from navigation until the page's title (its first h1) is visible;
    "complete" seconds until the page's script has finished running;
    "chart"    seconds from the Results title to its first drawn chart.

It also times a switch of page inside the app ("switch to Train": Home is open, the sidebar's link
is clicked), which is how a student moves between pages once the app is open.

The goals (issue 11, item 3): warm page load at most 1.5× the bare app, the first page of a fresh
server at most 3× the bare app, the first Results chart at most 2 s after the page appears.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_pages.py [--repeats 7] [--port 8800]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from playwright.sync_api import sync_playwright

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IDLE_SELECTOR = "[data-test-script-state='notRunning']"
# The first drawn chart of either kind: Results draws its charts with Vega-Lite, only its weights tab with Plotly.
CHART_SELECTOR = ("[data-testid='stMain'] .js-plotly-plot .main-svg, "
                  "[data-testid='stMain'] [data-testid='stVegaLiteChart'] canvas, "
                  "[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg.marks")
TIMEOUT_MS = 300_000
VIEWPORT = {"width": 1400, "height": 1000}
BARE_APP = 'import streamlit as st\n\nst.title("Bare app")\nst.write("One page, no imports.")\n'
# The bare app again, as two pages in st.navigation: opening its second page by its URL shows what
# Streamlit itself adds to a page reached by a link, as every dashboard page but Home is here.
BARE_NAV_APP = 'import streamlit as st\n\nst.navigation([st.Page("first.py"), st.Page("second.py")]).run()\n'
BARE_NAV_PAGE = 'import streamlit as st\n\nst.title("Bare page")\nst.write("One of two pages, no imports.")\n'
# The stored run the Results page draws: small, so preparing the benchmark takes seconds.
RUN_FLAGS = ["--hidden-size", "32", "--epochs", "2", "--batch-size", "128", "--train-examples", "5000"]
WARM_PAGES = ("", "Train", "Results", "Draw", "Sweep")
# Each page's title, which a switch from Home waits for: (sidebar link, title).
SWITCHES = {"Train": "Train a network", "Results": "Results", "Draw": "✏️ Draw a digit", "Sweep": "Sweep one setting"}


class Server:
    """A `streamlit run` process on 127.0.0.1:`port`, its output kept in `log_path`."""

    def __init__(self, script, cwd, port, log_path, env=None):
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                   "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{script} did not start; see {log_path}")
            time.sleep(0.2)

    def _healthy(self):
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                return response.read() == b"ok"
        except (urllib.error.URLError, OSError):
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _record_external(page, external_requests):
    """Appends to `external_requests` the URL of every request of `page` that leaves 127.0.0.1."""
    page.on("request", lambda request: None if request.url.startswith(("http://127.0.0.1", "data:"))
            else external_requests.append(request.url))


def _medians(loads):
    """Returns the median of each timing over `loads`, a list of {timing name: seconds}."""
    return {key: statistics.median(load[key] for load in loads) for key in loads[0]}


def load_page(context, url, external_requests, measure_chart=False):
    """Opens `url` in a new tab (session); returns {"appears", "complete"[, "chart"]} in seconds."""
    page = context.new_page()
    _record_external(page, external_requests)
    started = time.perf_counter()
    page.goto(url)
    page.locator("h1").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    timings = {"appears": time.perf_counter() - started}
    if measure_chart:
        # Vega-Lite also keeps canvases that are never shown; only a visible chart counts.
        page.locator(CHART_SELECTOR).filter(visible=True).first.wait_for(state="visible", timeout=TIMEOUT_MS)
        timings["chart"] = time.perf_counter() - started - timings["appears"]
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=TIMEOUT_MS)
    timings["complete"] = time.perf_counter() - started
    page.close()
    return timings


def switch_from_home(context, base_url, link, title, external_requests):
    """Opens Home in a new tab, then clicks `link` in the sidebar: how a student moves between pages.

    Returns {"appears", "complete"} in seconds from the click: no page is loaded, the open session
    runs the other page's script and the browser draws it.
    """
    page = context.new_page()
    _record_external(page, external_requests)
    page.goto(base_url)
    page.locator("h1").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=TIMEOUT_MS)  # Home is open.
    started = time.perf_counter()
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=link).click()
    page.get_by_role("heading", name=title, exact=True).wait_for(state="visible", timeout=TIMEOUT_MS)
    timings = {"appears": time.perf_counter() - started}
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=TIMEOUT_MS)
    timings["complete"] = time.perf_counter() - started
    page.close()
    return timings


def fresh_load(browser, url, external_requests, measure_chart=False):
    """Loads `url` once in a new browser profile, with nothing cached."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return load_page(context, url, external_requests, measure_chart)
    finally:
        context.close()


def interleaved_medians(targets, repeats, external_requests):
    """Loads every target once per round, `repeats` rounds; returns {name: median of each timing}.

    Args:
        targets: (name, browser context, url, measure_chart) tuples.

    The bare app is one of the targets, so it meets the same moments of a busy machine as the
    dashboard's pages, and a slow minute does not land on one side of the ratio only.
    """
    loads = {name: [] for name, *_ in targets}
    for _ in range(repeats):
        for name, context, url, measure_chart in targets:
            loads[name].append(load_page(context, url, external_requests, measure_chart))
    return {name: _medians(runs) for name, runs in loads.items()}


def prepare_runs(runs_dir):
    """Trains and stores the one small run the Results and Draw pages show."""
    command = [sys.executable, "-m", "mnist_core", "train", *RUN_FLAGS, "--runs-dir", runs_dir]
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def bench(browser, work_dir, port, repeats):
    """Measures the bare app, then a fresh and a warm dashboard server; returns all figures."""
    external = []
    bare_dir = os.path.join(work_dir, "bare")
    os.makedirs(bare_dir)
    for name, text in (("bare_app.py", BARE_APP), ("bare_nav_app.py", BARE_NAV_APP), ("first.py", BARE_NAV_PAGE),
                       ("second.py", BARE_NAV_PAGE)):
        with open(os.path.join(bare_dir, name), "w") as file:
            file.write(text)
    runs_dir = os.path.join(work_dir, "runs")
    prepare_runs(runs_dir)
    env = {"MNIST_RUNS_DIR": runs_dir}
    figures = {}

    bare = Server("bare_app.py", bare_dir, port, os.path.join(work_dir, "bare.log"))
    try:
        figures["bare fresh"] = fresh_load(browser, bare.url, external)
        for page in ("", "Results"):
            server = Server("streamlit_app.py", REPO_ROOT, port + 1,
                            os.path.join(work_dir, f"app-fresh-{page or 'Home'}.log"), env)
            try:
                figures[f"fresh {page or 'Home'}"] = fresh_load(browser, f"{server.url}/{page}", external, page == "Results")
            finally:
                server.stop()

        # Warm: both servers run, each browser profile has visited its pages once (their scripts
        # are cached and every page's imports are loaded), then the loads take turns.
        server = Server("streamlit_app.py", REPO_ROOT, port + 1, os.path.join(work_dir, "app-warm.log"), env)
        bare_nav = Server("bare_nav_app.py", bare_dir, port + 2, os.path.join(work_dir, "bare-nav.log"))
        bare_context, app_context = browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT)
        try:
            targets = [("bare warm", bare_context, bare.url, False),
                       ("bare 2-page, by URL", bare_context, f"{bare_nav.url}/second", False)] + [
                (f"warm {page or 'Home'}", app_context, f"{server.url}/{page}", page == "Results") for page in WARM_PAGES]
            for _, context, url, _ in targets:
                load_page(context, url, external)
            figures.update(interleaved_medians(targets, repeats, external))
            for link, title in SWITCHES.items():
                switches = [switch_from_home(app_context, server.url, link, title, external) for _ in range(repeats)]
                figures[f"switch to {link}"] = _medians(switches)
        finally:
            bare_context.close()
            app_context.close()
            bare_nav.stop()
            server.stop()
    finally:
        bare.stop()
    return figures, sorted(set(external))


def report(figures, external):
    """Prints every figure and its ratio to the bare app, then the goals met or missed."""
    bare_warm, bare_fresh = figures["bare warm"]["complete"], figures["bare fresh"]["complete"]
    print(f"{'page load':<20}{'appears s':>10}{'complete s':>11}{'chart s':>9}{'appears ×bare':>15}{'complete ×bare':>16}")
    for name, timing in figures.items():
        bare = bare_fresh if name.startswith("fresh") else bare_warm
        chart = f"{timing['chart']:.2f}" if "chart" in timing else "-"
        print(f"{name:<20}{timing['appears']:>10.2f}{timing['complete']:>11.2f}{chart:>9}"
              f"{timing['appears'] / bare:>15.2f}{timing['complete'] / bare:>16.2f}")
    warm = [timing for name, timing in figures.items() if name.startswith("warm")]
    print("(bare 2-page, by URL: the bare app as two pages, its second opened by its URL, as every page but Home is)")
    print("(switch to X: from Home by the sidebar's link, timed from the click; a ratio to the bare app's load)")
    goals = {
        "warm pages appear within 1.5× the bare app": max(t["appears"] for t in warm) <= 1.5 * bare_warm,
        "warm pages complete within 1.5× the bare app": max(t["complete"] for t in warm) <= 1.5 * bare_warm,
        "a fresh server's first page appears within 3× the bare app":
            max(figures[name]["appears"] for name in ("fresh Home", "fresh Results")) <= 3 * bare_fresh,
        "the first Results chart within 2 s of the page appearing":
            max(figures[name]["chart"] for name in ("fresh Results", "warm Results")) <= 2.0,
        "no request left 127.0.0.1": not external,
    }
    for goal, met in goals.items():
        print(f"{'met    ' if met else 'MISSED '} {goal}")
    for url in external:
        print(f"external request: {url}")
    print(json.dumps({"figures": figures, "external_requests": external}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="warm loads per page; the median is kept")
    parser.add_argument("--port", type=int, default=8800, help="the bare app's port; the dashboard uses the next, the 2-page bare app the one after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as work_dir, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            figures, external = bench(browser, work_dir, args.port, args.repeats)
        finally:
            browser.close()
    report(figures, external)


if __name__ == "__main__":
    main()
