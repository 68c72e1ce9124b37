"""One module per revision of the history database."""
