"""Data, no logic: settings, the taxonomy, the lexicon, time limits, reply texts and the demo
district."""
