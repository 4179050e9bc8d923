"""Compares the time estimates with real trainings on this machine (issue 11, item 4).

Trains the seed network, a wider one with small batches (128/10/32), then the seed again, in one
process, and estimates each config from the other's stored runs, as the dashboard does. Prints the
estimate, the actual time and their ratio; the goal is every ratio within 0.7–1.3. It is a bench,
not a test, because its figures are wall-clock times on a shared, noisy machine.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_estimate.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.data import load_dataset  # noqa: E402
from mnist_core.estimate import estimate_train_seconds  # noqa: E402
from mnist_core.train import train_run  # noqa: E402
from seed_pipeline import measure_seed, print_ratio  # noqa: E402


def main():
    seed_pipeline = measure_seed()
    load_dataset("mnist")  # The trainings then find the data in memory, as in a running dashboard.
    train_run(TrainConfig(hidden_size=16, hidden_layers=1, epochs=1, train_examples=2000))  # TensorFlow warm.
    seed, wide = TrainConfig(), TrainConfig(hidden_size=128, epochs=10, batch_size=32)
    runs, seconds = [], []
    for config in (seed, wide, seed):
        started = time.perf_counter()
        runs.append(train_run(config))
        seconds.append(time.perf_counter() - started)
    report = {
        seed.describe(): (estimate_train_seconds(seed, [runs[1]], data_loaded=True), (seconds[0] + seconds[2]) / 2),
        wide.describe(): (estimate_train_seconds(wide, [runs[2], runs[0]], data_loaded=True), seconds[1]),
    }
    inside = True
    for label, (estimate, actual) in report.items():
        ratio = estimate / actual
        inside = inside and 0.7 <= ratio <= 1.3
        print(f"{label}: estimated {estimate:.1f} s, took {actual:.1f} s, ratio {ratio:.2f}")
    print(f"seed runs took {seconds[0]:.1f} s and {seconds[2]:.1f} s (the second reuses the compiled loop)")
    print_ratio("seed settings, train_run", (seconds[0] + seconds[2]) / 2, seed_pipeline["total_seconds"],
                "run to test accuracy", "s")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print("PASS" if inside else "OUTSIDE the ±30% band")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
