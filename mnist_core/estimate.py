"""Honest training-time estimates for this machine, from a cost model calibrated on past runs."""

import math
import statistics

from mnist_core.model import count_parameters

# Cost model fitted to runs on a 2-core machine: a fixed cost per gradient step (the call and
# its bookkeeping) plus a cost per example and weight (the multiply-adds forward and backward).
SECONDS_PER_STEP = 1.5e-4
SECONDS_PER_EXAMPLE_WEIGHT = 8e-11
COMPILE_SECONDS = 1.5
LOAD_SECONDS = 2.5


def estimate_epoch_seconds(config):
    """Returns the modelled seconds of one epoch of `config`, before calibration."""
    steps = math.ceil(config.train_size / config.batch_size)
    return steps * SECONDS_PER_STEP + config.train_size * count_parameters(config) * SECONDS_PER_EXAMPLE_WEIGHT


def estimate_train_seconds(config, past_runs=(), data_loaded=False):
    """Estimates the wall-clock seconds to load the data, train `config` and test it.

    Args:
        config: the `TrainConfig` to estimate.
        past_runs: stored runs from this machine; their measured times scale the model, so the
            estimate follows this machine's real speed (and how busy it is).
        data_loaded: whether the dataset is already in memory.
    """
    factor = calibration_factor(past_runs)
    training = COMPILE_SECONDS + config.epochs * estimate_epoch_seconds(config) * factor
    return training + (0.0 if data_loaded else LOAD_SECONDS)


def calibration_factor(past_runs):
    """Returns the median ratio of measured to modelled epoch time over recent complete runs."""
    ratios = []
    for run in list(past_runs)[:20]:
        epoch_seconds = run.history.get("seconds", [])[1:]
        if run.stopped or not epoch_seconds:
            continue
        ratios.append(statistics.median(epoch_seconds) / estimate_epoch_seconds(run.config))
    return statistics.median(ratios) if ratios else 1.0
