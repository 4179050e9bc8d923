"""The network: a Keras multilayer perceptron built and compiled from a `TrainConfig`."""

from mnist_core.config import IMAGE_SHAPE, NUM_CLASSES

# Keras class names of the optimizers, by config name. Keras itself is imported only when a
# network is built, so pages that only count parameters never wait for TensorFlow.
_OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


def build_mlp(config):
    """Returns the compiled network: Flatten → hidden Dense layers → Dense(10, softmax).

    Initial weights and dropout draw from Keras' global random state: `train_run` seeds it from
    `config.seed` first, and each training owns its process, so the same config gives the same run.
    """
    import keras
    from keras import layers

    model_layers = [keras.Input(shape=IMAGE_SHAPE, name="image"), layers.Flatten(name="flatten")]
    for index in range(config.hidden_layers):
        model_layers.append(
            layers.Dense(config.hidden_size, activation=config.activation, name=f"hidden_{index + 1}")
        )
        if config.dropout > 0:
            model_layers.append(layers.Dropout(config.dropout, name=f"dropout_{index + 1}"))
    model_layers.append(layers.Dense(NUM_CLASSES, activation="softmax", name="output"))
    model = keras.Sequential(model_layers, name="mlp")
    model.compile(
        optimizer=getattr(keras.optimizers, _OPTIMIZERS[config.optimizer])(learning_rate=config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def count_parameters(config):
    """Returns the number of trainable weights without building the network."""
    inputs = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]
    sizes = [inputs] + [config.hidden_size] * config.hidden_layers + [NUM_CLASSES]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))

