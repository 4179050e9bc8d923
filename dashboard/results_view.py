"""The Results page's parts: legend labels, the runs table, the test figures and the mistakes gallery."""

import numpy as np
import streamlit as st

from dashboard import state
from dashboard.glossary import tr
from mnist_core.model import count_parameters
from mnist_core.runs import RunNotFoundError

GALLERY_SIZE = 24
GALLERY_COLUMNS = 8
# Each pixel of a 28×28 image becomes a block this wide, so the browser never blurs the digit.
GALLERY_ZOOM = 4
RUNS_KEY = "results_runs"
DETAIL_KEY = "results_detail_run"
CONFIRM_DELETE_KEY = "results_confirm_delete"
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
        images.append(enlarged(dataset.test_images[index, :, :, 0]))
        true_name, predicted_name = names[dataset.test_labels[index]], names[predicted[position]]
        captions.append(f"true {true_name} → predicted {predicted_name} ({percent(confidence[position])})")
    return images, captions


def enlarged(image):
    """Returns a 2-D image with each pixel a GALLERY_ZOOM-wide block, so the browser never blurs it."""
    return image.repeat(GALLERY_ZOOM, axis=0).repeat(GALLERY_ZOOM, axis=1)


def percent(confidence):
    # A confidence that would round to 100% reads ">99%", as the network was never quite sure.
    return ">99%" if confidence >= 0.995 else f"{confidence:.0%}"


def delete_run(run_id):
    """Deletes a stored run; a button callback, so the page that follows no longer shows it.

    It also unticks the confirmation and drops the run from the compared runs; when it was the
    only one compared, the active run (the newest, once the deleted one is gone) takes its place.
    The permission is checked again here, as the callback runs on what the browser sent.
    """
    runs, _ = state.list_runs()
    run = next((stored for stored in runs if stored.run_id == run_id), None)
    if run is not None and not state.may_delete(run):
        st.toast(tr("Only the student who trained this run, or the teacher, can delete it.",
                    "只有训练这个运行的学生或老师才能删除它。"), icon=":material/block:")
        return
    try:
        state.get_store().delete(run_id)
    except RunNotFoundError:
        pass  # Another session deleted it first, which is all that was asked for.
    except OSError as error:
        st.toast(tr(f"Run {run_id} could not be deleted: {state.visible(error)}",
                    f"无法删除运行 {run_id}：{state.visible(error)}"), icon=":material/error:")
        return
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


def show_gallery(images, captions):
    """Shows images with their captions, GALLERY_COLUMNS to a row."""
    for start in range(0, len(images), GALLERY_COLUMNS):
        end = start + GALLERY_COLUMNS
        for column, image, caption in zip(st.columns(GALLERY_COLUMNS), images[start:end], captions[start:end]):
            column.image(image, caption=caption, width="stretch")


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
