"""Spoken cues through the browser's own speech synthesis (nothing is sent anywhere to speak it).

The page embeds :func:`speech_html` in a tiny iframe whenever a new cue is issued. The script
prefers the parent page's ``speechSynthesis``: Chrome only speaks for a document the user has
interacted with, and the user has clicked in the app page, not in this iframe.
"""

from __future__ import annotations

import html
import json


def speech_html(text: str, cue_seq: int, rate: float = 1.0) -> str:
    """An HTML snippet that says ``text`` once, cancelling anything still being said.

    Args:
        text: The cue.
        cue_seq: The cue's sequence number. It is part of the snippet so that the same words
            issued again produce a different document, which the page reloads and so speaks.
        rate: Speaking rate (1.0 is the browser's normal speed).

    Returns:
        A self-contained HTML document with an inline script.
    """
    # json.dumps gives a valid JS string literal; "</" is split so the text cannot end the script.
    literal = json.dumps(text).replace("</", "<\\/")
    return f"""<!-- cue {cue_seq}: {html.escape(text)} -->
<script>
(function () {{
  var target = window;
  try {{
    if (window.parent && window.parent.speechSynthesis) {{ target = window.parent; }}
  }} catch (e) {{ target = window; }}
  var synth = target.speechSynthesis;
  if (!synth) {{ return; }}
  var said = new target.SpeechSynthesisUtterance({literal});
  said.rate = {rate:.2f};
  synth.cancel();
  synth.speak(said);
}})();
</script>"""
