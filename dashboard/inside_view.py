"""Looking inside a run on the Results page: confusion-matrix cells and first-layer weights."""

import numpy as np
import streamlit as st

from dashboard import charts, class_charts, gallery, state
from dashboard.glossary import tr
from mnist_core.data import DatasetUnavailableError
from mnist_core.evaluate import cell_indices
from mnist_core.run_record import CorruptRunError

CELL_IMAGES_SHOWN = 32  # Most images shown for one cell of the confusion matrix.
UNITS_SHOWN = 64  # Most first-layer units shown as weight images.
CONFUSION_KEY = "results_confusion"
CELL_HINT = "Click a cell of the confusion matrix to see its images."
DETAIL_TAB_KEY = "results_detail_tab"
_DETAIL_TAB_INDEX_KEY = "results_detail_tab_index"


def cell_gallery(run, dataset, true_class, predicted_class, limit=CELL_IMAGES_SHOWN):
    """Returns (summary, images, captions) for the test images in one cell of the confusion matrix.

    The summary reads like "true 4 → predicted 9: 41 images."; each caption names the test image
    and, for a mistake, the probability given to the wrong class, e.g. "#1234 · 87%".
    """
    indices, confidences = cell_indices(dataset.test_labels, run.misclassified, run.misclassified_probabilities,
                                        true_class, predicted_class)
    names = dataset.class_names
    unit = "image" if len(indices) == 1 else "images"
    summary = tr(f"true {names[true_class]} → predicted {names[predicted_class]}: {len(indices):,} {unit}.",
                 f"真实 {names[true_class]} → 预测 {names[predicted_class]}：{len(indices):,} 张图像。")
    if len(indices) > limit:
        if true_class != predicted_class:
            summary += tr(f" The {limit} the network was surest of are shown.", f" 显示网络最有把握的 {limit} 张。")
        else:
            summary += tr(f" The {limit} first in the test set are shown.", f" 显示测试集中的前 {limit} 张。")
    images = [gallery.enlarged(dataset.test_images[index, :, :, 0]) for index in indices[:limit]]
    # Correct images have no stored probability (NaN), so their captions name only the image.
    captions = [f"#{index}" if np.isnan(confidence) else f"#{index} · {gallery.percent(confidence)}"
                for index, confidence in zip(indices[:limit], confidences[:limit])]
    return summary, images, captions


def show_class_charts(run, class_names):
    """Shows accuracy per class and the clickable confusion matrix; returns the clicked cell or None."""
    per_class_column, confusion_column = st.columns(2)
    with per_class_column:
        st.markdown(tr("**Accuracy per class**: the weakest in red, the dotted line is all classes",
                       "**各类别准确率**：最弱的一类为红色，虚线为全部类别"))
        st.vega_lite_chart(class_charts.per_class_spec(run.per_class_accuracy, class_names, run.test_accuracy),
                           width="stretch")
    with confusion_column:
        st.markdown(tr("**Confusion matrix**: rows are the true class, columns the prediction",
                       "**混淆矩阵**：行是真实类别，列是预测类别"))
        event = st.vega_lite_chart(class_charts.confusion_spec(run.confusion, class_names), width="stretch",
                                   on_select="rerun", selection_mode=class_charts.CELL_SELECTION, key=CONFUSION_KEY)
    return class_charts.selected_cell(event, class_names)


def detail_tabs():
    """Returns the tabs (per class, mistakes, weights); only the open tab's content should be drawn.

    The images are the heaviest part of the page for the browser, so they wait behind a tab
    instead of holding back the charts above them.
    """
    labels = (tr("Per class and confusion matrix", "各类别与混淆矩阵"), tr("Surest mistakes", "最有把握的错误"),
              tr("First-layer weights", "第一层权重"))
    # The open tab is kept by position, so switching the language keeps the same tab open.
    chosen = st.session_state.get(DETAIL_TAB_KEY)
    if chosen is not None and chosen not in labels:
        st.session_state[DETAIL_TAB_KEY] = labels[st.session_state.get(_DETAIL_TAB_INDEX_KEY, 0)]
    tabs = st.tabs(labels, key=DETAIL_TAB_KEY, on_change="rerun")
    st.session_state[_DETAIL_TAB_INDEX_KEY] = next((index for index, tab in enumerate(tabs) if tab.open), 0)
    return tabs


def test_dataset(run):
    """Returns the run's test images, or None after saying they could not be loaded."""
    try:
        return state.get_dataset(run.config.dataset)
    except DatasetUnavailableError as error:
        st.error(tr(f"The image galleries need the test images, which could not be loaded. {error}",
                    f"图像展示需要测试图像，但无法读取。{error}"))
        return None


def show_cell_images(run, cell):
    """Shows the test images of the clicked confusion-matrix cell, or how to pick one."""
    st.subheader(tr("Look inside the confusion matrix", "看看混淆矩阵里面"))
    if cell is None:
        st.info(tr(CELL_HINT, "点击混淆矩阵中的一个格子，查看其中的图像。"), icon=":material/touch_app:")
        return
    dataset = test_dataset(run)
    if dataset is None:
        return
    summary, images, captions = cell_gallery(run, dataset, *cell)
    st.caption(summary + tr(" Double-click the matrix to clear it.", " 双击混淆矩阵即可取消。"))
    gallery.show_gallery(images, captions)


def show_first_layer_weights(run):
    """Shows each first-layer unit's 784 weights as a 28×28 tile of one mosaic, red positive and blue negative."""
    st.subheader(tr("First-layer weights", "第一层权重"))
    try:
        weights = run.load_model().first_layer_weights(UNITS_SHOWN)
    except FileNotFoundError:
        st.error(tr(f"Run {run.run_id} was deleted from the store, so its weights are gone. Reload the page.",
                    f"运行 {run.run_id} 已从存储中删除，它的权重也没有了。请刷新页面。"))
        return
    except CorruptRunError:
        st.error(tr(f"Run {run.run_id}'s model file cannot be read, so its weights cannot be shown. "
                    "Delete the run below, or ask the teacher to.",
                    f"运行 {run.run_id} 的模型文件无法读取，因此无法显示权重。请在下方删除该运行，或请老师删除。"))
        return
    units = run.config.hidden_size
    if units > len(weights):
        shown = tr(f"the first {len(weights)} of its {units} units", f"{units} 个单元中的前 {len(weights)} 个")
    else:
        shown = tr(f"all {units} units", f"全部 {units} 个单元")
    st.caption(tr(f"Each unit of the first hidden layer weighs every pixel of the image: red pixels excite it, "
                  f"blue pixels inhibit it. Shown: {shown}, numbered left to right and top to bottom, each image "
                  "scaled to its own strongest weight. Hover a unit to see its number.",
                  f"第一隐藏层的每个单元都对图像的每个像素加权：红色像素激活它，蓝色像素抑制它。"
                  f"显示：{shown}，从左到右、从上到下编号，每张图按它自己最强的权重缩放。鼠标悬停可看单元编号。"))
    st.plotly_chart(charts.weights_figure(weights), width="stretch", config={"displayModeBar": False})
