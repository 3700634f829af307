"""The record inspector: a filterable, paged table of records with a detail pane."""
