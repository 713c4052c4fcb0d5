"""audiollm: the audio-language-model arc in pure Python, from a WAV file to the tokens an LLM reads.

The layers are sub-packages, in the order a clip travels (nothing imports from a later layer):

    base/       errors (the shared checkers), files (atomic writes), png
    front/      wav -> resample -> fft -> stft -> mel (Whisper's log-Mel)
    model/      autograd <- nn <- encoder, bridges, vocab, listener (the trained Listener), decoder (micro LLM),
                audio_llm (the two put together)
    synthetic/  synth (pure-Python audio), corpus (captioned clips, split by seed)
    learn/      align (the Listener's stage), instruct (the LLM's stage)
    use/        timeline, ask, needs, picker, diarize, experiment

A module is reached by its layer (`import audiollm.front.fft as F`, `from audiollm.use.diarize import diarize`);
the names below are also exported here. Data is plain lists, time-major: a log-Mel is n_frames mel frames of
n_mels floats, (3000, 80) for 30 s.
"""
from .base.errors import AudioFormatError, AudiollmError
from .base.png import heatmap_png, text_preview, write_png
from .front.fft import dft, fft_columns, fft_recursive, ifft, rfft
from .front.mel import (CHUNK_LENGTH, HOP_LENGTH, N_FFT, N_FRAMES, N_SAMPLES, SAMPLE_RATE, fft_frequencies, hz_to_mel,
                        log10_mel, log1p_mel, log_mel_literal, log_mel_spectrogram, log_mel_windows, mel_filters,
                        mel_frequencies, mel_to_hz, melspectrogram, pad_or_trim)
from .front.resample import filter_half_width, load_audio
from .front.stft import get_window, power_columns, power_spectrum
from .front.wav import iter_wav_blocks, open_wav, read_wav, write_wav
from .model.bridges import PooledMLPAdapter, QFormer, WindowQFormer, bridge_costs, format_cost_table, tokens_per_clip
from .model.encoder import AcousticEncoder, FrameEncoder, SummaryEncoder, concat_features, frame_mask
from .model.listener import Listener, load_listener
from .synthetic.synth import lesson_scene, two_speaker_dialogue
from .use.diarize import Turn, der, format_turns, read_rttm, to_rttm
from .use.experiment import log_mel_shape, run_experiment
from .use.picker import Plan, format_plan, pick, render_skill, write_skill
from .use.timeline import format_timeline, timeline

__all__ = [
    "AcousticEncoder", "AudioFormatError", "AudiollmError", "bridge_costs", "CHUNK_LENGTH", "concat_features",
    "der", "dft", "fft_columns", "fft_frequencies", "fft_recursive", "filter_half_width", "format_cost_table",
    "format_plan", "format_timeline", "format_turns", "frame_mask", "FrameEncoder", "get_window", "heatmap_png",
    "HOP_LENGTH", "hz_to_mel", "ifft", "iter_wav_blocks", "lesson_scene", "Listener", "load_audio", "load_listener",
    "log10_mel", "log1p_mel", "log_mel_literal", "log_mel_shape", "log_mel_spectrogram", "log_mel_windows",
    "mel_filters", "mel_frequencies", "mel_to_hz", "melspectrogram", "N_FFT", "N_FRAMES", "N_SAMPLES", "open_wav",
    "pad_or_trim", "pick", "Plan", "PooledMLPAdapter", "power_columns", "power_spectrum", "QFormer", "read_rttm",
    "read_wav", "render_skill", "rfft", "run_experiment", "SAMPLE_RATE", "SummaryEncoder", "text_preview",
    "timeline", "to_rttm", "tokens_per_clip", "Turn", "two_speaker_dialogue", "WindowQFormer", "write_png",
    "write_skill", "write_wav",
]
