"""Training settings: the validated, frozen `TrainConfig` and the constants it draws on."""

import dataclasses
import hashlib
import json

# The one place the input and output sizes are declared; every other module takes them from here.
IMAGE_SIZE = 28  # Side of a square input image in pixels, as in MNIST.
IMAGE_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)  # One grey channel.
NUM_CLASSES = 10  # Classes the network tells apart: ten digits, or ten kinds of clothing.
TRAIN_SPLIT_SIZE = 60_000
# The per-epoch lists of a training history. "epoch_fraction" is 1.0 for a whole epoch and less
# for the part of an epoch a stop cut short. Kept here, free of TensorFlow, for the server's job records.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "epoch_fraction")

DATASETS = ("mnist", "fashion_mnist")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu")
OPTIMIZERS = ("adam", "sgd", "rmsprop")

# Inclusive ranges of the numeric fields. `TrainConfig` validates against them (so the CLI's flags
# are checked too) and the Train page's sliders span exactly them.
HIDDEN_SIZE_RANGE = (1, 2048)
HIDDEN_LAYERS_RANGE = (1, 6)
EPOCHS_RANGE = (1, 100)
LEARNING_RATE_RANGE = (1e-5, 1.0)
DROPOUT_RANGE = (0.0, 0.7)
VALIDATION_FRACTION_RANGE = (0.01, 0.5)
SEED_RANGE = (0, 2**31 - 1)
# Settings whose default None means "not used"; they stay out of `to_dict()` and `key()` when unset.
_OPTIONAL_FIELDS = ("train_examples",)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run produces; defaults equal the seed notebook."""

    hidden_size: int = 50  # Units in each hidden Dense layer.
    hidden_layers: int = 2  # Number of hidden Dense layers between Flatten and the softmax.
    activation: str = "relu"  # Non-linearity of the hidden layers.
    epochs: int = 5  # Full passes over the training split.
    batch_size: int = 100  # Examples per gradient step.
    optimizer: str = "adam"  # Rule that turns gradients into weight updates.
    learning_rate: float = 0.001  # Step size of the optimizer.
    dropout: float = 0.0  # Fraction of hidden activations zeroed during training.
    validation_fraction: float = 0.1  # Share of the training split held out for validation.
    dataset: str = "mnist"  # tfds dataset name.
    seed: int = 0  # Seeds the split, the initial weights, shuffling and dropout.
    # Train on only this many randomly chosen examples of the training part (None: all of them).
    # Quick trainings (tests, demos) use it; validation and test sets stay whole.
    train_examples: int | None = None

    def __post_init__(self):
        _check_int("hidden_size", self.hidden_size, *HIDDEN_SIZE_RANGE)
        _check_int("hidden_layers", self.hidden_layers, *HIDDEN_LAYERS_RANGE)
        _check_int("epochs", self.epochs, *EPOCHS_RANGE)
        _check_int("seed", self.seed, *SEED_RANGE)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("dataset", self.dataset, DATASETS)
        _check_float("learning_rate", self.learning_rate, *LEARNING_RATE_RANGE)
        _check_float("dropout", self.dropout, *DROPOUT_RANGE)
        _check_float("validation_fraction", self.validation_fraction, *VALIDATION_FRACTION_RANGE)
        if self.train_examples is not None:
            _check_int("train_examples", self.train_examples, 1, self.available_train_size)
        _check_int("batch_size", self.batch_size, 1, self.train_size)

    @property
    def validation_size(self):
        """Number of training-split examples held out for validation."""
        return round(TRAIN_SPLIT_SIZE * self.validation_fraction)

    @property
    def available_train_size(self):
        """Number of training-split examples left once the validation part is held out."""
        return TRAIN_SPLIT_SIZE - self.validation_size

    @property
    def train_size(self):
        """Number of examples the network is trained on."""
        if self.train_examples is None:
            return self.available_train_size
        return self.train_examples

    def to_dict(self):
        """Returns the settings as a plain JSON-ready dict.

        Optional settings left unset are omitted, so runs stored before they existed keep their
        records and their `key()`.
        """
        values = dataclasses.asdict(self)
        for name in _OPTIONAL_FIELDS:
            if values[name] is None:
                del values[name]
        return values

    @classmethod
    def from_dict(cls, values):
        """Builds a config from a dict, rejecting names that are not settings."""
        unknown = sorted(set(values) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"Unknown setting(s): {', '.join(unknown)}.")
        return cls(**values)

    def key(self):
        """Returns a short stable hash of the settings, used to find an identical stored run."""
        canonical = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def describe(self):
        """Returns a short human label such as '2×50 relu, 5 ep, batch 100'."""
        label = (
            f"{self.hidden_layers}×{self.hidden_size} {self.activation}, "
            f"{self.epochs} ep, batch {self.batch_size}"
        )
        if self.dataset != "mnist":
            label += f", {self.dataset}"
        if self.train_examples is not None:
            label += f", {self.train_examples:,} examples"
        return label


def _check_int(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}.")


def _check_float(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number from {low} to {high}, got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}.")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
