"""The Results page's parts: legend labels, the runs table, the test figures and the mistakes gallery."""

import numpy as np
import streamlit as st

from dashboard import glossary, state, widgets
from dashboard.gallery import enlarged, percent, show_gallery
from dashboard.run_figures import show_run_figures
from mnist_core.model import count_parameters

GALLERY_SIZE = 24
RUNS_KEY = "results_runs"
DETAIL_KEY = "results_detail_run"
# Every setting a legend may name, in reading order; a legend names one only when the runs differ in it.
_LEGEND_SETTINGS = {
    "hidden_layers": lambda config: f"{config.hidden_layers}×{config.hidden_size}",
    "hidden_size": None,  # Named together with hidden_layers.
    "activation": lambda config: config.activation,
    "epochs": lambda config: glossary.tr(f"{config.epochs} ep", f"{config.epochs} 轮"),
    "batch_size": lambda config: glossary.tr(f"batch {config.batch_size}", f"批大小 {config.batch_size}"),
    "optimizer": lambda config: config.optimizer,
    "learning_rate": lambda config: f"lr {config.learning_rate:g}",
    "dropout": lambda config: f"dropout {config.dropout:g}",
    "validation_fraction": lambda config: glossary.tr(f"validation {config.validation_fraction:.0%}",
                                                      f"验证集 {config.validation_fraction:.0%}"),
    "seed": lambda config: glossary.tr(f"seed {config.seed}", f"种子 {config.seed}"),
    "dataset": lambda config: config.dataset,
}


# Settings that config.describe() leaves out; a full label names one only when the runs differ in it.
_EXTRA_SETTINGS = {
    "optimizer": "{}",
    "learning_rate": "lr {:g}",
    "dropout": "dropout {:g}",
    "validation_fraction": "validation {:.0%}",
    "seed": "seed {}",
}


def curve_histories(runs, short=False):
    """Returns {label: history} for the runs, each label telling the run apart from the others.

    Full labels name the settings describe() gives plus any other setting the runs differ in.
    Short labels (`short=True`, for a legend) name only the settings that differ; one run is named
    in full, and a stopped run says how many epochs it trained. Runs whose labels would still
    clash get the end of their id, as a figure keys by label.
    """
    if not short:
        return _full_histories(runs)
    if len(runs) == 1:
        return {widgets.run_name(runs[0]): runs[0].history}
    differing = [field for field in _LEGEND_SETTINGS if len({getattr(run.config, field) for run in runs}) > 1]
    if "hidden_size" in differing and "hidden_layers" not in differing:
        differing.insert(0, "hidden_layers")
    labels = []
    for run in runs:
        parts = [_LEGEND_SETTINGS[field](run.config) for field in differing if _LEGEND_SETTINGS[field]]
        if run.stopped:
            parts.append(glossary.tr(f"stopped after {run.epochs_trained} ep", f"训练 {run.epochs_trained} 轮后停止"))
        labels.append(", ".join(parts) or widgets.run_name(run))
    clashing = {label for label in labels if labels.count(label) > 1}
    labels = [f"{label} (#{run.run_id[-4:]})" if label in clashing else label for label, run in zip(labels, runs)]
    return {label: run.history for label, run in zip(labels, runs)}


def _full_histories(runs):
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
    titles = {run.run_id: widgets.run_title(run) for run in selected}
    key = widgets.language_key(DETAIL_KEY)
    chosen = st.selectbox(glossary.tr("Run to inspect", "要查看的运行"), ids, index=index, format_func=titles.get,
                          key=key, on_change=lambda: state.set_active_run(st.session_state[key]))
    return selected[ids.index(chosen)]


def stopped_note(run):
    """Returns the warning a stopped run carries, e.g. "Stopped early after 2 epochs (of 5 planned)…"."""
    trained = run.epochs_trained
    unit = "epoch" if trained == 1 else "epochs"
    return glossary.tr(
        f"Stopped early after {trained} {unit} (of {run.config.epochs} planned): the curves' last point "
        "is the part of an epoch trained before the stop, and the test figures belong to a partly "
        "trained network.",
        f"在 {trained} 轮后提前停止（原计划 {run.config.epochs} 轮）：曲线的最后一点是停止前训练的那部分轮次，"
        "测试数据属于一个只训练了一部分的网络。",
    )


