"""Entrypoint of the MNIST dashboard: its pages, and the browser tab and sidebar they all share.

Streamlit runs this file on every rerun. dashboard/navigation.py declares the pages (the files in
pages/) with st.navigation, sets the tab's title and icon, draws the sidebar and runs the page.
"""

from dashboard import navigation

navigation.run_app()
