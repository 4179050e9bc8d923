"""The Results page's parts: legend labels, the runs table, the test figures, galleries and weights."""

import numpy as np
import streamlit as st

from dashboard import charts, state
from mnist_core.evaluate import cell_indices
from mnist_core.insight import first_layer_weights
from mnist_core.model import count_parameters
from mnist_core.runs import RunNotFoundError

GALLERY_SIZE = 24
GALLERY_COLUMNS = 8
# Each pixel of a 28×28 image becomes a block this wide, so the browser never blurs the digit.
GALLERY_ZOOM = 4
CELL_IMAGES_SHOWN = 32  # Most images shown for one cell of the confusion matrix.
RUNS_KEY = "results_runs"
DETAIL_KEY = "results_detail_run"
CONFIRM_DELETE_KEY = "results_confirm_delete"
CONFUSION_KEY = "results_confusion"
CELL_HINT = "Click a cell of the confusion matrix to see its images."
# Settings that config.describe() leaves out; a legend names one only when the runs differ in it.
_EXTRA_SETTINGS = {
    "optimizer": "{}",
    "learning_rate": "lr {:g}",
    "dropout": "dropout {:g}",
    "validation_fraction": "validation {:.0%}",
    "seed": "seed {}",
}
TABLE_COLUMNS = {
    "Learning rate": st.column_config.NumberColumn(format="%g"),
    "Parameters": st.column_config.NumberColumn(format="localized"),
    "Train time (s)": st.column_config.NumberColumn(format="%.1f"),
    # Accuracies are stored in percent, as the "percent" preset drops trailing zeros (95.8% above 96.83%).
    "Validation accuracy": st.column_config.NumberColumn(format="%.2f%%", help="After the last epoch."),
    "Test accuracy": st.column_config.NumberColumn(format="%.2f%%", help="On the 10,000 test images."),
    "Stopped": st.column_config.CheckboxColumn(help="Stopped before its last epoch."),
}


def run_title(run):
    """Returns the label a picker shows for a run, with the end of its id to tell twins apart."""
    return f"{run.label} · {run.run_id[-9:]}"


def curve_histories(runs):
    """Returns {legend label: history} for the runs, each label naming the run's settings.

    Labels name the settings describe() gives plus any other setting the runs differ in, and
    runs whose labels would still clash get the end of their id, as curves_figure keys by label.
    """
    labels = [run.config.describe() + (", stopped" if run.stopped else "") for run in runs]
    for field, template in _EXTRA_SETTINGS.items():
        if len({getattr(run.config, field) for run in runs}) > 1:
            labels = [f"{label}, {template.format(getattr(run.config, field))}" for label, run in zip(labels, runs)]
    clashing = {label for label in labels if labels.count(label) > 1}
    labels = [f"{label} ({run.run_id[-9:]})" if label in clashing else label for label, run in zip(labels, runs)]
    return {label: run.history for label, run in zip(labels, runs)}


def detail_run(selected):
    """Returns the run whose test results are shown: the only one selected, or the one picked.

    Picking a run also makes it the active run, in a callback, so the sidebar shows it at once.
    """
    if len(selected) == 1:
        return selected[0]
    ids = [run.run_id for run in selected]
    active = state.active_run()
    index = ids.index(active.run_id) if active is not None and active.run_id in ids else 0
    titles = {run.run_id: run_title(run) for run in selected}
    chosen = st.selectbox("Run to inspect", ids, index=index, format_func=titles.get, key=DETAIL_KEY,
                          on_change=lambda: state.set_active_run(st.session_state[DETAIL_KEY]))
    return selected[ids.index(chosen)]


def stopped_note(run):
    """Returns the warning a stopped run carries, e.g. "Stopped early after 2 epochs (of 5 planned)…"."""
    trained = run.epochs_trained
    unit = "epoch" if trained == 1 else "epochs"
    return (
        f"Stopped early after {trained} {unit} (of {run.config.epochs} planned): the curves' last point "
        "is the part of an epoch trained before the stop, and the test figures belong to a partly "
        "trained network."
    )


def runs_table(runs):
    """Returns one row per run for st.dataframe: settings, size, training time and accuracies."""
    return [_table_row(run) for run in runs]


