"""Entrypoint of the MNIST dashboard: the pages, and the browser tab and sidebar every page shares.

Streamlit runs this file on every rerun; the chosen page's file (in pages/) runs at its end.
"""

import streamlit as st

from dashboard import navigation, widgets

page = st.navigation(navigation.pages())
navigation.set_page_config(page)
widgets.sidebar()
navigation.run_page(page)
