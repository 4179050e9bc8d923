"""The Vega-Lite specs of Train's curves, Results' per-class and confusion charts and Sweep's chart."""

import json

import numpy as np

from dashboard import class_charts, curve_charts

CLASS_NAMES = [str(digit) for digit in range(10)]


def layer_rows(spec, layer_index):
    """Returns the data rows one layer of a spec draws, applying its filter transforms."""
    rows = spec["data"]["values"]
    for transform in spec["layer"][layer_index].get("transform", []):
        test = transform["filter"]
        if test == "datum.kind == 'curve'":
            rows = [row for row in rows if row["kind"] == "curve"]
        elif test == "datum.kind == 'axis_end'":
            rows = [row for row in rows if row["kind"] == "axis_end"]
        elif test == "datum.marked":
            rows = [row for row in rows if row["marked"]]
        else:
            raise AssertionError(f"unknown filter {test}")
    return rows


def live_history(epochs_done, steps_per_epoch=10):
    history = {key: list(np.linspace(0.9, 0.5, epochs_done)) for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    positions = [step / steps_per_epoch for step in range(1, epochs_done * steps_per_epoch + 4)]
    steps = {"position": positions, "loss": list(np.linspace(2, 0.3, len(positions))),
             "accuracy": list(np.linspace(0.2, 0.97, len(positions)))}
    return history, steps


def test_live_curves_have_ten_training_points_an_epoch_and_validation_at_epoch_ends():
    history, steps = live_history(epochs_done=2)
    loss, accuracy = curve_charts.curves_specs(history, steps, epochs=20)
    assert (loss["title"], accuracy["title"]) == ("Loss (lower is better)", "Accuracy (higher is better)")
    lines = layer_rows(accuracy, 0)
    training = [row for row in lines if row["split"].startswith("training")]
    validation = [row for row in lines if row["split"].startswith("validation")]
    assert len([row for row in training if row["epoch"] <= 1]) == 10
    assert [row["value"] for row in training] == steps["accuracy"]
    assert [row["epoch"] for row in validation] == [1.0, 2.0]
    assert [row["value"] for row in validation] == history["val_accuracy"]
    # Dots only where a value was measured at an epoch's end: the validation points.
    assert [row["epoch"] for row in layer_rows(accuracy, 1)] == [1.0, 2.0]
    # Past 4 epochs of 20 the axis runs one epoch ahead of the training, at least to 5.
    assert layer_rows(accuracy, 2) == [{"kind": "axis_end", "epoch": 5}]
    assert accuracy["layer"][2]["mark"]["opacity"] == 0


def test_training_and_validation_differ_in_colour_and_have_a_legend():
    history, steps = live_history(epochs_done=1)
    for spec in curve_charts.curves_specs(history, steps, epochs=3):
        colour = spec["layer"][0]["encoding"]["color"]
        assert colour["field"] == "split"
        assert colour["scale"]["domain"] == ["training (average so far)", "validation (end of epoch)"]
        assert colour["scale"]["range"] == [curve_charts.TRAIN_COLOUR, curve_charts.VALIDATION_COLOUR]
        assert len(set(colour["scale"]["range"])) == 2
        assert colour["legend"]["orient"] == "bottom"
        assert spec["encoding"]["x"]["title"] == "epochs trained"
    accuracy = curve_charts.curves_specs(history, steps, epochs=3)[1]
    assert accuracy["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    # A 3-epoch run's axis spans its 3 epochs from the start.
    assert layer_rows(accuracy, 2)[0]["epoch"] == 3


def test_a_live_spec_changes_only_its_rows_as_points_arrive():
    # Streamlit redraws a chart in place when only its data changes, so the curves do not flicker.
    early, late = live_history(epochs_done=1), live_history(epochs_done=3)
    empty = curve_charts.curves_specs({}, {}, epochs=8)
    specs = [empty, curve_charts.curves_specs(*early, epochs=8), curve_charts.curves_specs(*late, epochs=8)]
    without_data = [[json.dumps({key: value for key, value in spec.items() if key != "data"}, sort_keys=True)
                     for spec in pair] for pair in specs]
    assert without_data[0] == without_data[1] == without_data[2]
    assert len(layer_rows(specs[2][0], 0)) > len(layer_rows(specs[1][0], 0)) > 0 == len(layer_rows(specs[0][0], 0))


def test_a_finished_run_without_steps_draws_one_dotted_point_per_epoch():
    history = {"loss": [0.5, 0.3], "accuracy": [0.9, 0.95], "val_loss": [0.4, 0.35], "val_accuracy": [0.92, 0.94],
               "epoch_fraction": [1.0, 0.4]}
    loss, _ = curve_charts.curves_specs(history)
    training = [row for row in layer_rows(loss, 1) if row["split"] == "training (epoch average)"]
    # A stop cut the second epoch short: its point sits at 1.4 epochs, and the axis ends at 2.
    assert [(row["epoch"], row["value"]) for row in training] == [(1.0, 0.5), (1.4, 0.3)]
    assert layer_rows(loss, 2)[0]["epoch"] == 2


def test_per_class_bars_start_at_zero_print_their_values_and_mark_the_weakest():
    accuracy = [0.99, 0.98, 0.95, 0.97, 0.96, 0.94, 0.98, 0.97, 0.93, 0.96]
    spec = class_charts.per_class_spec(accuracy, CLASS_NAMES, overall_accuracy=0.963)
    rows = spec["data"]["values"]
    assert [row["class"] for row in rows] == CLASS_NAMES
    assert [row["accuracy"] for row in rows] == accuracy
    assert [row["label"] for row in rows][:3] == ["99.0%", "98.0%", "95.0%"]
    assert [row["colour"] for row in rows].count(class_charts.WEAKEST_COLOUR) == 1
    assert rows[8]["colour"] == class_charts.WEAKEST_COLOUR and rows[0]["colour"] == class_charts.BAR_COLOUR
    bars, labels, overall = spec["layer"]
    assert bars["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert (bars["encoding"]["x"]["title"], bars["encoding"]["y"]["title"]) == ("true class", "test accuracy")
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "label"
    assert overall["encoding"]["y"]["datum"] == 0.963 and "x" not in overall["encoding"]


def test_confusion_matrix_prints_every_count_and_selects_a_cell_by_its_classes():
    confusion = np.arange(100).reshape(10, 10)
    spec = class_charts.confusion_spec(confusion, CLASS_NAMES)
    rows = spec["data"]["values"]
    assert len(rows) == 100
    assert next(row["images"] for row in rows if (row["true"], row["predicted"]) == ("4", "9")) == 49
    assert spec["encoding"]["x"]["title"] == "predicted" and spec["encoding"]["y"]["title"] == "true"
    assert spec["encoding"]["x"]["sort"] == CLASS_NAMES and spec["encoding"]["x"]["axis"]["orient"] == "top"
    cells, numbers = spec["layer"]
    (selection,) = cells["params"]
    assert selection["name"] == class_charts.CELL_SELECTION
    assert selection["select"]["type"] == "point" and selection["select"]["fields"] == ["true", "predicted"]
    assert cells["encoding"]["stroke"]["condition"]["value"] == class_charts.SELECTED_CELL_COLOUR
    assert numbers["encoding"]["text"]["field"] == "images"


def test_the_clicked_cell_is_read_from_the_selection_event():
    event = {"selection": {class_charts.CELL_SELECTION: [{"true": "4", "predicted": "9"}]}}
    assert class_charts.selected_cell(event, CLASS_NAMES) == (4, 9)
    assert class_charts.selected_cell({"selection": {class_charts.CELL_SELECTION: {}}}, CLASS_NAMES) is None
    # Fashion-MNIST's names, and a point Streamlit reports with its numbers as numbers.
    names = ["T-shirt/top", "Trouser"]
    assert class_charts.selected_cell({"selection": {"cell": [{"true": "Trouser", "predicted": "T-shirt/top"}]}},
                                      names) == (1, 0)
    assert class_charts.selected_cell({"selection": {"cell": [{"true": 3, "predicted": 5}]}}, CLASS_NAMES) == (3, 5)


def test_sweep_axis_keeps_every_swept_value_from_the_first_point():
    rows = [{"value": 0.001, "test_accuracy": 0.95, "train_seconds": 4.0}]
    accuracy, seconds = curve_charts.sweep_specs(rows, "Learning rate", [0.0001, 0.001, 0.01, 0.1])
    for spec in (accuracy, seconds):
        x_axis = spec["encoding"]["x"]
        assert x_axis["type"] == "ordinal" and x_axis["title"] == "Learning rate"
        assert x_axis["scale"]["domain"] == x_axis["sort"] == ["0.0001", "0.001", "0.01", "0.1"]
        assert spec["data"]["values"] == [{"value": "0.001", "test_accuracy": 0.95, "train_seconds": 4.0}]
    assert (accuracy["title"], seconds["title"]) == ("Test accuracy", "Training time (s)")
    assert accuracy["encoding"]["y"]["field"] == "test_accuracy" and seconds["encoding"]["y"]["field"] == "train_seconds"
    assert seconds["encoding"]["y"]["scale"]["zero"] is True
    # Each point prints its figure.
    assert accuracy["layer"][1]["encoding"]["text"] == {"field": "test_accuracy", "type": "quantitative",
                                                         "format": ".2%"}
