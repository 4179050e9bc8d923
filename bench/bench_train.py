"""Benchmark: the seed notebook's pipeline against `train_run` on the default config, in one run.

Each side runs in its own fresh Python process (imports done before its timer starts), so neither
inherits the other's caches. The engine runs twice with an empty folder for its decoded-array cache:
"cold" decodes tfds's records as on a machine's first run, "warm" reads the arrays the cold run
kept, as every later run does. Then `train_run`'s compiled loop is compared with Keras's
`model.fit` (bench/fit_candidate.py), and the CLI runs under /usr/bin/time -v for its peak memory.

    TFDS_DATA_DIR=../shared/data/tfds python bench/bench_train.py [--repeats 5] [--only-fit-vs-loop]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_SNIPPET = """
import json, time
import tensorflow_datasets, tensorflow
from mnist_core.config import TrainConfig
from mnist_core.train import train_run
started = time.perf_counter()
result = train_run(TrainConfig())
total = time.perf_counter() - started
print(json.dumps({**result.timings, "epoch_seconds": result.history["seconds"], "total_seconds": total,
                  "test_accuracy": result.evaluation.accuracy, "test_loss": result.evaluation.loss}))
"""
# One process trains every variant in turn, the order rotating each repeat, so the machine's load
# (shared with other work) falls on all of them alike. Figures are steady epochs (the first, which
# compiles, left out), validation included. The load average is read before every repeat.
FIT_VS_LOOP_SNIPPET = """
import json, os, statistics, sys
sys.path.insert(0, "bench")
from fit_candidate import INPUTS, fit_train
from mnist_core.config import TrainConfig
from mnist_core.data import load_dataset, split_train_validation
from mnist_core.train import train_run
configs = {"seed settings": TrainConfig(),
           "bigger (3x256, dropout 0.2)": TrainConfig(hidden_size=256, hidden_layers=3, dropout=0.2, epochs=3)}
variants = ("loop",) + tuple("fit " + name for name in INPUTS)
dataset = load_dataset("mnist")
steady = {name: {variant: [] for variant in variants} for name in configs}
points, loads = {}, []
for repeat in range(REPEATS):
    loads.append(os.getloadavg()[0])
    for name, config in configs.items():
        split = split_train_validation(dataset, config.validation_fraction, config.seed)
        for variant in variants[repeat % 3:] + variants[:repeat % 3]:
            if variant == "loop":
                seconds = train_run(config).history["seconds"]
            else:
                history, callback = fit_train(config, split, variant.split()[1])
                seconds = callback.epoch_seconds
                points[variant] = len(callback.points) / config.epochs
            steady[name][variant].append(statistics.median(seconds[1:]))
print(json.dumps({"steady": steady, "points_per_epoch": points, "loads": loads}))
"""


def run_python(code_or_path, extra_env=None):
    """Runs a snippet or script in a fresh interpreter and returns its last stdout line as JSON."""
    command = [sys.executable, code_or_path] if code_or_path.endswith(".py") else [sys.executable, "-c", code_or_path]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peak_memory_of_cli():
    """Returns the peak resident memory in MB of a default `python -m mnist_core train` run.

    Without the cache, so tfds's decoding, the larger of the two ways in, is what is measured.
    """
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "mnist_core", "train", "--no-store"]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "MNIST_CACHE_DIR": "off"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True)
    kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr).group(1))
    return kilobytes / 1024, completed.stdout.strip().splitlines()[-1]


def describe(name, timings):
    """Formats one side's figures on a line."""
    steady = statistics.median(timings["epoch_seconds"][1:])
    return steady, (
        f"{name:<7} load {timings['load_seconds']:5.2f} s | epoch 1 {timings['epoch_seconds'][0]:5.2f} s, "
        f"steady {steady:5.3f} s | test {timings['test_seconds']:4.2f} s | whole run "
        f"{timings['total_seconds']:5.2f} s | test accuracy {timings['test_accuracy']:.4f}"
    )


def report_fit_vs_loop(repeats, seed_steady):
    """Prints each variant's median steady epoch, its ratio to the loop and the seed's epoch to it."""
    figures = run_python(FIT_VS_LOOP_SNIPPET.replace("REPEATS", str(repeats)))
    loads = figures["loads"]
    print(f"fit vs loop, {repeats} interleaved repeats; 1-minute load average before each: "
          + ", ".join(f"{load:.2f}" for load in loads))
    for name, by_variant in figures["steady"].items():
        loop = statistics.median(by_variant["loop"])
        for variant, seconds in by_variant.items():
            median = statistics.median(seconds)
            print(f"  {name:<28} {variant:<11} steady epoch {median:6.3f} s (each repeat: "
                  + ", ".join(f"{value:.3f}" for value in seconds)
                  + f") = {median / loop:4.2f}x the loop, seed's epoch is {seed_steady / median:4.1f}x it")
    print("  progress points per epoch with fit: "
          + ", ".join(f"{variant} {count:.0f}" for variant, count in figures["points_per_epoch"].items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats of fit vs loop")
    parser.add_argument("--only-fit-vs-loop", action="store_true", help="skip the cold/warm and memory runs")
    arguments = parser.parse_args()
    if "TFDS_DATA_DIR" not in os.environ:
        sys.exit("Set TFDS_DATA_DIR to a prepared tfds folder, e.g. ../shared/data/tfds.")
    seed = run_python(os.path.join(REPO_ROOT, "bench", "seed_pipeline.py"))
    seed_steady, seed_line = describe("seed", seed)
    print(seed_line)
    report_fit_vs_loop(arguments.repeats, seed_steady)
    if arguments.only_fit_vs_loop:
        return
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        cold = run_python(ENGINE_SNIPPET, {"MNIST_CACHE_DIR": cache})
        warm = run_python(ENGINE_SNIPPET, {"MNIST_CACHE_DIR": cache})
    for name, engine in (("cold", cold), ("warm", warm)):
        print(describe(name, engine)[1])
    epoch_ratio = seed_steady / statistics.median(warm["epoch_seconds"][1:])
    print(f"steady-state epoch: engine is {epoch_ratio:.1f}x faster than the seed (target >= 10x)")
    for name, engine in (("cold", cold), ("warm", warm)):
        run_ratio = seed["total_seconds"] / engine["total_seconds"]
        print(f"whole default run, {name} cache: engine is {run_ratio:.1f}x faster than the seed (target >= 4x)")
    peak_mb, last_line = peak_memory_of_cli()
    print(f"CLI default run peak memory: {peak_mb:.0f} MB (target <= 1536 MB); it printed: {last_line}")


if __name__ == "__main__":
    main()
