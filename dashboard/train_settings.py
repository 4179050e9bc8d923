"""The Train page's settings: the controls, where their first values come from, and the page's link.

The settings live in the URL (`?hidden_size=128&epochs=3`), as in TensorFlow Playground, so a
copied link or a reload opens the same settings. Only settings that differ from the seed notebook
are written, which keeps links short.
"""

import streamlit as st

from dashboard import glossary
from mnist_core.config import (
    ACTIVATIONS,
    DATASETS,
    DROPOUT_RANGE,
    EPOCHS_RANGE,
    HIDDEN_LAYERS_RANGE,
    OPTIMIZERS,
    SEED_RANGE,
    VALIDATION_FRACTION_RANGE,
    TrainConfig,
)

HIDDEN_SIZES = (8, 16, 32, 50, 64, 100, 128, 256, 512, 768, 1024, 2048)
BATCH_SIZES = (1, 8, 16, 32, 50, 64, 100, 128, 256, 512, 1000, 5000)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
# Choice labels stay the same in both languages: Streamlit keeps a choice by its label, so a label
# that changed with the language switch would lose the student's choice.
DATASET_LABELS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
# The settings the page offers: every setting but the optional ones (such as train_examples) it leaves unset.
FIELDS = tuple(TrainConfig().to_dict())
# Slider steps of the fractional settings; each range's low end and default lie on its step grid.
DROPOUT_STEP = 0.05
VALIDATION_FRACTION_STEP = 0.01
# What each control accepts: a list of choices, or an inclusive (low, high) range, which is the one
# config.py validates, so a slider never offers a value the config refuses or hides one it takes.
ACCEPTED = {
    "hidden_size": HIDDEN_SIZES, "batch_size": BATCH_SIZES, "learning_rate": LEARNING_RATES,
    "optimizer": OPTIMIZERS, "activation": ACTIVATIONS, "dataset": DATASETS,
    "hidden_layers": HIDDEN_LAYERS_RANGE, "epochs": EPOCHS_RANGE, "dropout": DROPOUT_RANGE,
    "validation_fraction": VALIDATION_FRACTION_RANGE, "seed": SEED_RANGE,
}
_RANGED = ("hidden_layers", "epochs", "dropout", "validation_fraction", "seed")
_SAVED_SETTINGS_KEY = "train_settings_saved"
_LINK_NOTE_KEY = "train_link_note"
KEEP_PARTIAL_KEY = "keep_partial"


def settings_from_link(query):
    """Returns (values, rejected): the valid settings in a URL query, and "name=value" of the others.

    Args:
        query: a mapping of query parameter names to strings, such as `st.query_params`.
    """
    defaults = TrainConfig().to_dict()
    values, rejected = {}, []
    for field in FIELDS:
        if field not in query:
            continue
        text = query[field]
        value = _parse(field, text, type(defaults[field]))
        if value is None:
            rejected.append(f"{field}={text}")
        else:
            values[field] = value
    try:
        TrainConfig(**(defaults | values))
    except ValueError:
        return {}, [f"{field}={query[field]}" for field in values] + rejected
    return values, rejected


def _parse(field, text, kind):
    """Returns `text` read as a value the control of `field` accepts, or None."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        return None
    accepted = ACCEPTED[field]
    if field in _RANGED:
        low, high = accepted
        return value if low <= value <= high else None
    return value if value in accepted else None


def link_query(config):
    """Returns {name: text} of the settings in `config` that differ from the seed's."""
    defaults = TrainConfig().to_dict()
    return {field: _text(value) for field, value in config.to_dict().items() if value != defaults[field]}


