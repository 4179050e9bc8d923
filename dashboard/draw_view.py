"""Draw-page helpers: the canvas settings, its clearable key, the reading with its confidence, and the panels below."""

import io

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import charts, widgets
from dashboard.glossary import tr
from mnist_core.data import CLASS_NAMES
from mnist_core.image_files import read_image

CANVAS_SIZE = 280  # Side of the drawing canvas in canvas pixels: ten canvas pixels per MNIST pixel.
# A 20 px pen on a digit about 200 px tall becomes a 2 px stroke in MNIST's 20×20 box, the
# thin end of the strokes the network was trained on; the core evens out other widths.
STROKE_WIDTH = 20
INK_COLOUR = "#FFFFFF"  # White ink on black, like the MNIST images themselves.
BACKGROUND_COLOUR = "#000000"
CANVAS_KEY_PREFIX = "draw_canvas_"
CANVAS_BOX_KEY = "draw_canvas_box"
_GENERATION_KEY = "draw_canvas_generation"
STEP_SIDE = 112  # Screen side of each preprocessing step shown, in pixels.
# On a phone the canvas is scaled to the screen, centred, with a strip on each side where a finger
# scrolls the page instead of drawing (the canvas takes every touch that lands on it). Browsers
# apply CSS zoom to the pointer too, so strokes land where the finger is.
PHONE_CANVAS_CSS = f"""<style>
@media (max-width: 640px) {{
  .st-key-{CANVAS_BOX_KEY} {{ align-items: center; }}
}}
@media (max-width: 359px) {{ .st-key-{CANVAS_BOX_KEY} > div {{ zoom: 0.8; }} }}
@media (min-width: 360px) and (max-width: 400px) {{ .st-key-{CANVAS_BOX_KEY} > div {{ zoom: 0.95; }} }}
@media (min-width: 401px) and (max-width: 640px) {{ .st-key-{CANVAS_BOX_KEY} > div {{ zoom: 1.1; }} }}
</style>"""
# Run.load_model keeps the last 8 models in memory. Comparing 7 runs leaves room for an older run
# picked above, so a stroke never reads a model from disk again; more would evict one every stroke.
MAX_COMPARED_RUNS = 7


def step_title(name):
    """Returns the caption of one preprocessing step, by its name in `Preprocessed.steps`."""
    titles = {
        "ink": tr("Your drawing", "你的画"),
        "cropped": tr("Cropped to the ink", "裁剪到笔迹"),
        "fitted": tr("Fitted into 20×20", "缩放进 20×20"),
        "centred": tr("Centred in 28×28", "在 28×28 中居中"),
        "resized": tr("Squeezed to 28×28", "直接压缩成 28×28"),
    }
    return titles.get(name, name)


def every_run_columns():
    """Returns the column names and settings of the "one drawing, every run" table, in the chosen language."""
    names = {
        "network": tr("Network", "网络"), "reads": tr("Reads", "识别为"), "confidence": tr("Confidence", "置信度"),
        "accuracy": tr("Test accuracy", "测试准确率"), "note": tr("Note", "备注"),
    }
    settings = {
        names["network"]: st.column_config.TextColumn(help=tr("The run's settings, as on the Results page.",
                                                              "该运行的设置，与“结果”页相同。")),
        names["reads"]: st.column_config.TextColumn(help=tr("The digit (or garment) this network finds most probable.",
                                                            "该网络认为概率最大的数字（或服饰）。")),
        names["confidence"]: st.column_config.ProgressColumn(
            format="%.1f%%", min_value=0, max_value=100,
            help=tr("Its softmax probability of that digit.", "它给这个数字的 softmax 概率。")),
        # Accuracies are in percent, as on the Results page, so trailing zeros are kept.
        names["accuracy"]: st.column_config.NumberColumn(
            format="%.2f%%", help=tr("On the 10,000 test images.", "在 10,000 张测试图像上。")),
        names["note"]: st.column_config.TextColumn(),
    }
    return names, settings


def percent_label(probability):
    """Returns a probability as a percentage that never rounds a doubt away: "> 99.9%" rather than "100.0%"."""
    if probability >= 0.9995:
        return "> 99.9%"
    if probability < 0.0005:
        return "< 0.1%"
    return f"{probability:.1%}"


def canvas_key():
    """Returns the canvas' widget key; a new key makes Streamlit mount a fresh, empty canvas."""
    return f"{CANVAS_KEY_PREFIX}{st.session_state.get(_GENERATION_KEY, 0)}"


def clear_canvas():
    """Empties the canvas on the next rerun; used as the Clear button's on_click callback."""
    st.session_state[_GENERATION_KEY] = st.session_state.get(_GENERATION_KEY, 0) + 1


