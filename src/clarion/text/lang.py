"""Which language a piece of text is in, as far as the engines care (en or zh)."""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def detect_language(text: str) -> str:
    """'zh' for text with Han characters, else 'en'. Mixed spans come with the full front end."""
    return "zh" if has_han(text) else "en"
