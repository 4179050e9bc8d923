"""Bench helpers: a real `streamlit run` server on 127.0.0.1 and Chromium pages that use it."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IDLE_SELECTOR = "[data-test-script-state='notRunning']"
ELEMENT_TIMEOUT_MS = 300_000


class Server:
    """`streamlit run streamlit_app.py` on `port` with a fresh run store; use as a context manager."""

    def __init__(self, port, extra_env=None):
        self.port, self.base_url = port, f"http://127.0.0.1:{port}"
        self.runs_dir = tempfile.mkdtemp(prefix="bench-runs-")
        self.log = open(os.path.join(self.runs_dir, "..", f"bench-server-{port}.log"), "w")
        self._env = {**os.environ, "MNIST_RUNS_DIR": self.runs_dir, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
        self.process = None

    def __enter__(self):
        command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self._env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=5) as response:
                    if response.read() == b"ok":
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"The server on port {self.port} did not start.")

    def __exit__(self, *exc_info):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def rss_mb(self):
        """Resident memory of the server process in MB."""
        return _rss_mb(self.process.pid)


def worker_rss_mb(server_pid):
    """Returns {pid: MB} of the server's Ray workers that train (idle or busy), not Ray's own agents.

    The server's embedded Ray runs under the server process, so other Ray instances on this
    shared machine are left out.
    """
    import psutil

    workers = {}
    for process in psutil.Process(server_pid).children(recursive=True):
        try:
            title = " ".join(process.cmdline())
        except psutil.Error:
            continue
        if title.startswith(("ray::IDLE", "ray::_train_remotely", "ray::_warm_up")):
            workers[process.pid] = _rss_mb(process.pid)
    return workers


def _rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def launch(playwright, niceness=0):
    """Starts headless Chromium at CPU priority `niceness` (-20 highest, 0 normal, 19 lowest).

    A class's students each run their browser on their own computer. A bench that plays several
    students on one machine can lower their browsers' priority, so that their drawing competes
    less with the server and with the one browser being measured; and it can raise the measured
    browser's priority, so that it does not wait for CPU time the server's trainings hold, as a
    student's own computer would not (setting a negative niceness needs root). Chromium sets its renderers'
    priority itself (as root it even raises it), so a thread sets every process of the browser
    back to `niceness` twice a second while the browser runs, and marks the browser's session
    (its scheduling autogroup) with the same niceness.
    """
    folder = tempfile.mkdtemp(prefix="bench-chromium-")
    executable, pid_file = os.path.join(folder, "chromium"), os.path.join(folder, "pid")
    with open(executable, "w") as script:
        script.write(f'#!/bin/sh\necho $$ > {pid_file}\nexec nice -n {int(niceness)} /usr/bin/chromium "$@"\n')
    os.chmod(executable, 0o755)
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    with open(pid_file) as pid:
        browser.bench_pid = int(pid.read())  # For CpuShares, which counts the browser's processes.
    if niceness:
        threading.Thread(target=_hold_niceness, args=(browser.bench_pid, niceness), daemon=True).start()
    return browser


def _hold_niceness(browser_pid, niceness):
    import psutil

    try:
        # Chromium starts a session of its own, and Linux shares the CPU between sessions first.
        with open(f"/proc/{browser_pid}/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))
    except OSError:
        pass  # No autogroups on this machine: the processes' nice values alone apply.
    try:
        browser = psutil.Process(browser_pid)
        while browser.is_running():
            for process in [browser, *browser.children(recursive=True)]:
                try:
                    if process.nice() != niceness:
                        process.nice(niceness)
                except psutil.Error:
                    pass
            time.sleep(0.5)
    except psutil.Error:
        return


def open_page(browser, url):
    """Opens `url` in a new session (browser context) and waits until the script has run."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(ELEMENT_TIMEOUT_MS)
    page.goto(url)
    wait_idle(page)
    return page


def wait_idle(page):
    page.wait_for_selector(IDLE_SELECTOR, state="attached")


def click_button(page, label):
    page.get_by_role("button", name=label, exact=True).first.click()


def wait_for_test_accuracy(page):
    """Waits until a finished run's "Test accuracy" metric shows; returns its text."""
    metric = page.locator("[data-testid='stMetric']", has_text="Test accuracy").first
    metric.wait_for()
    return metric.locator("[data-testid='stMetricValue']").inner_text()


class CpuShares:
    """Counts the CPU seconds each part of a bench uses, between marks; use as a context manager.

    `roots` maps a part's name to a process id: the part is that process and all its descendants.
    The server's descendants are split into its Ray workers (the trainings) and Ray's own processes.
    A thread reads every process's CPU time four times a second and keeps the last reading of
    each, so a process that ends between two marks (a closed browser tab) still counts.
    """

    INTERVAL = 0.25
    _WORKERS, _RAY = "Ray workers", "Ray's own processes"

    def __init__(self, roots):
        self._roots, self._seconds, self._marks = roots, {}, []
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _part(self, process, root_pids):
        for ancestor in [process, *process.parents()]:
            name = root_pids.get(ancestor.pid)
            if name == "server" and ancestor is not process:
                return self._WORKERS if process.cmdline()[0].startswith("ray::") else self._RAY
            if name:
                return name
        return "rest of the machine"

    def _read(self):
        import psutil

        root_pids = {pid: name for name, pid in self._roots.items()}
        for process in psutil.process_iter():
            try:
                times = process.cpu_times()
                key = (process.pid, process.create_time())
                if key not in self._seconds or self._seconds[key][0] == self._RAY:
                    # A new Ray worker starts as plain Python and names itself "ray::…" soon after.
                    self._seconds[key] = [self._part(process, root_pids), 0.0]
                self._seconds[key][1] = times.user + times.system
            except (psutil.Error, IndexError):
                continue

    def _watch(self):
        while not self._stop.wait(self.INTERVAL):
            with self._lock:
                self._read()

    def mark(self, name):
        """Ends the previous phase and starts the phase `name`."""
        with self._lock:
            self._read()
            totals = {}
            for part, seconds in self._seconds.values():
                totals[part] = totals.get(part, 0.0) + seconds
            self._marks.append((name, time.monotonic(), totals))

    def report(self):
        """Returns lines: for each phase, its length and each part's share of the machine's cores."""
        cores, lines = os.cpu_count(), []
        for (name, start, before), (_, end, after) in zip(self._marks, self._marks[1:]):
            wall = end - start
            shares = {part: (after.get(part, 0.0) - before.get(part, 0.0)) / wall for part in after}
            parts = ", ".join(f"{part} {share:.2f}" for part, share in sorted(shares.items(), key=lambda item: -item[1]))
            lines.append(f"CPU during {name} ({wall:.0f} s; cores busy, of {cores}): {parts}")
        return lines
