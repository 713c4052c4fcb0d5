"""The base layer: what every later layer uses. errors (the one set of checkers at the doors), files (atomic
writes), png (pictures in pure Python)."""
