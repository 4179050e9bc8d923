"""Command line: `python -m mnist_core train | runs | predict`, printing what the core returns."""

import argparse
import dataclasses
import json
import os
import sys

from mnist_core.config import ACTIVATIONS, DATASETS, OPTIMIZERS, TrainConfig

# Quieten TensorFlow's start-up logging so the CLI prints only its own lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_DEFAULTS = TrainConfig()
_CONFIG_FLAGS = (
    ("--hidden-size", "hidden_size", int, "units in each hidden layer"),
    ("--layers", "hidden_layers", int, "number of hidden layers"),
    ("--activation", "activation", str, f"hidden activation: {', '.join(ACTIVATIONS)}"),
    ("--epochs", "epochs", int, "passes over the training split"),
    ("--batch-size", "batch_size", int, "examples per gradient step"),
    ("--optimizer", "optimizer", str, f"one of {', '.join(OPTIMIZERS)}"),
    ("--learning-rate", "learning_rate", float, "optimizer step size"),
    ("--dropout", "dropout", float, "dropout rate after each hidden layer"),
    ("--validation-fraction", "validation_fraction", float, "share of the training split held out"),
    ("--dataset", "dataset", str, f"one of {', '.join(DATASETS)}"),
    ("--seed", "seed", int, "random seed for the split, weights and shuffling"),
    ("--train-examples", "train_examples", int, "train on only this many random examples (quick runs)"),
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# Exit status after Ctrl-C, as shells report a process ended by SIGINT.
INTERRUPTED_STATUS = 130


def main(argv=None):
    """Runs the command line and returns its exit status.

    Whatever the disk or the user does (a read-only store, a file where a folder should be, a full
    disk, Ctrl-C) ends in one line on stderr and a non-zero status, never a traceback.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        # A save interrupted before its final rename leaves no run; after it, "Saved run" was printed.
        return _fail("interrupted; a run was stored only if 'Saved run' was printed.", INTERRUPTED_STATUS)
    except OSError as error:
        return _fail(_os_error_line(error), status=1)


def _os_error_line(error):
    """Returns one line for an OSError: its own message, or "reason: path" for the system's errors."""
    if error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    return str(error) or type(error).__name__


def _build_parser():
    parser = _Parser(prog="python -m mnist_core", description="Train and query MNIST networks.")
    commands = parser.add_subparsers(parser_class=_Parser)
    train = commands.add_parser("train", help="train a network (or reuse an identical stored run)")
    for flag, field, kind, text in _CONFIG_FLAGS:
        train.add_argument(flag, dest=field, type=kind, default=getattr(_DEFAULTS, field),
                           help=f"{text} (default: {_default_text(field)})")
    train.add_argument("--retrain", action="store_true", help="train again even if this config is stored")
    train.add_argument("--no-store", action="store_true", help="do not read or write the run store")
    _add_common(train)
    train.set_defaults(handler=_train)

    runs = commands.add_parser("runs", help="list, show or delete stored runs")
    runs.add_argument("action", choices=("list", "show", "delete"))
    runs.add_argument("run_id", nargs="?", help="the run to show or delete")
    _add_common(runs)
    runs.set_defaults(handler=_runs)

    predict = commands.add_parser("predict", help="predict the digit in image files")
    predict.add_argument("--run", dest="run_id", required=True, help="the stored run to use")
    predict.add_argument("images", nargs="+", help="PNG, JPEG, GIF (first frame), BMP, TIFF or WebP files")
    _add_common(predict)
    predict.set_defaults(handler=_predict)
    return parser


def _default_text(field):
    default = getattr(_DEFAULTS, field)
    return "all" if default is None else default


def _add_common(parser):
    parser.add_argument("--data-dir", default=None, help="tfds data folder (default: $TFDS_DATA_DIR)")
    parser.add_argument("--runs-dir", default=None, help="run store folder (default: $MNIST_RUNS_DIR)")


def _fail(message, status=2):
    print(f"error: {message}", file=sys.stderr)
    return status


def _train(args):
    try:
        config = TrainConfig(**{field: getattr(args, field) for _, field, _, _ in _CONFIG_FLAGS})
    except ValueError as error:
        return _fail(str(error))
    # TensorFlow takes seconds to import, so it is imported only once a training really starts:
    # missing data is reported first, and a stored run is reused, without it.
    from mnist_core.data import DatasetUnavailableError, load_dataset
    from mnist_core.local_training import train_or_reuse, train_run
    from mnist_core.run_store import RunStore

    train_kwargs = {"data_dir": args.data_dir, "on_progress": _print_epoch}
    try:
        load_dataset(config.dataset, args.data_dir)  # Kept in memory for the training that follows.
        if args.no_store:
            result = train_run(config, **train_kwargs)
            loss, accuracy = result.evaluation.loss, result.evaluation.accuracy
        else:
            run, reused = train_or_reuse(config, RunStore(args.runs_dir), retrain=args.retrain, **train_kwargs)
            if reused:
                print(f"Reusing stored run {run.run_id} (pass --retrain to train again).")
                for epoch, _ in enumerate(run.history["loss"]):
                    print(_epoch_line(epoch + 1, config.epochs, {k: v[epoch] for k, v in run.history.items()}))
            else:
                print(f"Saved run {run.run_id}.")
            loss, accuracy = run.test_loss, run.test_accuracy
    except DatasetUnavailableError as error:
        return _fail(str(error), status=1)
    print("Test loss: {0:.2f}. Test accuracy: {1:.2f}%".format(loss, accuracy * 100))
    return 0


def _print_epoch(event):
    if event.kind == "epoch":
        print(_epoch_line(event.epoch, event.epochs, event.logs), flush=True)


def _epoch_line(epoch, epochs, logs):
    metrics = " - ".join(f"{key}: {logs[key]:.4f}" for key in ("accuracy", "loss", "val_accuracy", "val_loss"))
    return f"Epoch {epoch}/{epochs} - {logs['seconds']:.2f}s - {metrics}"


def _runs(args):
    from mnist_core.run_record import CorruptRunError
    from mnist_core.run_store import RunNotFoundError, RunStore

    store = RunStore(args.runs_dir)
    if args.action == "list":
        runs = store.list()
        for warning in store.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not runs:
            print(f"No stored runs in {store.root}. Train one with: python -m mnist_core train")
        for run in runs:
            stopped = " (stopped)" if run.stopped else ""
            print(f"{run.run_id}  {run.config.describe():<40} test accuracy {run.test_accuracy:.2%}{stopped}")
        return 0
    if not args.run_id:
        return _fail(f"runs {args.action} needs a run id; list them with: python -m mnist_core runs list")
    try:
        # A run that cannot be read can still be deleted, so delete does not load it first.
        if args.action == "delete":
            store.delete(args.run_id)
            print(f"Deleted run {args.run_id}.")
        else:
            print(json.dumps(_run_summary(store.load(args.run_id)), indent=2))
    except (RunNotFoundError, CorruptRunError) as error:
        return _fail(str(error.args[0] if error.args else error))
    return 0


def _run_summary(run):
    return {
        "run_id": run.run_id,
        "created_at": run.created_at,
        "config": dataclasses.asdict(run.config),
        "stopped": run.stopped,
        "test_loss": round(run.test_loss, 4),
        "test_accuracy": round(run.test_accuracy, 4),
        "history": run.history,
        "timings": run.timings,
        "path": str(run.path),
        "owner": run.owner,
    }


def _predict(args):
    from mnist_core.image_files import read_image
    from mnist_core.predict import predict_digit
    from mnist_core.run_record import CorruptRunError
    from mnist_core.run_store import RunNotFoundError, RunStore

    try:
        model = RunStore(args.runs_dir).load(args.run_id).load_model()
    except (RunNotFoundError, CorruptRunError) as error:
        return _fail(str(error.args[0] if error.args else error))
    status = 0
    for path in args.images:
        try:
            image = read_image(path)
            prediction = predict_digit(model, image.pixels)
        except (OSError, ValueError) as error:
            status = _fail(f"{path}: {error}")
            continue
        for note in image.notes:
            print(f"note: {path}: {note}.", file=sys.stderr)
        print(json.dumps({
            "file": path,
            "digit": prediction.digit,
            "probability": round(float(prediction.probability), 4),
            "probabilities": [round(float(p), 4) for p in prediction.probabilities],
            **({"message": prediction.message} if prediction.is_empty else {}),
        }))
    return status
