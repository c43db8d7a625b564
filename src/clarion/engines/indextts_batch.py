"""IndexTTS-2's speech-token decoder run on several texts at once, over the package's own modules.

``UnifiedVoice.inference_speech`` takes one speaker conditioning for the whole batch, and the
inference model it hands to Hugging Face's ``generate`` (``GPT2InferenceModel``) reads the key/value
cache under its pre-5.0 name, so with the transformers Clarion installs every step re-runs the
whole sequence. ``BatchDecoder`` keeps the package's layout and generate call and changes only
those two things:

- each row has its own conditioning latents (speaker plus emotion), built as
  ``inference_speech`` builds them, and its own text; ``UnifiedVoice.prepare_gpt_inputs`` left-pads
  ``[cond][text]`` and masks the padding, so no row sees another's length;
- a small subclass of the package's ``GPT2InferenceModel`` passes the cache through (``cache``),
  so a step feeds one token per row, and computes logits for the last position only.

``generate`` then stops each row at its own stop token (``eos_token_id``) and fills finished rows
with it, and its sampling, repetition penalty and beam search are the package's. The latent pass
after it (``UnifiedVoice.forward``) runs on all rows at once too, left-padded and masked the same
way. Decoding is
greedy when ``top_k`` is 1 (or with one beam and ``do_sample`` off): then each row's tokens are
those of the package's single-text path (tested)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

SILENCE_S = 0.2  # infer()'s interval_silence between the parts of a long text
DIFFUSION_STEPS = 25  # what infer() runs s2mel's flow matching with
CFG_RATE = 0.7


@dataclass(frozen=True, slots=True)
class Sampling:
    """``generate``'s knobs, shared by every row of one call (requests that differ run apart)."""

    temperature: float
    top_p: float
    top_k: int
    num_beams: int
    repetition_penalty: float
    length_penalty: float