def table_columns():
    """Returns the column settings of the runs table, named in the chosen language."""
    tr = glossary.tr
    return {
        tr("Network", "网络"): st.column_config.TextColumn(width=130, pinned=True),
        tr("Epochs", "轮数"): st.column_config.TextColumn(width=110, help=tr(
            "Epochs trained; a stopped run shows how many of the planned ones.", "已训练的轮数；已停止的运行显示计划中的几轮。")),
        tr("Batch size", "批大小"): st.column_config.NumberColumn(width=90),
        # Accuracies are stored in percent, as the "percent" preset drops trailing zeros (95.8% above 96.83%).
        tr("Test accuracy", "测试准确率"): st.column_config.NumberColumn(
            format="%.2f%%", width=120, help=tr("On the 10,000 test images.", "在 10,000 张测试图像上。")),
        tr("Validation accuracy", "验证准确率"): st.column_config.NumberColumn(
            format="%.2f%%", width=140, help=tr("After the last epoch.", "最后一轮结束后。")),
        tr("Train time (s)", "训练时间（秒）"): st.column_config.NumberColumn(format="%.1f", width=120),
        tr("Parameters", "参数量"): st.column_config.NumberColumn(format="localized", width=110),
        tr("Learning rate", "学习率"): st.column_config.NumberColumn(format="%g"),
        tr("Trained at (UTC)", "训练时间（UTC）"): st.column_config.TextColumn(width=150),
        tr("Run id", "运行编号"): st.column_config.TextColumn(width="medium"),
    }


def runs_table(runs):
    """Returns one row per run for st.dataframe: settings, results, then when and which run."""
    return [_table_row(run) for run in runs]


def _table_row(run):
    # The columns a student reads first come first; the raw id, for downloads, comes last.
    tr, config = glossary.tr, run.config
    epochs = str(config.epochs) if not run.stopped else tr(f"{run.epochs_trained} of {config.epochs} (stopped)",
                                                              f"{run.epochs_trained}/{config.epochs}（已停止）")
    return {
        tr("Network", "网络"): f"{config.hidden_layers}×{config.hidden_size} {config.activation}",
        tr("Epochs", "轮数"): epochs,
        tr("Batch size", "批大小"): config.batch_size,
        tr("Test accuracy", "测试准确率"): 100 * run.test_accuracy,
        tr("Validation accuracy", "验证准确率"): 100 * run.history["val_accuracy"][-1],
        tr("Train time (s)", "训练时间（秒）"): run.timings["train_seconds"],
        tr("Parameters", "参数量"): count_parameters(config),
        tr("Optimizer", "优化器"): config.optimizer,
        tr("Learning rate", "学习率"): config.learning_rate,
        tr("Dropout", "Dropout"): config.dropout,
        tr("Dataset", "数据集"): config.dataset,
        tr("Trained at (UTC)", "训练时间（UTC）"): run.created_at[:16].replace("T", " "),
        tr("Run id", "运行编号"): run.run_id,
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
        shown = percent(confidence[position])
        captions.append(glossary.tr(f"true {true_name} → predicted {predicted_name} ({shown})",
                                    f"真实 {true_name} → 预测 {predicted_name}（{shown}）"))
    return images, captions


def show_test_summary(run):
    """Shows the run's heading, a warning if it was stopped, and its four headline figures."""
    tr = glossary.tr
    st.subheader(tr("Test results of ", "测试结果：") + widgets.run_name(run))
    if run.stopped:
        st.warning(stopped_note(run), icon=":material/stop_circle:")
    show_run_figures(run, with_time=True)


def show_mistakes(run, dataset):
    """Shows the mistakes the run was surest of, with how many it made in all."""
    tr = glossary.tr
    st.subheader(tr("Misclassified test images", "分错的测试图像"))
    images, captions = misclassified_gallery(run, dataset)
    if not images:
        st.success(tr("The network classified every test image correctly.", "网络把每张测试图像都分对了。"))
    else:
        st.caption(tr(f"The {len(images)} mistakes the network was surest of, out of "
                      f"{len(run.misclassified):,} misclassified test images.",
                      f"在 {len(run.misclassified):,} 张分错的测试图像中，网络最有把握的 {len(images)} 个错误。"))
    show_gallery(images, captions)
