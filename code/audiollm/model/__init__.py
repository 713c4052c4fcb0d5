"""Layer 2, the model (lesson: "The audio encoder", "Bridges", "Audio Q-former", "Instruction stage"): autograd
(the one linear algebra and its gradients) <- nn (one implementation of each layer) <- encoder, bridges, vocab,
listener (the trained Listener), decoder (the micro audio-LLM), audio_llm (the two put together: load, answer)."""
