"""Layer 4, the learning (lesson: the alignment and instruction stages): align trains the Listener on
captioned clips (stage 1), instruct trains the micro audio-LLM on questions and answers (stage 2)."""
