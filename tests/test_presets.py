"""Tests of the presets: valid distinct configs, the seed baseline, lookup by name and by config."""

import dataclasses

import pytest

from mnist_core.config import TrainConfig
from mnist_core.model import count_parameters
from mnist_core.presets import PRESETS, Preset, matching_preset, preset_by_name


def test_presets_are_frozen_and_in_the_documented_order():
    assert isinstance(PRESETS, tuple)
    assert [preset.name for preset in PRESETS] == ["Seed notebook", "Tiny", "Wide", "Best MLP"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS[0].name = "Other"


def test_every_preset_holds_a_valid_config_and_both_lessons():
    for preset in PRESETS:
        assert isinstance(preset, Preset) and isinstance(preset.config, TrainConfig)
        # Rebuilding from the dict runs the validation in __post_init__ again.
        assert TrainConfig.from_dict(preset.config.to_dict()) == preset.config
        assert preset.teaches.endswith(".") and preset.teaches.count(". ") == 0, preset.name
        assert preset.teaches_zh.endswith("。") and preset.teaches_zh.count("。") == 1, preset.name
        assert any("\u4e00" <= character <= "\u9fff" for character in preset.teaches_zh)


def test_names_and_configs_are_unique():
    assert len({preset.name for preset in PRESETS}) == len(PRESETS)
    assert len({preset.config.key() for preset in PRESETS}) == len(PRESETS)


def test_shapes_of_the_named_presets():
    assert preset_by_name("Seed notebook").config == TrainConfig()
    tiny, wide = preset_by_name("Tiny").config, preset_by_name("Wide").config
    assert (tiny.hidden_layers, tiny.hidden_size) == (1, 16)
    assert (wide.hidden_layers, wide.hidden_size) == (2, 256)
    assert count_parameters(tiny) == 784 * 16 + 16 + 16 * 10 + 10 == 12_730
    assert count_parameters(wide) > 6 * count_parameters(TrainConfig())
    best = preset_by_name("Best MLP").config
    assert best.dropout > 0 and best.dataset == "mnist" and best.validation_fraction == 0.1


def test_preset_by_name_rejects_unknown_names_listing_the_known_ones():
    with pytest.raises(ValueError) as caught:
        preset_by_name("Huge")
    assert str(caught.value) == "Unknown preset 'Huge'; choose one of Seed notebook, Tiny, Wide, Best MLP."


def test_matching_preset_roundtrip():
    for preset in PRESETS:
        assert matching_preset(preset.config) is preset
        assert matching_preset(TrainConfig.from_dict(preset.config.to_dict())) is preset
    assert matching_preset(dataclasses.replace(TrainConfig(), seed=1)) is None
    assert matching_preset(dataclasses.replace(preset_by_name("Best MLP").config, epochs=1)) is None


def test_every_preset_can_be_shown_by_the_train_page_controls():
    # The page's sliders offer fixed values; for a value outside them the slider silently shows its
    # first option instead (hidden size 8), so the preset would train a different network.
    from dashboard import train_settings

    for preset in PRESETS:
        config = preset.config
        assert config.hidden_size in train_settings.HIDDEN_SIZES, preset.name
        assert config.batch_size in train_settings.BATCH_SIZES, preset.name
        assert config.learning_rate in train_settings.LEARNING_RATES, preset.name
        assert round(config.dropout / train_settings.DROPOUT_STEP, 9).is_integer(), preset.name
        low, high = train_settings.ACCEPTED["validation_fraction"]
        steps = (config.validation_fraction - low) / train_settings.VALIDATION_FRACTION_STEP
        assert round(steps, 9).is_integer() and low <= config.validation_fraction <= high, preset.name


def test_the_train_page_controls_span_the_ranges_config_validates():
    from dashboard import train_settings
    from mnist_core import config

    declared = {"hidden_layers": config.HIDDEN_LAYERS_RANGE, "epochs": config.EPOCHS_RANGE,
                "dropout": config.DROPOUT_RANGE, "validation_fraction": config.VALIDATION_FRACTION_RANGE,
                "seed": config.SEED_RANGE}
    assert {field: train_settings.ACCEPTED[field] for field in declared} == declared
    assert train_settings.ACCEPTED["validation_fraction"] == (0.01, 0.5)
    low, high = config.HIDDEN_SIZE_RANGE
    assert all(low <= size <= high for size in train_settings.HIDDEN_SIZES)
    low, high = config.LEARNING_RATE_RANGE
    assert all(low <= rate <= high for rate in train_settings.LEARNING_RATES)
