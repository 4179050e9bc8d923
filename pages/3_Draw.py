"""Draw: sketch a digit with the mouse or a finger and see what a trained network reads in it."""

import streamlit as st

# The canvas component can only be declared inside a running app, so only this page imports it.
from streamlit_drawable_canvas import st_canvas

from dashboard import draw_view, glossary, navigation, state, widgets
from dashboard.glossary import tr
from mnist_core.data import CLASS_NAMES, DatasetUnavailableError
from mnist_core.likeness import measure_likeness
from mnist_core.predict import predict_digit

navigation.require_app_frame()
st.title(tr("✏️ Draw a digit", "✏️ 写一个数字"))
st.caption(tr(
    "Draw one digit, large and centred, with the mouse or a finger. The network reads it again "
    "after every stroke, from the same kind of 28×28 image it was trained on.",
    "用鼠标或手指写一个数字，写大一点、写在中间。每画一笔，网络都会重新识别，用的是和训练时同样的 28×28 图像。"))

runs, _ = state.list_runs()
if not runs:
    widgets.no_run_message()
run = widgets.run_picker(tr("Network", "网络"), runs, key="draw_run")
st.html(draw_view.PHONE_CANVAS_CSS)

# On a phone the columns stack, so the answer comes right under the canvas, still in view.
canvas_column, result_column = st.columns([1, 1], gap="medium")
with canvas_column:
    # Clear sits above the canvas' left end, clear of the canvas' own toolbar over its right end,
    # so that on a phone nothing but the canvas separates the drawing from the answer.
    st.button(tr("Clear", "清除"), icon=":material/ink_eraser:", on_click=draw_view.clear_canvas)
    with st.container(key=draw_view.CANVAS_BOX_KEY):
        try:
            canvas = st_canvas(
                stroke_width=draw_view.STROKE_WIDTH, stroke_color=draw_view.INK_COLOUR,
                background_color=draw_view.BACKGROUND_COLOUR, height=draw_view.CANVAS_SIZE,
                width=draw_view.CANVAS_SIZE, drawing_mode="freedraw", update_streamlit=True,
                return_image_data=True, key=draw_view.canvas_key(),
            )
        except (AttributeError, TypeError, KeyError):
            # A state the canvas never sends (a forged message) breaks st_canvas; a fresh canvas replaces it.
            canvas = None
            draw_view.clear_canvas()

mnist_style = st.toggle(
    tr("MNIST-style preprocessing", "MNIST 式预处理"), value=True,
    help=tr("On: crop, fit into 20×20 and centre by mass, as MNIST was made. Off: squeeze the whole canvas to 28×28.",
            "开：像制作 MNIST 时那样裁剪、缩放进 20×20 并按质心居中。关：把整个画布直接压缩成 28×28。"),
)
st.caption(tr(
    "Every MNIST digit was cropped, fitted into 20×20 and centred, so the network only knows "
    "digits of that size and place: switch this off to see a small or off-centre drawing confuse it.",
    "每个 MNIST 数字都经过裁剪、缩放进 20×20 并居中，所以网络只认识这种大小和位置的数字："
    "关掉它，看看写得小或不居中的数字如何让网络困惑。"))

class_names = CLASS_NAMES[run.config.dataset]
with result_column:
    if run.config.dataset != "mnist":
        st.caption(tr("This network was trained on Fashion-MNIST, so it reads every drawing as a garment.",
                      "这个网络是在 Fashion-MNIST 上训练的，所以它把每幅画都识别为一种服饰。"))
    # Loading before the first stroke makes the first reading as quick as the later ones.
    model, problem = draw_view.load_model(run)
    if model is None:
        st.error(tr(f"Run {run.run_id} cannot be used: {problem}. Pick another network above.",
                    f"运行 {run.run_id} 无法使用：{problem}。请在上方选择其他网络。"))
        st.stop()
    # The training images the drawing is compared with are read once per server, before the first
    # stroke, for the same reason.
    try:
        with st.spinner(tr("Reading the training images once, to compare drawings with them…",
                           "正在读取训练图像（只需一次），用来与画作比较……")):
            reference = state.get_likeness_reference(run.config.dataset)
    except DatasetUnavailableError:
        reference = None
    # The canvas' PNG is decoded once, within the size limits of mnist_core.image_files.
    drawing, problem = draw_view.drawing_pixels(canvas)
    if problem:
        st.error(problem)
        st.stop()
    try:
        prediction = None if drawing is None else predict_digit(model, drawing, mnist_style=mnist_style)
    except ValueError as error:
        st.error(tr(f"This drawing cannot be read: {error}", f"无法识别这幅画：{error}"))
        st.stop()
    if prediction is None or draw_view.is_blank(prediction):
        draw_view.draw_prompt()
        st.stop()
    if prediction.is_empty:
        st.info(tr("Nothing to recognise: draw a digit, larger than a dot.", "没有可识别的内容：请写一个比点大的数字。"))
        st.stop()
    likeness = None if reference is None else measure_likeness(reference, prediction.image)
    if reference is None:
        st.caption(tr("The training images are not on this machine, so whether the drawing looks like them "
                      "cannot be checked.", "本机没有训练图像，因此无法检查这幅画是否像它们。"))
    draw_view.show_reading(prediction, class_names, likeness, digits=run.config.dataset == "mnist")
    glossary.explain("softmax")

# The steps sit right under the MNIST-style switch, so switching it shows what it changes.
with st.expander(tr("How your drawing became 28×28", "你的画如何变成 28×28"), expanded=True):
    captions, images = zip(*draw_view.step_images(prediction.preprocessed))
    st.image(list(images), caption=list(captions), width=draw_view.STEP_SIDE, clamp=True)

st.subheader(tr("Which pixels pushed the network towards its answer", "哪些像素把网络推向了它的答案"))
draw_view.input_and_saliency(model, prediction, class_names)

st.subheader(tr("One drawing, every run", "同一幅画，所有运行"))
st.caption(tr("The same 28×28 image read by each stored network: see how hidden size and epochs change the answer.",
              "每个已保存的网络读取同一张 28×28 图像：看看隐藏层大小和训练轮数如何改变答案。"))
draw_view.every_run_table(runs, prediction.image, run)