def _table_row(run):
    # Results come first, so they stay in view when the settings columns scroll off to the right.
    config = run.config
    return {
        "Run": run.run_id,
        "Test accuracy": 100 * run.test_accuracy,
        "Validation accuracy": 100 * run.history["val_accuracy"][-1],
        "Stopped": run.stopped,
        "Parameters": count_parameters(config),
        "Train time (s)": run.timings["train_seconds"],
        "Layers": config.hidden_layers,
        "Hidden size": config.hidden_size,
        "Activation": config.activation,
        "Epochs": config.epochs,
        "Batch size": config.batch_size,
        "Optimizer": config.optimizer,
        "Learning rate": config.learning_rate,
        "Dropout": config.dropout,
        "Dataset": config.dataset,
    }


def misclassified_gallery(run, dataset, limit=GALLERY_SIZE):
    """Returns (images, captions) of the test images the run got wrong with the most confidence.

    Args:
        run: a stored `Run`; its misclassified indices point into `dataset`'s test split.
        dataset: the `Dataset` the run was tested on.
        limit: how many images to return at most.

    Returns:
        A list of enlarged uint8 images and a list of captions like "true 4 → predicted 9 (87%)";
        a confidence that would round to 100% reads ">99%", as the network was never quite sure.
    """
    probabilities = run.misclassified_probabilities
    predicted, confidence = probabilities.argmax(axis=1), probabilities.max(axis=1)
    names = dataset.class_names
    images, captions = [], []
    # The surest mistakes come first: they are the most instructive, and often badly written digits.
    for position in np.argsort(-confidence, kind="stable")[:limit]:
        index = run.misclassified[position]
        images.append(_enlarged(dataset.test_images[index, :, :, 0]))
        true_name, predicted_name = names[dataset.test_labels[index]], names[predicted[position]]
        captions.append(f"true {true_name} → predicted {predicted_name} ({_percent(confidence[position])})")
    return images, captions


def cell_gallery(run, dataset, true_class, predicted_class, limit=CELL_IMAGES_SHOWN):
    """Returns (summary, images, captions) for the test images in one cell of the confusion matrix.

    The summary reads like "true 4 → predicted 9: 41 images."; each caption names the test image
    and, for a mistake, the probability given to the wrong class, e.g. "#1234 · 87%".
    """
    indices, confidences = cell_indices(dataset.test_labels, run.misclassified, run.misclassified_probabilities,
                                        true_class, predicted_class)
    names = dataset.class_names
    unit = "image" if len(indices) == 1 else "images"
    summary = f"true {names[true_class]} → predicted {names[predicted_class]}: {len(indices):,} {unit}."
    if len(indices) > limit:
        shown = "the network was surest of" if true_class != predicted_class else "first in the test set"
        summary += f" The {limit} {shown} are shown."
    images = [_enlarged(dataset.test_images[index, :, :, 0]) for index in indices[:limit]]
    # Correct images have no stored probability (NaN), so their captions name only the image.
    captions = [f"#{index}" if np.isnan(confidence) else f"#{index} · {_percent(confidence)}"
                for index, confidence in zip(indices[:limit], confidences[:limit])]
    return summary, images, captions


def selected_cell(event, class_names):
    """Returns (true_class, predicted_class) of the cell clicked in the confusion chart, or None.

    Args:
        event: what st.plotly_chart returns with on_select; its first selected point is used.
        class_names: the names on the chart's axes, in label order.
    """
    points = event["selection"]["points"]
    names = [str(name) for name in class_names]
    # Only the cell markers carry class names in both x and y; any other point is ignored.
    for point in points:
        if point.get("y") in names and point.get("x") in names:
            return names.index(point["y"]), names.index(point["x"])
    return None


def _enlarged(image):
    """Returns a 2-D image with each pixel a GALLERY_ZOOM-wide block, so the browser never blurs it."""
    return image.repeat(GALLERY_ZOOM, axis=0).repeat(GALLERY_ZOOM, axis=1)


def _percent(confidence):
    # A confidence that would round to 100% reads ">99%", as the network was never quite sure.
    return ">99%" if confidence >= 0.995 else f"{confidence:.0%}"


def delete_run(run_id):
    """Deletes a stored run; a button callback, so the page that follows no longer shows it.

    It also unticks the confirmation and drops the run from the compared runs; when it was the
    only one compared, the active run (the newest, once the deleted one is gone) takes its place.
    """
    try:
        state.get_store().delete(run_id)
    except RunNotFoundError:
        pass  # Another session deleted it first, which is all that was asked for.
    st.session_state[CONFIRM_DELETE_KEY] = False
    remaining = [chosen for chosen in st.session_state.get(RUNS_KEY, []) if chosen != run_id]
    fallback = state.active_run()
    if not remaining and fallback is not None:
        remaining = [fallback.run_id]
    # Assigning the value, rather than removing the key, also updates the widget in the browser.
    st.session_state[RUNS_KEY] = remaining
    st.toast(f"Deleted run {run_id}.", icon=":material/delete:")


