"""Session history: every completed set and analysed clip, kept per patient in a database.

It sits at the edge next to the command line and the app; the core never imports it. Importing
this package is cheap: SQLAlchemy and Alembic load only with :mod:`formcheck.history.store`.
"""