def _text(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_link(config):
    """Puts `config` in the page's URL, leaving query parameters of other features alone."""
    wanted = link_query(config)
    for field in FIELDS:
        if field in wanted and st.query_params.get(field) != wanted[field]:
            st.query_params[field] = wanted[field]
        elif field not in wanted and field in st.query_params:
            del st.query_params[field]


def restore_settings():
    """Fills the controls when they are first shown in this session, or again after another page.

    A link's settings win; then the settings this session used last (Streamlit forgets a widget's
    value when another page is shown); then the seed notebook's.
    """
    if all(field in st.session_state for field in FIELDS):
        return
    from_link, rejected = settings_from_link(st.query_params)
    if from_link or rejected:
        values = TrainConfig().to_dict() | from_link
    else:
        values = st.session_state.get(_SAVED_SETTINGS_KEY) or TrainConfig().to_dict()
    for field, value in values.items():
        st.session_state[field] = value
    st.session_state[_LINK_NOTE_KEY] = rejected


def link_note():
    """Says in one line which values of the link were not usable, if any."""
    rejected = st.session_state.get(_LINK_NOTE_KEY)
    if rejected:
        st.caption(glossary.tr(
            f":material/link_off: The link's {', '.join(rejected)} cannot be used; the seed's value is shown instead.",
            f":material/link_off: 链接中的 {', '.join(rejected)} 无法使用，已改用默认值。",
        ))


def controls():
    """Shows the settings; returns the `TrainConfig` they describe, or None (after saying why)."""
    restore_settings()
    tr = glossary.tr
    left, right = st.columns(2)
    values = {
        "hidden_size": left.select_slider(
            tr("Hidden size", "隐藏层大小"), HIDDEN_SIZES, key="hidden_size",
            help=tr("Neurons in each hidden Dense layer: more neurons can learn more patterns, but train slower.",
                    "每个隐藏全连接层中的神经元数：越多能学到越多模式，但训练更慢。")),
        "hidden_layers": right.slider(
            tr("Hidden layers", "隐藏层数"), *HIDDEN_LAYERS_RANGE, key="hidden_layers",
            help=tr("How many Dense layers sit between the flattened image and the output.",
                    "展平后的图像与输出层之间有几个全连接层。")),
        "epochs": left.slider(
            tr("Epochs", "轮数（Epochs）"), *EPOCHS_RANGE, key="epochs",
            help=tr("One epoch shows every training image to the network once.", "一轮把每张训练图像给网络看一遍。")),
        "batch_size": right.select_slider(
            tr("Batch size", "批大小"), BATCH_SIZES, key="batch_size",
            help=tr("Images averaged into one weight update; small batches give more, noisier updates.",
                    "一次权重更新平均多少张图像；批越小，更新越多、越嘈杂。")),
    }
    with st.expander(tr("Advanced", "高级设置")):
        values.update(_advanced_settings())
        st.checkbox(tr("Keep a run I stop before its first full epoch", "在第一轮结束前停止时也保留该运行"),
                    key=KEEP_PARTIAL_KEY,
                    help=tr("Without this, stopping before one whole epoch keeps nothing: such a network has "
                            "barely learned.", "不勾选时，在完整训练一轮之前停止不会保存任何东西：这样的网络几乎没学到东西。"))
    try:
        config = TrainConfig(**values)
    except ValueError as error:
        st.error(tr(f"These settings cannot be trained: {error}", f"这些设置无法训练：{error}"))
        return None
    st.session_state[_SAVED_SETTINGS_KEY] = config.to_dict()
    write_link(config)
    return config


def _advanced_settings():
    tr = glossary.tr
    left, right = st.columns(2)
    return {
        "learning_rate": left.select_slider(
            tr("Learning rate", "学习率"), LEARNING_RATES, key="learning_rate",
            help=tr("How big a step the optimizer takes; too big diverges, too small learns slowly.",
                    "优化器每步走多远；太大会发散，太小学得慢。")),
        "optimizer": right.selectbox(
            tr("Optimizer", "优化器"), OPTIMIZERS, key="optimizer",
            help=tr("The rule that turns gradients into weight changes; Adam adapts the step per weight.",
                    "把梯度变成权重变化的规则；Adam 为每个权重自适应步长。")),
        "activation": left.selectbox(
            tr("Activation", "激活函数"), ACTIVATIONS, key="activation",
            help=tr("The non-linearity after each hidden layer; without one, layers collapse into one.",
                    "每个隐藏层后的非线性；没有它，多层会退化成一层。")),
        "dropout": right.slider(
            tr("Dropout", "Dropout（随机失活）"), *DROPOUT_RANGE, step=DROPOUT_STEP, key="dropout",
            help=tr("Share of hidden neurons switched off at random while training, against overfitting.",
                    "训练时随机关闭的隐藏神经元比例，用来防止过拟合。")),
        "validation_fraction": left.slider(
            tr("Validation fraction", "验证集比例"), *VALIDATION_FRACTION_RANGE, step=VALIDATION_FRACTION_STEP,
            key="validation_fraction",
            help=tr("Share of training images held out to check the network on images it never learned from.",
                    "留出不参与训练、用来检查网络的训练图像比例。")),
        "seed": right.number_input(
            tr("Seed", "随机种子"), *SEED_RANGE, key="seed",
            help=tr("Fixes the random start, split and shuffling: the same seed gives the same run.",
                    "固定随机初始化、划分和打乱顺序：相同的种子得到相同的结果。")),
        "dataset": left.radio(
            tr("Dataset", "数据集"), DATASETS, format_func=DATASET_LABELS.get, key="dataset",
            horizontal=True,
            help=tr("Handwritten digits, or the harder Fashion-MNIST clothing pictures of the same size.",
                    "手写数字，或同样大小、更难的 Fashion-MNIST 服饰图片。")),
    }
