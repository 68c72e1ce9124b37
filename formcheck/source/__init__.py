"""Where poses come from: recordings opened and checked, frames decoded ahead, the pose road.

- :mod:`~formcheck.source.recording`: a video or saved landmarks opened and described.
- :mod:`~formcheck.source.video`: PyAV decoding (and the annotated video's encoder).
- :mod:`~formcheck.source.prefetch`: any iterator run a few items ahead on its own thread.
- :mod:`~formcheck.source.poses`: video, camera frames or saved landmarks -> timed poses.
"""