def show_test_summary(run):
    """Shows the run's heading, a warning if it was stopped, and its four headline figures."""
    st.subheader(f"Test results of {run.config.describe()}")
    if run.stopped:
        st.warning(stopped_note(run), icon=":material/stop_circle:")
    accuracy_column, loss_column, validation_column, time_column = st.columns(4)
    accuracy_column.metric("Test accuracy", f"{run.test_accuracy:.2%}",
                           help="Share of the 10,000 test images classified correctly.")
    loss_column.metric("Test loss", f"{run.test_loss:.4f}", help="Mean cross-entropy on the test images.")
    validation_column.metric("Validation accuracy", f"{run.history['val_accuracy'][-1]:.2%}",
                             help="On the held-out validation images, after the last epoch.")
    time_column.metric("Training time", f"{run.timings['train_seconds']:.1f} s")


def show_class_charts(run, class_names):
    """Shows accuracy per class and the clickable confusion matrix; returns the clicked cell or None."""
    per_class_column, confusion_column = st.columns(2)
    with per_class_column:
        st.markdown("**Accuracy per class**: the weakest in red, the dotted line is all classes")
        per_class = charts.per_class_figure(run.per_class_accuracy, class_names, run.test_accuracy)
        st.plotly_chart(per_class, width="stretch")
    with confusion_column:
        st.markdown("**Confusion matrix**: rows are the true class, columns the prediction")
        # The chart cannot zoom, so its mode bar would only cover the "predicted" axis title.
        event = st.plotly_chart(charts.selectable_confusion_figure(run.confusion, class_names), width="stretch",
                                on_select="rerun", selection_mode="points", key=CONFUSION_KEY,
                                config={"displayModeBar": False})
    return selected_cell(event, class_names)


def show_gallery(images, captions):
    """Shows images with their captions, GALLERY_COLUMNS to a row."""
    for start in range(0, len(images), GALLERY_COLUMNS):
        end = start + GALLERY_COLUMNS
        for column, image, caption in zip(st.columns(GALLERY_COLUMNS), images[start:end], captions[start:end]):
            column.image(image, caption=caption, width="stretch")


def show_cell_images(run, dataset, cell):
    """Shows the test images of the clicked confusion-matrix cell, or how to pick one."""
    st.subheader("Look inside the confusion matrix")
    if cell is None:
        st.info(CELL_HINT, icon=":material/touch_app:")
        return
    summary, images, captions = cell_gallery(run, dataset, *cell)
    st.caption(summary + " Click the cell again to clear it.")
    show_gallery(images, captions)


def show_mistakes(run, dataset):
    """Shows the mistakes the run was surest of, with how many it made in all."""
    st.subheader("Misclassified test images")
    images, captions = misclassified_gallery(run, dataset)
    if not images:
        st.success("The network classified every test image correctly.")
    else:
        st.caption(f"The {len(images)} mistakes the network was surest of, out of "
                   f"{len(run.misclassified):,} misclassified test images.")
    show_gallery(images, captions)


def show_first_layer_weights(run):
    """Shows each first-layer unit's 784 weights as a 28×28 image, red positive and blue negative."""
    st.subheader("First-layer weights")
    try:
        weights = first_layer_weights(run.load_model())
    except FileNotFoundError:
        st.error(f"Run {run.run_id} was deleted from the store, so its weights are gone. Reload the page.")
        return
    units = run.config.hidden_size
    shown = f"the first {len(weights)} of its {units} units" if units > len(weights) else f"all {units} units"
    st.caption(f"Each unit of the first hidden layer weighs every pixel of the image: red pixels excite it, "
               f"blue pixels inhibit it. Shown: {shown}, each image scaled to its own strongest weight.")
    # A grey frame keeps units with faint weights from fading into the white page.
    images = [np.pad(charts.diverging_image(unit_weights, zoom=GALLERY_ZOOM), ((1, 1), (1, 1), (0, 0)),
                     constant_values=200) for unit_weights in weights]
    show_gallery(images, [f"unit {number}" for number in range(1, len(images) + 1)])
