"""``clarion bench``: a load tester made for TTS servers.

It measures what a listener notices (time to first audio, total latency, real-time factor,
playback stalls of a stream) under closed-loop (fixed concurrency) or open-loop (Poisson
arrivals) load, against Clarion or any OpenAI-compatible ``/v1/audio/speech`` endpoint, and
against piper's own HTTP server so peers are measured with the same tool."""
