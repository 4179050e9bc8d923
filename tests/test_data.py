"""Tests of dataset loading (real offline tfds, tfds mock data, missing data) and the split."""

import os
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

from mnist_core import data, dataset_cache


def test_real_mnist_from_the_offline_folder(data_dir):
    dataset = data.load_dataset("mnist", data_dir=data_dir)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert dataset.test_images.shape == (10000, 28, 28, 1)
    assert dataset.train_images.dtype == np.uint8 and dataset.train_labels.dtype == np.int64
    assert sorted(np.unique(dataset.test_labels)) == list(range(10))
    assert dataset.class_names[7] == "7"
    assert data.load_dataset("mnist", data_dir=data_dir) is dataset, "each split is loaded once"


@pytest.mark.slow
def test_fashion_mnist_uses_the_same_path(data_dir):
    dataset = data.load_dataset("fashion_mnist", data_dir=data_dir)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert dataset.class_names[9] == "Ankle boot"


def test_tfds_mock_data_goes_through_tfds_load(data_dir, monkeypatch):
    # The real arrays are cached for this folder; the mock replaces only tfds.load.
    monkeypatch.setenv("MNIST_CACHE_DIR", "off")
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


def test_train_examples_take_a_fixed_random_subset_and_keep_validation_whole(data_dir):
    dataset = data.load_dataset("mnist", data_dir=data_dir)
    whole = data.split_train_validation(dataset, 0.1, seed=0)
    small = data.split_train_validation(dataset, 0.1, seed=0, train_examples=1000)
    again = data.split_train_validation(dataset, 0.1, seed=0, train_examples=1000)
    assert small.train_images.shape == (1000, 28, 28, 1) and small.train_labels.shape == (1000,)
    assert np.array_equal(small.val_labels, whole.val_labels)
    assert np.array_equal(small.train_labels, again.train_labels)
    # A random subset holds every digit, unlike the first rows of a sorted split might.
    assert len(np.unique(small.train_labels)) == 10
    whole_rows = {row.tobytes() for row in whole.train_images.reshape(54000, -1)}
    assert all(row.tobytes() in whole_rows for row in small.train_images.reshape(1000, -1))
    with pytest.raises(ValueError, match="train_examples must be from 1 to 54000, got 54001"):
        data.split_train_validation(dataset, 0.1, seed=0, train_examples=54001)


@pytest.fixture
def private_mnist(data_dir, tmp_path, monkeypatch):
    """A private copy of the prepared MNIST folder, which a test may change, and an empty cache."""
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "tfds"
    shutil.copytree(os.path.join(data_dir, "mnist"), copy / "mnist")
    yield str(copy)
    data.clear_cache()


@pytest.mark.slow
def test_decoded_arrays_are_kept_for_the_next_process(private_mnist, tmp_path, monkeypatch):
    folder = private_mnist
    first = data.load_dataset("mnist", data_dir=folder)
    cached = list((tmp_path / "cache").glob("mnist-*.npz"))
    assert len(cached) == 1 and cached[0].stat().st_size > 50_000_000, "55 MB of decoded arrays"
    data.clear_cache()
    # A new process has nothing in memory; it must not need tfds at all now.
    monkeypatch.setattr(tfds, "load", _tfds_must_not_be_called)
    second = data.load_dataset("mnist", data_dir=folder)
    assert second is not first
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        np.testing.assert_array_equal(getattr(second, key), getattr(first, key))
    assert second.train_images.dtype == np.uint8 and second.train_labels.dtype == np.int64


@pytest.mark.slow
def test_changed_data_files_are_read_again(private_mnist, tmp_path, monkeypatch):
    folder = private_mnist
    data.load_dataset("mnist", data_dir=folder)
    data.clear_cache()
    info = next(pathlib.Path(folder).glob("mnist/*/dataset_info.json"))
    os.utime(info, ns=(info.stat().st_atime_ns, info.stat().st_mtime_ns + 10**9))
    calls = []
    real_load = tfds.load
    monkeypatch.setattr(tfds, "load", lambda *args, **kwargs: calls.append(1) or real_load(*args, **kwargs))
    assert data.load_dataset("mnist", data_dir=folder).train_images.shape == (60000, 28, 28, 1)
    assert calls == [1], "a changed file makes the cached arrays stale"
    assert len(list((tmp_path / "cache").glob("mnist-*.npz"))) == 1, "the stale file is removed"


@pytest.mark.slow
def test_a_broken_cache_file_falls_back_to_tfds(private_mnist, tmp_path, monkeypatch, caplog):
    folder = private_mnist
    data.load_dataset("mnist", data_dir=folder)
    data.clear_cache()
    (cached,) = (tmp_path / "cache").glob("mnist-*.npz")
    cached.write_bytes(cached.read_bytes()[:1000])
    dataset = data.load_dataset("mnist", data_dir=folder)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert "Ignoring the unreadable cache file" in caplog.text
    data.clear_cache()
    monkeypatch.setattr(tfds, "load", _tfds_must_not_be_called)
    assert data.load_dataset("mnist", data_dir=folder).test_images.shape == (10000, 28, 28, 1), "rewritten"


@pytest.mark.slow
def test_an_unwritable_cache_only_costs_the_shortcut(data_dir, tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNIST_CACHE_DIR", str(blocker / "cache"))
    data.clear_cache()
    dataset = data.load_dataset("mnist", data_dir=data_dir)
    assert dataset.train_images.shape == (60000, 28, 28, 1)
    assert "Could not keep decoded mnist arrays" in caplog.text
    assert sorted(os.listdir(tmp_path)) == ["a-file"]


def test_the_cache_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_CACHE_DIR", "off")
    assert dataset_cache.cache_dir() is None
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path))
    assert dataset_cache.cache_dir() == str(tmp_path)
    monkeypatch.delenv("MNIST_CACHE_DIR")
    assert dataset_cache.cache_dir() == os.path.expanduser("~/.mnist_dashboard/cache")


def _tfds_must_not_be_called(*args, **kwargs):
    raise AssertionError("tfds.load was called although the decoded arrays are cached")
