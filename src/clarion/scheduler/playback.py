"""Playback deadlines: when a streamed request's segments are needed by a listener.

A streamed request's first segment is needed now; each later one when the audio before it
has played. Queued by those moments (earliest first), a new stream's first segment goes
ahead of other streams' later sentences, which still have audio playing in front of them,
while no segment is overtaken by anything that arrived after its own moment: nothing
starves, and a stream that is behind is served first.

Durations not yet produced are estimated from the text at the engine's learned pace, scaled
down (``MARGIN``): guessing short makes later segments more urgent, so an error moves the
order towards first come, first served, never towards an underrun.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Audio seconds per character before an engine has produced anything: brisk English. Mandarin
# takes longer per character, so for it this errs on the safe (urgent) side too.
DEFAULT_SECONDS_PER_CHAR = 0.05
MARGIN = 0.8
# Weight of the newest observation in the running pace (segments differ; voices and speeds too).
SMOOTHING = 0.2


@dataclass(slots=True)
class Pace:
    """One engine's audio seconds per text character at speed 1, learned from its output."""

    seconds_per_char: float = DEFAULT_SECONDS_PER_CHAR
    observed: int = 0

    def observe(self, chars: int, audio_s: float, speed: float = 1.0) -> None:
        if chars <= 0 or audio_s <= 0:
            return
        pace = audio_s * speed / chars
        self.observed += 1
        # The first observation replaces the default outright; later ones are smoothed.
        weight = 1.0 if self.observed == 1 else SMOOTHING
        self.seconds_per_char += weight * (pace - self.seconds_per_char)

    def estimate_s(self, chars: int, speed: float = 1.0) -> float:
        """A conservative (short) guess of the audio length of ``chars`` characters."""
        return MARGIN * self.seconds_per_char * chars / max(speed, 1e-3)


@dataclass(slots=True)
class PlaybackClock:
    """One streamed request's timeline: segment ``i`` is due once the audio of segments
    ``0..i-1`` has played after ``begun`` (a ``time.monotonic()`` stamp)."""

    begun: float
    _durations: list[float] = field(default_factory=list)  # estimated until produced

    def due(self, index: int) -> float:
        return self.begun + sum(self._durations[:index])

    def expect(self, index: int, seconds: float) -> None:
        """Segment ``index``'s estimated (or, for a pause, exact) duration."""
        while len(self._durations) <= index:
            self._durations.append(0.0)
        self._durations[index] = seconds

    def produced(self, index: int, seconds: float) -> None:
        """Segment ``index``'s real duration, replacing its estimate."""
        self.expect(index, seconds)
