"""Draw: sketch a digit with the mouse and see what a trained network reads in it."""

import streamlit as st

# The canvas component can only be declared inside a running app, so only this page imports it.
from streamlit_drawable_canvas import st_canvas

from dashboard import charts, draw_view, glossary, state, widgets
from mnist_core.data import CLASS_NAMES
from mnist_core.predict import predict_digit

st.set_page_config(page_title="Draw · MNIST dashboard", page_icon="✏️", layout="wide")
widgets.sidebar()
st.title("✏️ Draw a digit")
st.caption(
    "Draw one digit, large and centred, with the mouse or a finger. The network reads it again "
    "after every stroke, from the same kind of 28×28 image it was trained on."
)

runs, _ = state.list_runs()
if not runs:
    widgets.no_run_message()

canvas_column, result_column = st.columns([1, 1], gap="large")
with canvas_column:
    run = widgets.run_picker("Network", runs, key="draw_run")
    # The canvas' undo and redo toolbar floats just above it, over the right end of this line.
    st.markdown("**Your drawing**")
    try:
        canvas = st_canvas(
            stroke_width=draw_view.STROKE_WIDTH,
            stroke_color=draw_view.INK_COLOUR,
            background_color=draw_view.BACKGROUND_COLOUR,
            height=draw_view.CANVAS_SIZE,
            width=draw_view.CANVAS_SIZE,
            drawing_mode="freedraw",
            update_streamlit=True,
            return_image_data=True,
            key=draw_view.canvas_key(),
        )
    except (AttributeError, TypeError, KeyError):
        # A state the canvas never sends (a forged message) breaks st_canvas; a fresh canvas replaces it.
        canvas = None
        draw_view.clear_canvas()
    st.button("Clear", icon=":material/ink_eraser:", on_click=draw_view.clear_canvas)
    mnist_style = st.toggle(
        "MNIST-style preprocessing", value=True,
        help="On: crop, fit into 20×20 and centre by mass, as MNIST was made. "
        "Off: squeeze the whole canvas to 28×28.",
    )
    st.caption(
        "Every MNIST digit was cropped, fitted into 20×20 and centred, so the network only knows "
        "digits of that size and place: switch this off to see a small or off-centre drawing confuse it."
    )

class_names = CLASS_NAMES[run.config.dataset]
with result_column:
    if run.config.dataset != "mnist":
        st.caption("This network was trained on Fashion-MNIST, so it reads every drawing as a garment.")
    # Loading before the first stroke makes the first reading as quick as the later ones.
    model, problem = draw_view.load_model(run)
    if model is None:
        st.error(f"Run {run.run_id} cannot be used: {problem}. Pick another network above.")
        st.stop()
    # The canvas' PNG is decoded once, within the size limits of mnist_core.image_files.
    drawing, problem = draw_view.drawing_pixels(canvas)
    if problem:
        st.error(problem)
        st.stop()
    if drawing is None:
        st.info("Draw a digit on the black canvas to see what the network reads.")
        st.stop()
    try:
        prediction = predict_digit(model, drawing, mnist_style=mnist_style)
    except ValueError as error:
        st.error(glossary.tr(f"This drawing cannot be read: {error}", f"无法识别这幅画：{error}"))
        st.stop()
    if prediction.is_empty:
        st.info(prediction.message)
        st.stop()
    st.metric("The network reads", class_names[prediction.digit])
    st.metric("Confidence", f"{prediction.probability:.1%}")
    st.plotly_chart(charts.probabilities_figure(prediction.probabilities, class_names), width="stretch")
    glossary.explain("softmax")

# The steps sit right under the MNIST-style switch, so switching it shows what it changes.
with st.expander("How your drawing became 28×28", expanded=True):
    captions, images = zip(*draw_view.step_images(prediction.preprocessed))
    st.image(list(images), caption=list(captions), width=draw_view.STEP_SIDE, clamp=True)

st.subheader("Which pixels pushed the network towards its answer")
draw_view.input_and_saliency(model, prediction, class_names)

st.subheader("One drawing, every run")
st.caption("The same 28×28 image read by each stored network: see how hidden size and epochs change the answer.")
draw_view.every_run_table(runs, prediction.image, run)
