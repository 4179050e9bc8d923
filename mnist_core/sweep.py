"""Sweeps: one setting trained over several values, each value a normal (reusable) run."""

import dataclasses


# Settings a sweep may vary, with the values a teacher would try first.
SWEEPABLE = {
    "hidden_size": (8, 32, 128, 512),
    "hidden_layers": (1, 2, 3, 4),
    "epochs": (1, 3, 5, 10),
    "batch_size": (16, 64, 256, 1024),
    "learning_rate": (0.0001, 0.001, 0.01, 0.1),
    "dropout": (0.0, 0.2, 0.4, 0.6),
}


def sweep_configs(base, field, values):
    """Returns one config per value: `base` with `field` set to that value.

    Raises:
        ValueError: for a field that cannot be swept, no values, or a value the field rejects.
    """
    if field not in SWEEPABLE:
        raise ValueError(f"field must be one of {', '.join(SWEEPABLE)}, got {field!r}.")
    if not values:
        raise ValueError("A sweep needs at least one value.")
    return [dataclasses.replace(base, **{field: value}) for value in dict.fromkeys(values)]


def parse_values(field, text):
    """Reads comma-separated values for `field`; empty text means the suggested values.

    Raises:
        ValueError: for a field that cannot be swept or a value of the wrong kind.
    """
    if field not in SWEEPABLE:
        raise ValueError(f"field must be one of {', '.join(SWEEPABLE)}, got {field!r}.")
    kind = type(SWEEPABLE[field][0])
    return [kind(part) for part in text.replace(" ", "").split(",") if part] or list(SWEEPABLE[field])


def sweep_table(field, configs, runs_by_key):
    """Returns rows (value, test accuracy, train seconds, run id) for the configs that have runs.

    Args:
        field: the swept setting.
        configs: the sweep's configs, in order.
        runs_by_key: stored runs by `config.key()`.
    """
    rows = []
    for config in configs:
        run = runs_by_key.get(config.key())
        if run is not None:
            rows.append({
                field: getattr(config, field),
                "test_accuracy": run.test_accuracy,
                "train_seconds": run.timings.get("train_seconds", float("nan")),
                "run_id": run.run_id,
            })
    return rows

