"""The base layer: what every later layer uses. errors (the one set of checkers at the doors), files (atomic
writes), png (PNG files in pure Python), font (a bitmap font) and figure (one layout for every picture: title,
axes, colour bar, strips)."""
