"""Layer 1, the front end (lesson: "From waveform to log-Mel"): wav -> resample -> fft -> stft -> mel. A WAV file
becomes 16-kHz samples, then Whisper's log-Mel: n_frames mel frames of 80 floats, 100 a second."""
