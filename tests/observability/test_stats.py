from clarion.observability.stats import RecentRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_older_than_the_window_are_dropped_without_a_reader() -> None:
    clock = Clock()
    recent = RecentRequests(window_s=300, clock=clock)
    for _ in range(50):
        recent.add(ttfa_s=0.1, latency_s=0.5, audio_s=1.0)
        clock.now += 1
    assert len(recent) == 50
    clock.now += 300
    # Nobody asked for a summary: adding alone keeps only what is inside the window.
    recent.add(ttfa_s=0.1, latency_s=0.5, audio_s=1.0)
    assert len(recent) == 1


def test_the_summary_covers_the_window() -> None:
    clock = Clock()
    recent = RecentRequests(window_s=60, clock=clock)
    recent.add(ttfa_s=5.0, latency_s=9.0, audio_s=1.0)
    clock.now += 61  # the first one has left the window
    for ttfa, latency in ((0.1, 0.5), (0.2, 1.0), (0.3, 1.5)):
        recent.add(ttfa_s=ttfa, latency_s=latency, audio_s=1.0)
    recent.add(ttfa_s=9.0, latency_s=1.0, audio_s=0.0)  # no audio: not a request to rate
    summary = recent.summary()
    assert summary["requests"] == 3
    assert summary["ttfa_p50_s"] == 0.2
    assert summary["rtf_p50"] == 1.0
