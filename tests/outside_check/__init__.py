"""The figures checked from outside: a month made through the public APIs only, against numbers
worked out by hand from the documented definitions (issue 16, "Done means")."""
