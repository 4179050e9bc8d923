"""The architecture inside a `.keras` file, read without Keras.

A `.keras` file is a zip: `config.json` holds the architecture (a few kilobytes) and
`model.weights.h5` the weights. Both the run checks and the Keras-free network read the former.
"""

import json

CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.h5"
# A real config.json of these networks is a few kilobytes; a forged one must not fill the memory.
MAX_CONFIG_BYTES = 1_000_000


def read_config(archive):
    """Returns the parsed config.json of the open `.keras` zip `archive`.

    Raises:
        ValueError: If the config is implausibly large.
        KeyError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, json.JSONDecodeError: If it
            is missing or cannot be read; the caller words these for its own reader.
    """
    info = archive.getinfo(CONFIG_MEMBER)
    if info.file_size > MAX_CONFIG_BYTES:
        raise ValueError(f"its model's {CONFIG_MEMBER} is implausibly large ({info.file_size} bytes)")
    return json.loads(archive.read(info))
