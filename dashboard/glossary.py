"""The interface language: the English/Chinese switch, tr() for every visible string, and term explanations."""

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}
_LANGUAGE_KEY = "language"
# The language also sits in the page's address (?lang=zh), so a reload or a shared link keeps it.
_LANGUAGE_PARAMETER = "lang"
# In both languages, so a reader of either finds the switch.
SWITCH_LABEL = ":material/translate: Language · 语言"

TERMS = {
    "flatten": {
        "en": ("Flatten", "Turns the 28×28 image into one row of 784 numbers, because a Dense layer "
                          "takes a vector, not a grid. It has no weights."),
        "zh": ("Flatten（展平）", "把 28×28 的图像拉成一行 784 个数，因为全连接层只接受向量而不是网格。它没有权重。"),
    },
    "dense": {
        "en": ("Dense layer", "Every neuron takes a weighted sum of all inputs plus a bias. A Dense layer "
                              "from 784 inputs to 50 neurons has 784×50 + 50 = 39,250 weights."),
        "zh": ("Dense（全连接层）", "每个神经元对所有输入做加权求和再加偏置。从 784 个输入到 50 个神经元的全连接层有 "
                                 "784×50 + 50 = 39,250 个参数。"),
    },
    "relu": {
        "en": ("ReLU", "max(0, x): keeps positive values, turns negatives into 0. This bend lets stacked "
                       "layers learn curved boundaries; without it they collapse into one linear layer."),
        "zh": ("ReLU", "max(0, x)：正数不变，负数变 0。这个“折弯”让多层网络能学到弯曲的决策边界；"
                       "没有它，多层就等于一层线性变换。"),
    },
    "softmax": {
        "en": ("Softmax", "Turns the 10 output scores into probabilities between 0 and 1 that add up "
                          "to 1. The largest one is the predicted digit."),
        "zh": ("Softmax", "把 10 个输出分数变成 0 到 1 之间、总和为 1 的概率。概率最大的就是预测的数字。"),
    },
    "adam": {
        "en": ("Adam", "An optimizer: it moves each weight against its gradient, with a step size it "
                       "adapts per weight from the recent gradients (momentum and scaling)."),
        "zh": ("Adam", "一种优化器：沿梯度的反方向更新每个权重，并根据最近的梯度（动量与缩放）为每个权重自动调整步长。"),
    },
    "cross_entropy": {
        "en": ("Sparse categorical cross-entropy", "The loss: −log of the probability the network gave "
               "the true class. 0 when it is certain and right; large when it is confident and wrong. "
               "'Sparse' means labels are plain digits (7), not one-hot vectors."),
        "zh": ("稀疏分类交叉熵", "损失函数：−log(网络给真实类别的概率)。完全确定且正确时为 0，自信却错误时很大。"
                                "“稀疏”指标签是普通数字（如 7），而不是 one-hot 向量。"),
    },
    "epoch": {
        "en": ("Epoch", "One pass over all training images. After each epoch the network is checked on "
                        "the validation images."),
        "zh": ("Epoch（轮）", "把全部训练图像完整地过一遍。每轮结束后用验证集检查一次网络。"),
    },
    "batch_size": {
        "en": ("Batch size", "How many images are averaged into one weight update. 54,000 images with "
                             "batch size 100 make 540 updates per epoch."),
        "zh": ("Batch size（批大小）", "每次更新权重时平均多少张图像的梯度。54,000 张图、批大小 100，"
                                      "每轮就更新 540 次。"),
    },
    "validation": {
        "en": ("Validation", "Images held out of the training split and never trained on. Their "
                             "accuracy after each epoch shows whether the network generalises or "
                             "starts to memorise (overfit)."),
        "zh": ("验证集", "从训练数据中留出、从不用于训练的图像。每轮后的验证准确率显示网络是在泛化，"
                         "还是开始死记硬背（过拟合）。"),
    },
    "test": {
        "en": ("Test", "10,000 separate images used once, at the end, for the final score. Choosing "
                       "settings by the test score would make it optimistic, so use validation for that."),
        "zh": ("测试集", "另外的 10,000 张图像，只在最后用一次来给出最终成绩。若根据测试成绩挑选设置，"
                         "成绩会偏乐观，所以调参请看验证集。"),
    },
}


def language():
    """Returns the language code this session chose: the link's ?lang= at first, else "en"."""
    if _LANGUAGE_KEY not in st.session_state:
        linked = st.query_params.get(_LANGUAGE_PARAMETER)
        st.session_state[_LANGUAGE_KEY] = linked if linked in LANGUAGES else "en"
    return st.session_state[_LANGUAGE_KEY]


def language_switch():
    """Shows the English/Chinese switch for the whole interface (at the top of the sidebar).

    The label is in both languages, so a reader of either finds it. The choice is copied to a
    plain session key, because a widget's own value is forgotten when the student moves to
    another page.
    """
    codes = list(LANGUAGES)
    st.radio(
        SWITCH_LABEL, codes, index=codes.index(language()), format_func=LANGUAGES.get,
        key="language_switch", horizontal=True,
        on_change=lambda: st.session_state.update({_LANGUAGE_KEY: st.session_state.language_switch}),
    )
    chosen = language()
    if chosen == "en" and _LANGUAGE_PARAMETER in st.query_params:
        del st.query_params[_LANGUAGE_PARAMETER]
    elif chosen != "en" and st.query_params.get(_LANGUAGE_PARAMETER) != chosen:
        st.query_params[_LANGUAGE_PARAMETER] = chosen


def tr(english, chinese):
    """Returns the text in the chosen language; every visible string on a page goes through this.

    Keeping both languages side by side at the call site means a new English string cannot be
    added without its Chinese.
    """
    return chinese if language() == "zh" else english


def term(name):
    """Returns (title, explanation) of a glossary term in the chosen language."""
    return TERMS[name][language()]


def explain(*names):
    """Shows the named terms as one expandable box of short explanations.

    The box holds one Markdown element, a paragraph per term: the browser draws every element of a
    page, opened or not, one by one, and each costs it a few milliseconds on every page load.
    """
    titles = " · ".join(term(name)[0] for name in names)
    with st.expander(tr(f"What is {titles}?", f"什么是 {titles}？")):
        st.markdown("\n\n".join(f"**{title}** — {text}" for title, text in map(term, names)))