def _cached_inference_model(gpt: Any) -> Any:
    """The package's ``GPT2InferenceModel`` over ``gpt``'s modules (shared, not copied), with the
    key/value cache handed through under transformers 5's name."""
    from indextts.gpt.model_v2 import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        GPT2InferenceModel,
    )
    from transformers.modeling_outputs import CausalLMOutputWithCrossAttentions

    class CachedInferenceModel(GPT2InferenceModel):  # type: ignore[misc]
        def prepare_inputs_for_generation(
            self, input_ids: torch.Tensor, cache: Any = None, **kwargs: Any
        ) -> dict[str, Any]:
            if cache is not None and cache.get_seq_length() > 0:
                input_ids = input_ids[:, -1:]  # the rest is in the cache
            return {
                "input_ids": input_ids,
                "cache": cache,
                "use_cache": kwargs.get("use_cache"),
                "attention_mask": kwargs.get("attention_mask"),
            }

        def forward(
            self,
            input_ids: torch.Tensor,
            cache: Any = None,
            attention_mask: torch.Tensor | None = None,
            use_cache: bool | None = None,
            **kwargs: Any,
        ) -> Any:
            # The embeddings as GPT2InferenceModel.forward makes them.
            mel_len = self.cached_mel_emb.shape[1]
            if input_ids.shape[1] != 1:
                mel = self.embeddings(input_ids[:, mel_len:])
                mel = mel + self.text_pos_embedding(mel)
                prefix = self.cached_mel_emb
                if prefix.shape[0] != mel.shape[0]:  # beams: each row's prefix, repeated
                    prefix = prefix.repeat_interleave(mel.shape[0] // prefix.shape[0], 0)
                emb = torch.cat([prefix, mel], dim=1)
            else:
                # The token's place among the speech tokens (the start token is 0), as the
                # package's full-sequence branch above counts it and training did.
                place = cache.get_seq_length() - mel_len
                emb = self.embeddings(input_ids) + self.text_pos_embedding.get_fixed_embedding(
                    place, input_ids.device
                )
            out = self.transformer(
                inputs_embeds=emb,
                cache=cache,
                attention_mask=attention_mask,
                use_cache=use_cache,
                return_dict=True,
            )
            # generate reads the last position's logits only.
            logits = self.lm_head(out.last_hidden_state[:, -1:])
            return CausalLMOutputWithCrossAttentions(logits=logits, cache=out.cache)

    package = gpt.inference_model
    return CachedInferenceModel(
        package.config,
        gpt.gpt,
        gpt.mel_pos_embedding,
        gpt.mel_embedding,
        gpt.final_norm,
        gpt.mel_head,
        kv_cache=True,
    ).eval()


class BatchDecoder:
    """Speech tokens for several rows in one ``generate`` call; ``gpt`` is the loaded
    ``UnifiedVoice`` (``IndexTTS2.gpt``)."""

    def __init__(self, gpt: Any) -> None:
        self._gpt = gpt
        self._model = _cached_inference_model(gpt)

    def conditioning(self, spk_cond_emb: torch.Tensor, emovec: torch.Tensor) -> torch.Tensor:
        """One row's ``[speaker + emotion][duration][duration]`` latents (1, 34, dim), as
        ``UnifiedVoice.inference_speech`` and ``forward`` build them."""
        gpt = self._gpt
        lengths = torch.tensor([spk_cond_emb.shape[-1]], device=spk_cond_emb.device)
        speaker = gpt.get_conditioning(spk_cond_emb.transpose(1, 2), lengths)
        zeros = torch.zeros(1, dtype=torch.long, device=spk_cond_emb.device)
        duration = gpt.speed_emb(zeros)
        duration_half = gpt.speed_emb(torch.ones_like(zeros))
        conds: torch.Tensor = torch.cat(
            (speaker + emovec.unsqueeze(1), duration_half.unsqueeze(1), duration.unsqueeze(1)), 1
        )
        return conds

    def generate(
        self, conds: list[torch.Tensor], texts: list[torch.Tensor], max_new_tokens: int, sampling: Sampling
    ) -> torch.Tensor:
        """Speech tokens (rows, steps) for each row's conditioning (1, 34, dim) and text token ids
        (1-D); a finished row is filled with the stop token after it."""
        gpt = self._gpt
        longest = max(t.numel() for t in texts)
        # prepare_gpt_inputs drops start/stop text tokens and pads on the left with zeros.
        padded = torch.full(
            (len(texts), longest), gpt.stop_text_token, dtype=texts[0].dtype, device=texts[0].device
        )
        for i, t in enumerate(texts):
            padded[i, : t.numel()] = t
        inputs, embeds, mask = gpt.prepare_gpt_inputs(torch.cat(conds, 0), padded)
        model = self._model
        model.store_mel_emb(embeds)
        try:
            output = model.generate(
                inputs,
                bos_token_id=gpt.start_mel_token,
                pad_token_id=gpt.stop_mel_token,
                eos_token_id=gpt.stop_mel_token,
                attention_mask=mask,
                max_length=inputs.shape[1] + max_new_tokens,
                do_sample=True,
                top_p=sampling.top_p,
                top_k=sampling.top_k,
                temperature=sampling.temperature,
                num_return_sequences=1,
                length_penalty=sampling.length_penalty,
                num_beams=sampling.num_beams,
                repetition_penalty=sampling.repetition_penalty,
            )
        finally:
            model.store_mel_emb(None)  # the prefix holds the batch's activations
        codes: torch.Tensor = output[:, inputs.shape[1] :]
        return codes

    def latents(
        self, conds: list[torch.Tensor], texts: list[torch.Tensor], codes: list[torch.Tensor]
    ) -> list[torch.Tensor]:
        """What ``UnifiedVoice.forward`` returns (the speech tokens' latents, (1, tokens, dim)) for
        each row, in one pass: each row's ``[cond][start text stop][start codes stop]`` sequence
        is built as forward builds it, then left-padded with the padding masked, so no row sees
        another's length."""
        gpt = self._gpt
        rows = []
        for cond, text, code in zip(conds, texts, codes, strict=True):
            t = F.pad(
                F.pad(text.unsqueeze(0), (0, 1), value=gpt.stop_text_token),
                (1, 0),
                value=gpt.start_text_token,
            )
            c = F.pad(
                F.pad(code.unsqueeze(0), (0, 1), value=gpt.stop_mel_token), (1, 0), value=gpt.start_mel_token
            )
            text_emb = gpt.text_embedding(t) + gpt.text_pos_embedding(t)
            mel_emb = gpt.mel_embedding(c) + gpt.mel_pos_embedding(c)
            rows.append(torch.cat([cond, text_emb, mel_emb], dim=1)[0])
        longest = max(r.shape[0] for r in rows)
        emb = rows[0].new_zeros(len(rows), longest, rows[0].shape[-1])
        mask = torch.zeros(len(rows), longest, dtype=torch.long, device=emb.device)
        for i, r in enumerate(rows):
            emb[i, longest - r.shape[0] :] = r
            mask[i, longest - r.shape[0] :] = 1
        hidden = gpt.gpt(inputs_embeds=emb, attention_mask=mask, return_dict=True).last_hidden_state
        enc = gpt.final_norm(hidden)
        # forward keeps the codes' positions, without the stop token and the one after it.
        return [enc[i : i + 1, longest - c.numel() - 2 : longest - 2] for i, c in enumerate(codes)]


@dataclass(frozen=True, slots=True)
class Speaker:
    """A reference clip's conditioning, as ``IndexTTS2._get_speaker_conditioning`` returns it."""

    cond: torch.Tensor  # w2v-bert features (1, frames, 1024)
    style: torch.Tensor  # CAMPPlus embedding (1, 192)
    prompt: torch.Tensor  # s2mel's prompt condition (1, frames, dim)
    mel: torch.Tensor  # the clip's mel (1, 80, frames)


@dataclass(frozen=True, slots=True)
class Item:
    """One segment's inputs, resolved as ``IndexTTS2.infer_generator`` resolves its arguments."""

    speaker: Speaker
    emotion: torch.Tensor  # the emotion reference's w2v-bert features
    alpha: float  # merge_emovec's alpha (1 without an emotion clip)
    emo_vector: list[float] | None  # the weights infer() mixes in (already scaled by emo_alpha)
    texts: list[torch.Tensor]  # the text's parts as the package splits it, token ids each
    max_mel_tokens: int


@dataclass(slots=True)
class Rendered:
    """One item's audio, and its speech tokens per part of its text."""

    audio: np.ndarray
    codes: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Row:
    item: int
    conds: torch.Tensor  # its conditioning latents (1, 34, dim)
    text: torch.Tensor


class BatchRenderer:
    """Several segments through a loaded ``IndexTTS2``: their texts' parts decode together (one
    ``BatchDecoder.generate``) and get their latents together (``BatchDecoder.latents``); s2mel
    and BigVGAN then run per part, since the length regulator's interpolation, the flow
    matching's prompt (the voice's clip) and the convolutions all depend on each part's own
    length (padding would change every row's audio)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.decoder = BatchDecoder(model.gpt)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        model = self._model
        device = torch.device(model.device).type
        autocast: contextlib.AbstractContextManager[Any] = torch.amp.autocast(
            device, enabled=model.dtype is not None, dtype=model.dtype
        )
        return autocast

    def emovec(self, item: Item) -> torch.Tensor:
        """The row's emotion vector, as infer_generator mixes it."""
        model = self._model
        spk, emo = item.speaker.cond, item.emotion
        vec: torch.Tensor = model.gpt.merge_emovec(
            spk,
            emo,
            torch.tensor([spk.shape[-1]], device=spk.device),
            torch.tensor([emo.shape[-1]], device=spk.device),
            alpha=item.alpha,
        )
        if item.emo_vector is not None:
            from indextts.emotion import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
                find_most_similar_cosine,
            )

            weights = torch.tensor(item.emo_vector, device=spk.device)
            index = [find_most_similar_cosine(item.speaker.style, m) for m in model.spk_matrix]
            matrix = torch.cat([m[i].unsqueeze(0) for i, m in zip(index, model.emo_matrix, strict=True)], 0)
            mixed = torch.sum(weights.unsqueeze(1) * matrix, 0).unsqueeze(0)
            vec = mixed + (1 - torch.sum(weights)) * vec
        return vec

    def render(self, items: list[Item], sampling: Sampling) -> list[Rendered]:
        model = self._model
        rows: list[_Row] = []
        with torch.no_grad(), self._autocast():
            for n, item in enumerate(items):
                emovec = self.emovec(item)
                conds = self.decoder.conditioning(item.speaker.cond, emovec)
                rows += [_Row(n, conds, text) for text in item.texts]
            longest = max(item.max_mel_tokens for item in items)
            codes = self.decoder.generate([r.conds for r in rows], [r.text for r in rows], longest, sampling)
            tokens: list[torch.Tensor] = []
            for row, row_codes in zip(rows, codes, strict=True):
                kept = row_codes[: items[row.item].max_mel_tokens]  # its own cap: generate ran to the longest
                stops = (kept == model.stop_mel_token).nonzero()
                tokens.append(kept[: int(stops[0, 0])] if stops.numel() else kept)
            spoken = [i for i, t in enumerate(tokens) if t.numel()]
            latents = (
                self.decoder.latents(
                    [rows[i].conds for i in spoken],
                    [rows[i].text for i in spoken],
                    [tokens[i] for i in spoken],
                )
                if spoken
                else []
            )
        out = [Rendered(np.zeros(0, np.float32)) for _ in items]
        parts: list[list[np.ndarray]] = [[] for _ in items]
        latent_of = dict(zip(spoken, latents, strict=True))
        for i, (row, row_tokens) in enumerate(zip(rows, tokens, strict=True)):
            out[row.item].codes.append([int(t) for t in row_tokens])
            latent = latent_of.get(i)
            audio = (
                np.zeros(0, np.float32)
                if latent is None
                else self._speech(items[row.item], row_tokens, latent)
            )
            parts[row.item].append(audio)
        gap = np.zeros(int(22_050 * SILENCE_S), np.float32)
        for n, pieces in enumerate(parts):
            joined: list[np.ndarray] = []
            for i, piece in enumerate(pieces):
                joined += [gap, piece] if i else [piece]
            out[n].audio = np.concatenate(joined) if joined else np.zeros(0, np.float32)
        return out

    def _speech(self, item: Item, tokens: torch.Tensor, latent: torch.Tensor) -> np.ndarray:
        """One part's audio from its speech tokens and their latents: infer_generator's s2mel and
        BigVGAN steps."""
        model = self._model
        speaker = item.speaker
        codes = tokens.unsqueeze(0)
        device = codes.device
        with torch.no_grad():
            s2mel = model.s2mel.models
            latent = s2mel["gpt_layer"](latent)
            semantic = model.semantic_codec.quantizer.vq2emb(codes.unsqueeze(1)).transpose(1, 2) + latent
            lengths = (torch.LongTensor([codes.shape[-1]]).to(device) * 1.72).long()
            cond = s2mel["length_regulator"](semantic, ylens=lengths, n_quantizers=3, f0=None)[0]
            condition = torch.cat([speaker.prompt, cond], dim=1)
            mel = s2mel["cfm"].inference(
                condition,
                torch.LongTensor([condition.size(1)]).to(device),
                speaker.mel,
                speaker.style,
                None,
                DIFFUSION_STEPS,
                inference_cfg_rate=CFG_RATE,
            )
            mel = mel[:, :, speaker.mel.size(-1) :]
            wav = model.bigvgan(mel.float()).squeeze().unsqueeze(0).squeeze(1)
            wav = torch.clamp(wav, -1.0, 1.0)
        return np.ascontiguousarray(wav.float().reshape(-1).cpu().numpy(), dtype=np.float32)
