"""App-side helpers shared by the Streamlit pages: cached resources, charts and shared widgets."""
