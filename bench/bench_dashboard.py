"""Benchmark: the dashboard in real Chromium, with trainings in Ray workers.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_dashboard.py [memory|responsiveness] [port]
        [--trainers-nice N] [--measuring-nice N]

memory: one session presses Retrain (seed settings) 30 times in a row on one server. Prints the
    server's RSS and the Ray workers' RSS after the 1st and the 30th training, and click-to-test-
    accuracy times: the median of trainings 2–6 is the "warm server" figure (the 1st includes
    starting Ray and importing TensorFlow in the workers).
responsiveness: Home opened in a fresh session 7 times on an idle server, then again while 5 other
    sessions each train the Best MLP preset; prints both medians and their ratio. The five
    training sessions run in a second Chromium; --trainers-nice N (default 0) lowers its CPU
    priority, standing in for students whose browsers run on their own computers; likewise
    --measuring-nice N (default 0; -10 raises it) sets the priority of the browser that opens Home.
    It also prints how many of the machine's cores each part used in each phase: the server, its
    Ray workers, Ray's own processes, each browser and the rest of the machine.
Both print the load average, since the machine is shared, and first run the seed notebook's
pipeline once (bench/seed_pipeline.py) to print each figure as a ratio against it.
"""

import argparse
import contextlib
import os
import re
import statistics
import sys
import time

from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_browser import (  # noqa: E402
    CpuShares, Server, click_button, launch, open_page, wait_for_test_accuracy, wait_idle, worker_rss_mb)
from seed_pipeline import measure_seed, print_ratio  # noqa: E402

TRAININGS = 30
WARM_CLICKS = slice(1, 6)  # Trainings 2 to 6: the server and its workers are warm.
TRAINING_SESSIONS = 5
HOME_LOADS = 7


def _stored_run_id(page):
    """Returns the run id in the "stored as …" line of a freshly trained run, or None."""
    for alert in page.locator("[data-testid='stAlertContentSuccess']").all():
        text = alert.inner_text()
        if "stored as" in text:
            return text.rsplit("stored as", 1)[1].strip(" `.\n")
    return None


def _retrain_and_wait(page, seen):
    started = time.perf_counter()
    click_button(page, "Retrain")
    while True:
        run_id = _stored_run_id(page)
        if run_id and run_id not in seen:
            seen.add(run_id)
            accuracy = wait_for_test_accuracy(page)
            return time.perf_counter() - started, accuracy
        time.sleep(0.05)


def memory(port, seed):
    with Server(port) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        page = open_page(browser, f"{server.base_url}/Train")
        seen, clicks, server_rss, workers = set(), [], [], []
        for number in range(1, TRAININGS + 1):
            seconds, accuracy = _retrain_and_wait(page, seen)
            clicks.append(seconds)
            server_rss.append(server.rss_mb())
            workers.append(worker_rss_mb(server.process.pid))
            print(f"training {number:2d}: {seconds:5.1f} s click to test accuracy {accuracy}; server "
                  f"{server_rss[-1]:.0f} MB; workers {sorted(round(mb) for mb in workers[-1].values())} MB", flush=True)
        browser.close()
    common = set(workers[0]) & set(workers[-1])
    print(f"server RSS: {server_rss[0]:.0f} MB after the 1st, {server_rss[-1]:.0f} MB after the {TRAININGS}th "
          f"({server_rss[-1] - server_rss[0]:+.0f} MB)")
    for pid in sorted(common):
        print(f"worker {pid}: {workers[0][pid]:.0f} MB after the 1st, {workers[-1][pid]:.0f} MB after the "
              f"{TRAININGS}th ({workers[-1][pid] - workers[0][pid]:+.0f} MB)")
    if not common:
        print(f"no worker lived through all {TRAININGS} trainings: {workers[0]} then {workers[-1]}")
    warm = clicks[WARM_CLICKS]
    print(f"click to test accuracy: 1st {clicks[0]:.1f} s; warm (trainings 2–6) {[round(s, 1) for s in warm]}, "
          f"median {statistics.median(warm):.1f} s; all 30 median {statistics.median(clicks):.1f} s")
    print_ratio("warm click to test accuracy, median", statistics.median(warm), seed["total_seconds"],
                "run to test accuracy", "s")
    print_ratio(f"server RSS growth over {TRAININGS} trainings", server_rss[-1] - server_rss[0], seed["peak_rss_mb"],
                "peak RSS", "MB")


