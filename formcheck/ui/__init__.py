"""The Streamlit app's layer: pages plus the logic behind them, kept testable without a browser.

Modules ending in ``_page`` draw with Streamlit; the others (``live``, ``review``, ``library``,
``plots``, ``speech``, ``progress``) are plain Python that tests call directly. Only
:mod:`formcheck.ui.webrtc` touches streamlit-webrtc, so every other page runs under ``AppTest``.
"""
