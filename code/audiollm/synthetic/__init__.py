"""Layer 3, the data (lesson: "needs new training data"): synth makes audio in pure Python, corpus makes
captioned clips from it, split by seed."""
