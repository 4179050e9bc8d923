"""Tests of dataset loading (real offline tfds, tfds mock data, missing data) and the split."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from mnist_core import data


def test_real_mnist_from_the_offline_folder(data_dir):
    dataset = data.load_dataset("mnist", data_dir=data_dir)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert dataset.test_images.shape == (10000, 28, 28, 1)
    assert dataset.train_images.dtype == np.uint8 and dataset.train_labels.dtype == np.int64
    assert sorted(np.unique(dataset.test_labels)) == list(range(10))
    assert dataset.class_names[7] == "7"
    assert data.load_dataset("mnist", data_dir=data_dir) is dataset, "each split is loaded once"


def test_fashion_mnist_uses_the_same_path(data_dir):
    dataset = data.load_dataset("fashion_mnist", data_dir=data_dir)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert dataset.class_names[9] == "Ankle boot"


def test_tfds_mock_data_goes_through_tfds_load(data_dir):
    data.clear_cache()
    try:
        with tfds.testing.mock_data(num_examples=40, data_dir=data_dir):
            dataset = data.load_dataset("mnist", data_dir=data_dir)
        assert dataset.train_images.shape == (40, 28, 28, 1)
        assert dataset.test_labels.shape == (40,)
    finally:
        data.clear_cache()


def test_missing_dataset_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as caught:
        data.load_dataset("mnist", data_dir=str(tmp_path), download=False)
    message = str(caught.value)
    assert str(tmp_path) in message and "TFDS_DATA_DIR" in message and "Traceback" not in message


def test_offline_download_fails_fast_with_the_same_message(tmp_path):
    # These machines have no internet, so tfds cannot download; the loader must say so at once.
    with pytest.raises(data.DatasetUnavailableError, match="could not be downloaded"):
        data.load_dataset("mnist", data_dir=str(tmp_path / "empty"), download=True)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="dataset must be one of mnist, fashion_mnist, got 'emnist'"):
        data.load_dataset("emnist")


def test_data_dir_falls_back_to_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    assert data.resolve_data_dir() == str(tmp_path)
    assert data.is_prepared("mnist") is False


def test_split_is_fixed_disjoint_and_covers_the_training_split(data_dir):
    dataset = data.load_dataset("mnist", data_dir=data_dir)
    first = data.split_train_validation(dataset, 0.1, seed=0)
    again = data.split_train_validation(dataset, 0.1, seed=0)
    other = data.split_train_validation(dataset, 0.1, seed=1)
    assert first.val_images.shape == (6000, 28, 28, 1) and first.train_images.shape == (54000, 28, 28, 1)
    assert np.array_equal(first.val_images, again.val_images)
    assert not np.array_equal(first.val_labels, other.val_labels)
    train_rows = {row.tobytes() for row in first.train_images.reshape(54000, -1)}
    overlap = sum(row.tobytes() in train_rows for row in first.val_images.reshape(6000, -1))
    # MNIST itself holds a handful of pixel-identical duplicates; the split must not add any.
    assert overlap < 10
    assert first.train_labels.sum() + first.val_labels.sum() == dataset.train_labels.sum()
