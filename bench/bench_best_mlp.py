"""Benchmark: does the "Best MLP" preset reach the Keras MLP example's 98.4% within 120 s of training?

It trains the preset with `train_run` on real MNIST, once per seed asked for, and prints the test
accuracy, the training time and the time per epoch of each run, then one verdict line.

    TFDS_DATA_DIR=../shared/data/tfds PYTHONPATH=. python bench/bench_best_mlp.py [--seeds 0 1 2]
"""

import argparse
import dataclasses
import os
import statistics
import sys
import time

from mnist_core.presets import BEST_MLP_MAX_TRAIN_SECONDS, KERAS_MLP_TEST_ACCURACY, preset_by_name
from mnist_core.train import train_run
from seed_pipeline import measure_seed, print_ratio


def parse_args(argv):
    """Reads the seeds to train; the preset's own seed when none are given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds to train (default: the preset's)")
    return parser.parse_args(argv)


def bench_one(config):
    """Trains `config` and returns its test accuracy, train seconds, per-epoch and CPU seconds."""
    cpu_started = time.process_time()
    result = train_run(config)
    # CPU time hardly depends on what else runs on the machine, unlike the wall-clock timings.
    cpu_seconds = time.process_time() - cpu_started
    return result.evaluation.accuracy, result.timings["train_seconds"], result.history["seconds"], cpu_seconds


def describe_run(config, accuracy, train_seconds, epoch_seconds, cpu_seconds):
    """Formats one run's figures on a line, with the machine's load, which moves the times a lot."""
    steady = statistics.median(epoch_seconds[1:]) if len(epoch_seconds) > 1 else epoch_seconds[0]
    return (
        f"seed {config.seed}: test accuracy {accuracy:.2%} | train {train_seconds:.1f} s | "
        f"epoch 1 (with compiling) {epoch_seconds[0]:.1f} s, median epoch {steady:.2f} s, "
        f"slowest {max(epoch_seconds):.2f} s | whole run {cpu_seconds:.0f} CPU-s | "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def main(argv=None):
    if "TFDS_DATA_DIR" not in os.environ:
        sys.exit("Set TFDS_DATA_DIR to a prepared tfds folder, e.g. ../shared/data/tfds.")
    args = parse_args(argv)
    preset = preset_by_name("Best MLP")
    seeds = args.seeds or [preset.config.seed]
    seed_pipeline = measure_seed()
    print(f"Best MLP: {preset.config}")
    accuracies, times = [], []
    for seed in seeds:
        config = dataclasses.replace(preset.config, seed=seed)
        accuracy, train_seconds, epoch_seconds, cpu_seconds = bench_one(config)
        accuracies.append(accuracy)
        times.append(train_seconds)
        print(describe_run(config, accuracy, train_seconds, epoch_seconds, cpu_seconds), flush=True)
    print_ratio("Best MLP train time, slowest seed", max(times), seed_pipeline["train_seconds"], "train time", "s")
    passed = min(accuracies) >= KERAS_MLP_TEST_ACCURACY and max(times) <= BEST_MLP_MAX_TRAIN_SECONDS
    print(
        f"{'PASS' if passed else 'FAIL'}: test accuracy {min(accuracies):.2%}..{max(accuracies):.2%} "
        f"(target >= {KERAS_MLP_TEST_ACCURACY:.1%}), train time {min(times):.1f}..{max(times):.1f} s "
        f"(target <= {BEST_MLP_MAX_TRAIN_SECONDS} s) over {len(seeds)} seed(s)"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
