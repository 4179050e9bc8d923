"""The datasets the pages show images from, read once per server and shared by every session."""

import streamlit as st

from mnist_core.config import DATASETS
from mnist_core.data import load_dataset


# One entry per known dataset is enough; each holds both splits (about 55 MB for MNIST).
@st.cache_resource(max_entries=len(DATASETS), show_spinner="Loading the test images…")
def get_dataset(name):
    """Returns the `Dataset` called `name`, read from $TFDS_DATA_DIR on first use.

    The arrays are shared by every session and must not be modified. A failed load is not
    cached, so the next rerun tries again once the data has been prepared.

    Raises:
        DatasetUnavailableError: when the data is not on disk and cannot be downloaded.
    """
    return load_dataset(name)
