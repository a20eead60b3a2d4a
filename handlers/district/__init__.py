"""The district's organisation and map: loading units, grids, workers and routing rules, and the
place names the understanding module reads."""