# What a training session's page shows in each state of its job, checked in this order.
_STATES = {"training": r"^Epoch \d+/\d+, step", "preparing": r"^Preparing:", "queued": r"Waiting for a free trainer"}
_TRAINING = re.compile(_STATES["training"])
_SUBMITTED = re.compile("|".join(_STATES.values()))
SUBMIT_TIMEOUT_MS = 120_000


def _training_states(pages):
    """Counts the training sessions whose page shows a training at an epoch, preparing, or waiting in the queue."""
    counts = dict.fromkeys([*_STATES, "other"], 0)
    for page in pages:
        main = page.locator("[data-testid='stMain']")
        shown = next((state for state, text in _STATES.items() if main.get_by_text(re.compile(text)).count()), "other")
        counts[shown] += 1
    return counts


def _home_seconds(browser, base_url):
    started = time.perf_counter()
    page = open_page(browser, base_url)
    page.get_by_text("Train your first neural network").first.wait_for()
    seconds = time.perf_counter() - started
    page.context.close()
    return seconds


def responsiveness(port, seed, trainers_nice=0, measuring_nice=0):
    with Server(port) as server, sync_playwright() as playwright, contextlib.ExitStack() as stack:
        browser = launch(playwright, niceness=measuring_nice)
        trainer_browser = launch(playwright, niceness=trainers_nice)
        shares = CpuShares({"server": server.process.pid, "measured browser": browser.bench_pid,
                            "training sessions' browser": trainer_browser.bench_pid})
        stack.enter_context(shares)
        _home_seconds(browser, server.base_url)  # The first load of a server compiles its pages.
        shares.mark("the idle Home loads")
        idle = [_home_seconds(browser, server.base_url) for _ in range(HOME_LOADS)]
        shares.mark("the start of the trainings")
        trainers = []
        for _ in range(TRAINING_SESSIONS):
            page = open_page(trainer_browser, f"{server.base_url}/Train")
            page.get_by_text("Best MLP", exact=True).first.click()
            page.wait_for_timeout(500)
            wait_idle(page)
            click_button(page, "Retrain")
            # Each session's training is submitted before the next session starts: its page shows
            # it preparing, at an epoch or waiting in the queue.
            page.locator("[data-testid='stMain']").get_by_text(_SUBMITTED).first.wait_for(timeout=SUBMIT_TIMEOUT_MS)
            trainers.append(page)
        # Wait until trainings really run (a progress bar shows an epoch's steps) before timing Home;
        # preparing (decoding the dataset, compiling) is a different load.
        trainers[0].locator("[data-testid='stMain']").get_by_text(_TRAINING).first.wait_for(timeout=SUBMIT_TIMEOUT_MS)
        before = _training_states(trainers)
        shares.mark("the busy Home loads")
        busy = [_home_seconds(browser, server.base_url) for _ in range(HOME_LOADS)]
        shares.mark("the end")
        after = _training_states(trainers)
        browser.close()
        trainer_browser.close()
    print(f"training sessions' browser niceness: {trainers_nice}; measured browser's niceness: {measuring_nice}")
    print(f"Home idle: {[round(s, 2) for s in idle]} s, median {statistics.median(idle):.2f} s")
    print(f"training sessions before the busy loads: {before}; after them: {after}")
    print(f"Home while {TRAINING_SESSIONS} sessions train: "
          f"{[round(s, 2) for s in busy]} s, median {statistics.median(busy):.2f} s")
    print(f"ratio busy / idle: {statistics.median(busy) / statistics.median(idle):.2f}")
    print("\n".join(shares.report()))
    print_ratio("Home while others train, median", statistics.median(busy), seed["total_seconds"],
                "run to test accuracy", "s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=("memory", "responsiveness"), default="memory")
    parser.add_argument("port", nargs="?", type=int, default=8710)
    parser.add_argument("--trainers-nice", type=int, default=0, choices=range(0, 20), metavar="0-19",
                        help="CPU niceness of the training sessions' browser (responsiveness only)")
    parser.add_argument("--measuring-nice", type=int, default=0, choices=range(-20, 20), metavar="-20-19",
                        help="CPU niceness of the browser that opens Home (responsiveness only; below 0 needs root)")
    arguments = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    seed_figures = measure_seed()
    if arguments.which == "memory":
        memory(arguments.port, seed_figures)
    else:
        responsiveness(arguments.port, seed_figures, arguments.trainers_nice, arguments.measuring_nice)
    print(f"load average after: {os.getloadavg()}")
