"""Honest training-time estimates for this machine, from a cost model calibrated on past runs."""

import dataclasses
import math
import statistics

from mnist_core.model import count_parameters

# Cost model measured on the project's 2-core machine: a fixed cost per gradient step (the
# loop's bookkeeping), per training example (gathering, scaling, the loss) and per example and
# weight (the multiply-adds forward and backward). Fitted on 2×50, 2×128 and 2×768 networks;
# past runs rescale it to the machine.
SECONDS_PER_STEP = 7e-5
SECONDS_PER_EXAMPLE = 2.2e-6
SECONDS_PER_EXAMPLE_WEIGHT = 1.5e-10
# Inference (validation after every epoch, the test set at the end) costs about a third as much.
SECONDS_PER_INFERENCE_WEIGHT = 5e-11
VALIDATION_AND_TEST_EXAMPLES = 10_000
# The first epoch also compiles the training loop with XLA; past runs replace this default.
COMPILE_SECONDS = 3.0
# Reading the decoded arrays kept on disk; decoding tfds's files the first time takes longer.
LOAD_SECONDS = 1.0
# How many of the newest runs calibrate the model.
CALIBRATION_RUNS = 20


def estimate_epoch_seconds(config):
    """Returns the modelled seconds of one epoch of `config` (validation included), before calibration."""
    steps = math.ceil(config.train_size / config.batch_size)
    weights = count_parameters(config)
    per_example = SECONDS_PER_EXAMPLE + weights * SECONDS_PER_EXAMPLE_WEIGHT
    training = steps * SECONDS_PER_STEP + config.train_size * per_example
    return training + config.validation_size * weights * SECONDS_PER_INFERENCE_WEIGHT


def estimate_train_seconds(config, past_runs=(), data_loaded=False):
    """Estimates the wall-clock seconds to load the data, train `config` and test it.

    Args:
        config: the `TrainConfig` to estimate.
        past_runs: runs trained on this machine, newest first (stored `Run`s or `TrainResult`s);
            their measured epochs rescale the model to this machine's real speed (and how busy
            it is). A past run of the same network, batch and data is used as it is.
        data_loaded: whether the dataset is already in memory.
    """
    recent = _complete_runs(past_runs)
    same_shape = [run for run in recent if _same_work_per_epoch(run.config, config)]
    if same_shape:
        epoch = _steady_epoch_seconds(same_shape[0])
    else:
        epoch = estimate_epoch_seconds(config) * calibration_factor(recent)
    testing = VALIDATION_AND_TEST_EXAMPLES * count_parameters(config) * SECONDS_PER_INFERENCE_WEIGHT
    training = compile_seconds(recent) + config.epochs * epoch + testing
    return training + (0.0 if data_loaded else LOAD_SECONDS)


def calibration_factor(past_runs):
    """Returns the median ratio of measured to modelled epoch time over recent complete runs."""
    ratios = [_steady_epoch_seconds(run) / estimate_epoch_seconds(run.config) for run in _complete_runs(past_runs)]
    return statistics.median(ratios) if ratios else 1.0


def compile_seconds(past_runs):
    """Returns how much longer a first epoch took than the later ones, as a median over past runs."""
    extra = [max(run.history["seconds"][0] - _steady_epoch_seconds(run), 0.0) for run in _complete_runs(past_runs)]
    return statistics.median(extra) if extra else COMPILE_SECONDS


def _complete_runs(past_runs):
    """Returns the newest runs that finished at least two epochs, so they time a steady epoch."""
    runs = [run for run in list(past_runs)[:CALIBRATION_RUNS] if not run.stopped]
    return [run for run in runs if len(run.history.get("seconds", [])) >= 2]


def _steady_epoch_seconds(run):
    """Returns the median time of a run's epochs after the first, which also compiled."""
    return statistics.median(run.history["seconds"][1:])


def _same_work_per_epoch(past, wanted):
    """Tells whether an epoch of `past` does the same computation as one of `wanted`."""
    return dataclasses.replace(past, epochs=wanted.epochs, seed=wanted.seed) == wanted

