"""Layer 5, the use (lesson: "Use It", the exercises and the picker): timeline (what the Listener heard), ask
(the micro audio-LLM's answers), needs and picker (which pipeline a task needs), diarize (who spoke when),
experiment (cascaded against end-to-end), pictures (the lesson's figures)."""
