"""``formcheck batch``: many stored clips analysed on Ray into the history.

- :mod:`~formcheck.batch.inputs`: the clips to analyse, from a folder or a CSV manifest.
- :mod:`~formcheck.batch.identity`: what makes two analyses of a clip the same one.
- :mod:`~formcheck.batch.worker`: one clip analysed and saved (in a Ray actor, or in-process).
- :mod:`~formcheck.batch.run`: Ray started or joined, the clips spread over the workers.
- :mod:`~formcheck.batch.cli`: the command, its progress bar and its summary.
"""
