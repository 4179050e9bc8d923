"""Browser-test fixtures: a real `streamlit run` server, headless Chromium and screenshots.

tests/conftest.py registers the fixtures from here for every test module. Playwright and
Chromium are test requirements, so a missing one fails the tests with a message saying what to
install instead of skipping them.
"""

import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO_ROOT

CHROMIUM_PATH = "/usr/bin/chromium"
# Flags that let Debian's Chromium run headless as root in a container without a GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A tall window, so one screenshot shows most of a page: Streamlit scrolls inside its own
# container, which a full-page screenshot cannot unroll.
VIEWPORT = {"width": 1400, "height": 1800}
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
TIMINGS_FILE = ARTIFACTS_DIR / "e2e_timings.json"
HEALTH_TIMEOUT = 60  # Seconds the server may take to answer /_stcore/health with "ok".
# Seconds Playwright waits for a page element; the shared 2-core machine is often very busy.
ELEMENT_TIMEOUT = 120
IDLE_SELECTOR = "[data-test-script-state='notRunning']"
RUNNING_SELECTOR = "[data-test-script-state='running']"
RUNNING_GRACE_MS = 300  # How long an interaction may take to reach the server and start a rerun.
LOG_TAIL_CHARACTERS = 20_000


def _free_port():
    """Returns a TCP port on 127.0.0.1 that nothing listens on right now.

    $E2E_PORTS ("8660-8669") keeps the servers in a range, for machines where people share ports.
    """
    first, _, last = os.environ.get("E2E_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in E2E_PORTS={os.environ['E2E_PORTS']}")


def _health(base_url, timeout=5):
    """Returns the body of the server's health endpoint, or the reason it could not be read."""
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=timeout) as response:
            return response.read().decode()
    except (urllib.error.URLError, OSError) as error:
        return f"unreachable ({error})"


class StreamlitServer:
    """One `streamlit run streamlit_app.py` process on a free port, with its own run store.

    Attributes:
        base_url: "http://127.0.0.1:<port>", without a trailing slash.
        runs_dir: the MNIST_RUNS_DIR the server stores its runs in.
        log_path: the file that collects the server's stdout and stderr.
    """

    def __init__(self, runs_dir, log_path):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.runs_dir, self.log_path = pathlib.Path(runs_dir), pathlib.Path(log_path)
        self._process = None

    def start(self):
        """Starts the server and waits until its health endpoint says "ok".

        Only the address and port are given: every other setting (the file watcher included)
        comes from .streamlit/config.toml, as when a student runs `streamlit run streamlit_app.py`.
        """
        environment = dict(os.environ, MNIST_RUNS_DIR=str(self.runs_dir))
        # The tests rely on the app's default limit of two trainings at once.
        environment.pop("MNIST_MAX_TRAININGS", None)
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless", "true", "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while (answer := _health(self.base_url, timeout=2)) != "ok":
            if self._process.poll() is not None:
                pytest.fail(f"streamlit exited with code {self._process.returncode} before it was "
                            f"healthy.\n{self.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.base_url}/_stcore/health did not say 'ok' within {HEALTH_TIMEOUT} s "
                            f"(last answer: {answer}).\n{self.log_tail()}", pytrace=False)
            time.sleep(0.5)
        return self

    @property
    def pid(self):
        """The server process's id."""
        return self._process.pid

    def health(self):
        """Returns what /_stcore/health answers now: "ok" for a healthy server."""
        return _health(self.base_url)

    def is_running(self):
        return self._process is not None and self._process.poll() is None

    def stop(self):
        """Terminates the server, and kills it if it does not exit within 15 seconds."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=15)

    def log_tail(self):
        """Returns the end of the server's log, headed by where the whole log is."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- streamlit server log ({self.log_path}), last part ---\n{text[-LOG_TAIL_CHARACTERS:]}"


def _run_server(request, tmp_path_factory, name):
    """Starts a server for a fixture, yields it, stops it and shows its log if a test failed."""
    failures_before = request.session.testsfailed
    server = StreamlitServer(tmp_path_factory.mktemp(f"{name}_runs"), ARTIFACTS_DIR / f"{name}.log").start()
    try:
        yield server
    finally:
        crashed = not server.is_running()
        server.stop()
        if crashed or request.session.testsfailed > failures_before:
            _show(request, server.log_tail())


def _show(request, text):
    """Writes `text` to the terminal past pytest's output capture, as fixture teardown has none."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{text}", file=sys.stderr)


@pytest.fixture(scope="module")
def app_server(request, tmp_path_factory):
    """A server shared by the tests of one module, with an empty run store at the start."""
    yield from _run_server(request, tmp_path_factory, "streamlit-shared")


@pytest.fixture
def fresh_server(request, tmp_path_factory):
    """A server of its own for one test, so that test is the first thing the server ever serves."""
    yield from _run_server(request, tmp_path_factory, f"streamlit-{_file_name(request.node.name)}")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by sync Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"Playwright is missing ({error}); the browser tests need it: "
                    "pip install -r requirements-test.txt", pytrace=False)
    if not os.path.exists(CHROMIUM_PATH):
        pytest.fail(f"Chromium is not at {CHROMIUM_PATH}; the browser tests need it: "
                    "apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, request):
    """Returns a function that opens a page in a new browser context (a new Streamlit session).

    When the test ends, passed or failed, each page's last state is saved as a screenshot in
    tests/artifacts/ named after the test (with -1, -2, … when the test opened several).
    """
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(ELEMENT_TIMEOUT * 1000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for number, context in enumerate(contexts, start=1):
        suffix = f"-{number}" if len(contexts) > 1 else ""
        for page in context.pages:
            save_screenshot(page, f"{request.node.name}{suffix}")
        context.close()


@pytest.fixture
def page(new_page):
    """One page in a fresh browser context, screenshotted when the test ends."""
    return new_page()


def save_screenshot(page, name):
    """Saves what `page` shows as tests/artifacts/<name>.png; a page that cannot be shot is reported."""
    path = ARTIFACTS_DIR / f"{_file_name(name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(path), timeout=30_000)
    except Exception as error:  # A crashed or closed page must not hide the test's own outcome.
        print(f"could not save screenshot {path}: {error}", file=sys.stderr)
    return path


def record_timing(name, values):
    """Stores `values` under `name` in tests/artifacts/e2e_timings.json, keeping other entries."""
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    timings = json.loads(TIMINGS_FILE.read_text()) if TIMINGS_FILE.exists() else {}
    timings[name] = values
    TIMINGS_FILE.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")


def wait_for_idle(page, timeout=ELEMENT_TIMEOUT):
    """Waits until the page's script has finished running after a navigation or interaction.

    The status attribute flips to "running" only once the server has received the interaction,
    so the page is first given a moment to show "running" (a quick script may have finished
    before it is seen), which keeps an old "notRunning" from counting.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_selector(RUNNING_SELECTOR, state="attached", timeout=RUNNING_GRACE_MS)
    except PlaywrightTimeoutError:
        pass
    page.wait_for_selector(IDLE_SELECTOR, state="attached", timeout=timeout * 1000)


def _file_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
