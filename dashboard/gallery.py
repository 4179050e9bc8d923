"""Image galleries shared by the Results page's views: enlarged digits, confidence captions, a grid."""

import numpy as np
import streamlit as st
from PIL import Image

GALLERY_COLUMNS = 8
# Each pixel of a 28×28 image becomes a block this wide, so the browser never blurs the digit.
GALLERY_ZOOM = 4


def enlarged(image):
    """Returns a 2-D uint8 image with each pixel a GALLERY_ZOOM-wide block, so the browser never blurs it."""
    rows, columns = image.shape
    return np.asarray(Image.fromarray(image).resize((columns * GALLERY_ZOOM, rows * GALLERY_ZOOM), Image.NEAREST))


def percent(confidence):
    """Returns a confidence as a caption's percentage, e.g. "87%".

    A confidence that would round to 100% reads ">99%", as the network was never quite sure.
    """
    return ">99%" if confidence >= 0.995 else f"{confidence:.0%}"


def show_gallery(images, captions):
    """Shows images with their captions, GALLERY_COLUMNS to a row."""
    for start in range(0, len(images), GALLERY_COLUMNS):
        end = start + GALLERY_COLUMNS
        for column, image, caption in zip(st.columns(GALLERY_COLUMNS), images[start:end], captions[start:end]):
            column.image(image, caption=caption, width="stretch")
