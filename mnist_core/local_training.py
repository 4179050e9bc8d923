"""Training in this process, for the CLI and tests: reuse a stored run of the settings, or train and store one.

The dashboard trains through `job_manager` in Ray workers instead; both take reuse from `RunStore.reusable`.
"""


def train_run(config, **train_kwargs):
    """Calls `mnist_core.train.train_run`, importing TensorFlow only once a training starts."""
    from mnist_core.train import train_run as train

    return train(config, **train_kwargs)


def train_or_reuse(config, store, retrain=False, **train_kwargs):
    """Returns a stored run of `config`, training and saving a new one only when needed.

    Args:
        config: the `TrainConfig` wanted.
        store: the `RunStore` to look in and save to.
        retrain: train a new run even when a finished one is stored.
        **train_kwargs: passed to `train_run` (data_dir, on_progress, should_stop, download).

    Returns:
        (run, reused), where reused is True when the run came from the store without training.
        A stopped training is saved too (run.stopped is True) but is never reused later.

    Raises:
        StoreNotWritableError: before any training, when the store could not save the run.
    """
    stored = store.reusable(config, retrain)
    if stored is not None:
        return stored, True
    # A store that cannot take the run fails now, not after the training it would throw away.
    store.check_writable()
    result = train_run(config, **train_kwargs)
    return store.save(result), False