def drawing_pixels(canvas):
    """Returns (pixels, "") of the canvas' drawing, (None, "") before the first stroke, or (None, reason).

    The canvas' own `image_data` would decode whatever PNG the browser sent, of any size, and raise
    on anything else; here the image goes through the same format and size checks as a file, and
    every malformed message from the browser becomes one sentence for the student.
    """
    if canvas is None:
        return None, tr("The canvas sent something that is not a drawing. Press Clear and draw again.",
                        "画布发来的不是一幅画。请按“清除”后重新画。")
    try:
        encoded = canvas.image_bytes
    except (ValueError, TypeError, AttributeError):
        # Only a message forged outside the canvas gets here: the canvas itself sends base64 PNG data.
        return None, tr("The drawing did not arrive as base64 PNG data. Press Clear and draw again.",
                        "这幅画没有以 base64 PNG 数据的形式送达。请按“清除”后重新画。")
    if encoded is None:
        return None, ""
    try:
        return read_image(io.BytesIO(encoded), name=tr("The drawing", "这幅画")).pixels, ""
    except ValueError as error:
        return None, str(error)


def step_images(preprocessed):
    """Returns (caption, image) pairs of the preprocessing steps, as STEP_SIDE-pixel squares."""
    return [
        (step_title(name), _square_thumbnail(image))
        for name, image in preprocessed.steps.items()
    ]


def _square_thumbnail(image):
    """Centres a 2-D image on a black square and resamples it to STEP_SIDE pixels a side.

    The square keeps tall crops such as a "1" from being stretched when shown at a fixed width,
    and nearest-neighbour sampling shows each network pixel as a crisp block.
    """
    rows, columns = image.shape
    side = max(rows, columns)
    top, left = (side - rows) // 2, (side - columns) // 2
    square = np.pad(np.asarray(image, np.float32), ((top, side - rows - top), (left, side - columns - left)))
    thumbnail = Image.fromarray(square).resize((STEP_SIDE, STEP_SIDE), Image.NEAREST)
    return np.clip(np.asarray(thumbnail), 0, 1)


def load_model(run):
    """Returns (network, "") for a run, or (None, reason) when its model file cannot be used.

    The reason is a lower-case clause without a full stop, to follow "cannot be used:" or "Unavailable:".
    """
    try:
        return run.load_model(), ""
    except FileNotFoundError:
        return None, tr("the run was deleted from the store", "该运行已从存储中删除")
    except ValueError:
        # CorruptRunError, a ValueError, stands for every way a model.keras can be unreadable.
        return None, tr("its model.keras file cannot be read; delete the run on Results",
                        "无法读取它的 model.keras 文件；请在“结果”页删除该运行")


def show_reading(prediction, class_names, likeness, digits=True):
    """Shows what the network reads, how sure it is, and whether the drawing looks like its training images.

    Args:
        prediction: the `Prediction` of the drawing.
        class_names: the ten class names, in label order.
        likeness: the drawing's `Likeness`, or None when it could not be measured.
        digits: whether the network was trained on digits (MNIST) rather than garments.
    """
    # A horizontal container keeps the answer on one line on a phone, right under the canvas.
    with st.container(horizontal=True, key="draw_answer"):
        st.metric(tr("The network reads", "网络识别为"), class_names[prediction.digit])
        st.metric(tr("Confidence", "置信度"), percent_label(prediction.probability),
                  help=tr("The softmax probability of that answer: how much more it looks like this class than "
                          "the others, not how sure anyone can be that it is a digit.",
                          "该答案的 softmax 概率：它比其他类别更像这一类多少，而不是它确实是一个数字的把握。"))
    if likeness is not None and likeness.is_unlike:
        st.warning(unlike_note(likeness, digits), icon=":material/help:")
    labels = [percent_label(value) for value in prediction.probabilities]
    st.plotly_chart(charts.probabilities_figure(prediction.probabilities, class_names, labels), width="stretch",
                    config={"displayModeBar": False})
    st.caption(tr(
        "Softmax shares out 100% among the ten classes, so some class always wins, even for a scribble. "
        "A high percentage means \"more like this class than the other nine\", not \"surely a digit\".",
        "Softmax 把 100% 分给十个类别，所以总有一个类别胜出，哪怕是乱涂。百分比高只表示“比其他九类更像这一类”，"
        "而不是“肯定是一个数字”。"))


