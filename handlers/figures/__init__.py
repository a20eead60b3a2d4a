"""handlers.figures.compute."""
