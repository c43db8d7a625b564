"""Audio output: encoding to the response formats (whole or streamed), resampling, tempo."""

from clarion.audio.decode import decode, decode_pcm
from clarion.audio.encoders import StreamEncoder, encode, supported_rate
from clarion.audio.formats import AudioFormat
from clarion.audio.resample import StreamResampler, resample
from clarion.audio.speed import time_stretch

__all__ = [
    "AudioFormat",
    "StreamEncoder",
    "StreamResampler",
    "decode",
    "decode_pcm",
    "encode",
    "resample",
    "supported_rate",
    "time_stretch",
]