def unlike_note(likeness, digits=True):
    """Returns the note shown when a drawing does not look like any training image, saying why."""
    if digits:
        heading = tr("**This does not look like a digit.**", "**这看起来不像一个数字。**")
    else:
        heading = tr("**This does not look like any training image.**", "**这看起来不像任何训练图像。**")
    if likeness.reason == "flat":
        why = tr(f"Its ink is only {likeness.ink_height} pixels tall in the 28×28 input, while the training "
                 f"images are at least {likeness.min_ink_height} pixels tall.",
                 f"在 28×28 输入中，它的笔迹只有 {likeness.ink_height} 像素高，而训练图像至少有 "
                 f"{likeness.min_ink_height} 像素高。")
    else:
        why = tr(f"Even the most similar training images differ from it by {likeness.distance:.1f}, more than "
                 f"99.5% of training images differ from their nearest ones (up to {likeness.distance_limit:.1f}).",
                 f"即使最相似的训练图像与它的差距也有 {likeness.distance:.1f}，超过了 99.5% 的训练图像与其最近邻的差距"
                 f"（最多 {likeness.distance_limit:.1f}）。")
    answer = tr("The network answers anyway: softmax always picks some class, so read its percentage as "
                "\"least unlike\", not \"sure\".",
                "网络仍然会给出答案：softmax 总会选出某个类别，所以这里的百分比只表示“最不那么不像”，而不是“有把握”。")
    return f"{heading} {why} {answer}"


def input_and_saliency(network, prediction, class_names):
    """Shows the 28×28 input next to its gradient × input map for the digit the network read."""
    answer = class_names[prediction.digit]
    pixel_map = network.saliency(prediction.image, prediction.digit)
    input_figure = charts.image_figure(prediction.image, tr("What the network sees (28×28)", "网络看到的图像（28×28）"))
    input_figure.update_traces(hovertemplate=tr("row %{y}, column %{x}: %{z:.2f}", "第 %{y} 行，第 %{x} 列：%{z:.2f}")
                               + "<extra></extra>")
    saliency_figure = charts.saliency_figure(pixel_map, tr(f"Pixels that pushed towards {answer}", f"推向 {answer} 的像素"))
    saliency_figure.update_traces(hovertemplate=tr("row %{y}, column %{x}: %{z:+.3g}", "第 %{y} 行，第 %{x} 列：%{z:+.3g}")
                                  + "<extra></extra>")
    input_column, saliency_column, caption_column = st.columns(3, vertical_alignment="center")
    input_column.plotly_chart(input_figure, width="content")
    saliency_column.plotly_chart(saliency_figure, width="content")
    caption_column.caption(tr(
        f"Gradient × input: red ink pushed the network towards {answer}, blue ink pushed it away, "
        "and white pixels, including every pixel without ink, made no difference.",
        f"梯度 × 输入：红色笔迹把网络推向 {answer}，蓝色笔迹把它推开，白色像素（包括所有没有笔迹的像素）没有影响。"))


def every_run_table(runs, image28, picked_run):
    """Shows how the newest stored runs each read the same 28×28 image, one row per run."""
    compared = runs[:MAX_COMPARED_RUNS]
    names, settings = every_run_columns()
    rows = [_reading_row(run, image28, run.run_id == picked_run.run_id, names) for run in compared]
    st.dataframe(rows, column_config=settings, hide_index=True, width="stretch")
    if len(runs) > len(compared):
        st.caption(tr(f"The {len(compared)} newest of {len(runs)} runs; delete old runs on Results to compare others.",
                      f"显示 {len(runs)} 个运行中最新的 {len(compared)} 个；在“结果”页删除旧运行即可比较其他运行。"))


def _reading_row(run, image28, picked, names):
    """Returns one table row: the run's settings, what it reads in the image, and its accuracy."""
    network, problem = load_model(run)
    probabilities = None if network is None else network.probabilities(image28[np.newaxis])[0]
    reads, confidence = "—", None
    if probabilities is not None:
        best = int(np.argmax(probabilities))
        reads, confidence = str(CLASS_NAMES[run.config.dataset][best]), 100 * float(probabilities[best])
    note = tr("Picked above", "即上方所选") if picked else ""
    return {
        names["network"]: widgets.run_name(run),
        names["reads"]: reads,
        names["confidence"]: confidence,
        names["accuracy"]: 100 * run.test_accuracy,
        names["note"]: tr(f"Unavailable: {problem}", f"不可用：{problem}") if problem else note,
    }


def is_blank(prediction):
    """Tells a canvas with no ink at all (just cleared) from one with a mark too small to read.

    The canvas' own trash icon sends an empty drawing, while the Clear button mounts a new canvas
    that sends none; both then show the same request to draw.
    """
    return prediction.is_empty and float(prediction.preprocessed.steps["ink"].max()) == 0.0


def draw_prompt():
    """Shows the request to draw that an empty canvas shows, however it was emptied."""
    st.info(tr("Draw a digit on the black canvas to see what the network reads.",
               "在黑色画布上写一个数字，看看网络把它识别成什么。"), icon=":material/draw:")
