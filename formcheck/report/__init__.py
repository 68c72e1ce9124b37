"""What a patient's history says over a period: summaries and trends (:mod:`.trends`), the
clinician's PDF (:mod:`.pdf`, drawn with matplotlib and fpdf2) and ``formcheck report``.

It reads the history store's frozen records and sits at the edge with the app and the command
line; the core never imports it. Importing this package is cheap: matplotlib, fpdf2 and PyAV
load only with the modules that draw or decode.
"""
