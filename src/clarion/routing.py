"""The voice router: which loaded engine and voice a request's (model, voice) names, with
OpenAI aliases, uploaded clips for cloning engines, voice mixes, and the voice that reads a
language the requested one cannot."""

from __future__ import annotations

from collections.abc import Mapping

from clarion.config import Settings
from clarion.engines.base import VoiceInfo
from clarion.engines.mixing import Mix, canonical, is_mix, parse_mix
from clarion.errors import InvalidRequest, ModelNotFound, VoiceNotFound
from clarion.runtime import EngineRuntime
from clarion.text.spans import Language
from clarion.voices.store import VoiceStore


def reading_language(voice: VoiceInfo) -> Language | None:
    """The front end's language for a voice: its own for Mandarin and English voices, none
    for others (a cloned multilingual voice), where the text's own script decides."""
    if voice.lang == "zh":
        return "zh"
    if voice.lang == "en":
        return "en"
    return None


def languages_read(runtime: EngineRuntime, voice: VoiceInfo) -> set[str]:
    """The languages a voice reads: its own, or its engine's for a multilingual (cloned) one."""
    return {voice.lang, *(runtime.engine.capabilities.languages if voice.lang == "mul" else ())}


def speaks_zh(runtime: EngineRuntime, voice: VoiceInfo) -> bool:
    return "zh" in languages_read(runtime, voice)


class VoiceRouter:
    """Reads the loaded engines (``runtimes``, shared with their owner) as they are now."""

    def __init__(
        self,
        settings: Settings,
        runtimes: Mapping[str, EngineRuntime],
        voice_store: VoiceStore,
        skipped: Mapping[str, str],
    ) -> None:
        self.settings = settings
        self.runtimes = runtimes
        self.voice_store = voice_store
        self.skipped = skipped

    def all_voices(self) -> list[VoiceInfo]:
        return [v for rt in self.runtimes.values() for v in rt.voices.values()]

    def resolve(self, model: str, voice: str) -> tuple[EngineRuntime, VoiceInfo]:
        """Map an OpenAI (model, voice) pair to a loaded engine and one of its voices."""
        target = self.settings.model_aliases.get(model, model)
        if target == "auto":
            for rt in self._by_preference():
                if voice in rt.voices:
                    return rt, rt.voices[voice]
            alias = self.settings.voice_aliases.get(voice)
            for rt in self._by_preference():
                if alias in rt.voices:
                    return rt, rt.voices[alias]
            for rt in self._by_preference():
                if info := self.uploaded(rt, voice):
                    return rt, info
            if is_mix(voice):
                mix = parse_mix(voice)
                for rt in self._by_preference():
                    if rt.engine.capabilities.voice_mixing and all(n in rt.voices for n, _ in mix):
                        return rt, self._mixed(rt, mix)
            if alias is not None:
                # An OpenAI voice name with no matching pack loaded: the default voice answers.
                rt = self.runtimes[self._default_name()]
                return rt, rt.voices[rt.engine.default_voice()]
            raise VoiceNotFound(
                f"no loaded engine has a voice {voice!r}; valid voices: {', '.join(self._voice_names())}",
                param="voice",
            )
        runtime = self.runtimes.get(target)
        if runtime is None:
            why = f" ({self.skipped[target]})" if target in self.skipped else ""
            raise ModelNotFound(
                f"model {model!r} is not loaded{why}; valid models: {', '.join(self.model_names())}",
                param="model",
            )
        if voice not in runtime.voices:
            alias = self.settings.voice_aliases.get(voice)
            if alias in runtime.voices:
                return runtime, runtime.voices[alias]
            if info := self.uploaded(runtime, voice):
                return runtime, info
            if is_mix(voice):
                if not runtime.engine.capabilities.voice_mixing:
                    mixers = [n for n, r in self.runtimes.items() if r.engine.capabilities.voice_mixing]
                    raise VoiceNotFound(
                        f"model {runtime.name!r} cannot mix voices; engines that can: "
                        f"{', '.join(mixers) or 'none loaded'}",
                        param="voice",
                    )
                return runtime, self._mixed(runtime, parse_mix(voice))
            if self.voice_store.exists(voice):
                cloners = [n for n, rt in self.runtimes.items() if rt.engine.capabilities.cloning]
                raise VoiceNotFound(
                    f"voice {voice!r} is an uploaded clip and model {runtime.name!r} does not clone voices; "
                    f"models that do: {', '.join(cloners) or 'none loaded'}",
                    param="voice",
                )
            raise VoiceNotFound(
                f"model {runtime.name!r} has no voice {voice!r}; "
                f"valid voices: {', '.join(sorted(runtime.voices))}",
                param="voice",
            )
        return runtime, runtime.voices[voice]

    def _mixed(self, rt: EngineRuntime, mix: Mix) -> VoiceInfo:
        """A blend of the engine's own voices; the first one leads (language, licence)."""
        missing = [name for name, _ in mix if name not in rt.voices]
        if missing:
            raise VoiceNotFound(
                f"voice mix names {', '.join(map(repr, missing))}, which model {rt.name!r} does not have",
                param="voice",
            )
        lead = rt.voices[mix[0][0]]
        spelled = canonical(mix)
        return VoiceInfo(
            spelled, rt.name, lead.language, lead.licence, lead.sample_rate, None, f"mix: {spelled}"
        )

    def uploaded(self, rt: EngineRuntime, voice: str) -> VoiceInfo | None:
        """An uploaded reference clip as a voice of a cloning engine."""
        if not rt.engine.capabilities.cloning or not self.voice_store.exists(voice):
            return None
        langs = rt.engine.capabilities.languages
        return VoiceInfo(
            voice,
            rt.name,
            "mul" if len(langs) > 1 else langs[0],  # a cloned voice speaks whatever its engine does
            "uploaded by the user",
            rt.engine.sample_rate,
            None,
            "cloned from an uploaded reference clip",
        )

    def model_names(self) -> list[str]:
        return [*self.runtimes, *(a for a in self.settings.model_aliases if a not in self.runtimes)]

    def default_voice(self) -> str:
        """The default engine's default voice (what requests without a voice get)."""
        return self.runtimes[self._default_name()].engine.default_voice()

    def _default_name(self) -> str:
        d = self.settings.default_engine
        return d if d in self.runtimes else next(iter(self.runtimes))

    def _by_preference(self) -> list[EngineRuntime]:
        first = self._default_name()
        return [self.runtimes[first], *(rt for n, rt in self.runtimes.items() if n != first)]

    def _voice_names(self) -> list[str]:
        return sorted({v for rt in self.runtimes.values() for v in rt.voices})

    def fallback(self, voice: VoiceInfo, language: str, text: str) -> tuple[EngineRuntime, VoiceInfo]:
        """The voice ``language_voices`` names for a language ``voice`` cannot speak."""
        wanted = self.settings.language_voices.get(language)
        for rt in self.runtimes.values():
            if wanted in rt.voices:
                return rt, rt.voices[wanted]
        choices = ", ".join(self._voices_for(language)) or "none loaded"
        raise InvalidRequest(
            f"voice {voice.id!r} speaks {voice.language} but the input contains Chinese text "
            f"({text[:20]!r}); choose a Mandarin voice ({choices}) "
            f"or set CLARION_LANGUAGE_VOICES to route {language} segments to one",
            param="voice",
            code="unsupported_language",
        )

    def _voices_for(self, lang: str) -> list[str]:
        return sorted(v.id for v in self.all_voices() if v.lang == lang)[:8]
