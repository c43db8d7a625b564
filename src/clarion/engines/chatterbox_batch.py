"""Several Chatterbox segments through the model at once, built from the ``chatterbox-tts``
package's own modules.

``T3.inference`` decodes one text (two rows: conditional and unconditional, for classifier-free
guidance) and ``S3Gen.inference`` renders one token sequence. :func:`decode` runs the same
sampling loop over many segments in one forward pass of T3's Llama backbone per step: each
segment's prompt is built by the package's ``prepare_input_embeds`` as in ``T3.inference``, the
prompts are left-padded to one length under an attention mask, and explicit position ids give
every row the positions it has when decoded alone. Each segment keeps its own sampling settings,
stop, token cap and random generator, so with the same seed a segment gets the same tokens as
from ``T3.inference``. Rows never attend to each other, so a finished row is simply fed the stop
token until the last row ends, and what it computes meanwhile is ignored.

:func:`render` does S3Gen's flow stage (token encoder and the flow-matching decoder) for all
segments of one voice in one batch, with each segment's starting noise drawn from its own
generator as ``S3Gen.inference`` draws it, then the HiFT vocoder per segment (its source signal
is random too, and it has no length mask). A segment's audio then matches ``S3Gen.inference``
within float rounding, and is exactly reproducible for a seed.

Everything torch is imported inside the functions: the engine module is imported without it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# The speech-token vocabulary of S3Gen; T3's ids above it are start, stop and padding.
SPEECH_TOKENS = 6561


@dataclass(frozen=True, slots=True)
class Row:
    """One segment's inputs to :func:`decode`."""

    cond: Any  # chatterbox T3Cond for this segment (speaker, prompt tokens, exaggeration)
    text_tokens: Any  # LongTensor (2, T): the text between start and stop tokens, twice (guidance)
    cfg_weight: float
    temperature: float
    top_p: float
    min_p: float
    repetition_penalty: float
    max_new_tokens: int
    generator: Any  # torch.Generator on the model's device: this segment's sampling randomness


def decode(t3: Any, rows: Sequence[Row]) -> list[Any]:
    """Speech tokens for each row, shaped ``(1, n)`` and ending with the stop token when the
    model emitted it, as ``T3.inference`` returns them."""
    import torch
    from transformers import DynamicCache
    from transformers.generation.logits_process import (
        MinPLogitsWarper,
        RepetitionPenaltyLogitsProcessor,
        TopPLogitsWarper,
    )

    if not rows:
        return []
    hp = t3.hp
    device = t3.device
    n = len(rows)
    prompts = []
    for row in rows:
        start = hp.start_speech_token * torch.ones_like(row.text_tokens[:, :1])
        embeds, _ = t3.prepare_input_embeds(
            t3_cond=row.cond, text_tokens=row.text_tokens, speech_tokens=start, cfg_weight=row.cfg_weight
        )
        # T3.inference appends the start-of-speech token once more before decoding.
        bos = t3.speech_emb(start[:1]) + t3.speech_pos_emb.get_fixed_embedding(0)
        prompts.append(torch.cat([embeds, bos.expand(2, -1, -1)], dim=1))
    lengths = torch.tensor([p.size(1) for p in prompts], device=device).repeat_interleave(2)
    width = int(lengths.max())
    # Rows 2i and 2i+1 are segment i's conditional and unconditional rows, padded on the left.
    embeds = torch.cat([torch.nn.functional.pad(p, (0, 0, width - p.size(1), 0)) for p in prompts])
    mask = (torch.arange(width, device=device)[None, :] >= (width - lengths)[:, None]).long()
    positions = (mask.cumsum(-1) - 1).clamp(min=0)

    cache = DynamicCache(config=t3.cfg)
    out = t3.tfmr(
        inputs_embeds=embeds, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
    )
    hidden = out.last_hidden_state[:, -1, :]

    # Rows with the same sampling settings go through the logits processors together: they act
    # row by row, so a row's result is the one it gets alone.
    groups: dict[tuple[float, float, float, float, float], list[int]] = {}
    for i, row in enumerate(rows):
        key = (row.cfg_weight, row.temperature, row.top_p, row.min_p, row.repetition_penalty)
        groups.setdefault(key, []).append(i)
    stop = hp.stop_speech_token
    # Every row's ids so far, starting with the start-of-speech token; a finished row gets stops.
    generated = torch.full((n, 1), hp.start_speech_token, dtype=torch.long, device=device)
    counts = [0] * n
    done = [row.max_new_tokens <= 0 for row in rows]
    step = 0
    while not all(done):
        logits_all = t3.speech_head(hidden)  # (2n, V): conditional and unconditional rows alternate
        chosen = torch.full((n, 1), stop, dtype=torch.long, device=device)
        for (cfg_weight, temperature, top_p, min_p, penalty), members in groups.items():
            live = [i for i in members if not done[i]]
            if not live:
                continue
            index = torch.tensor(live, device=device)
            cond, uncond = logits_all[2 * index], logits_all[2 * index + 1]
            cfg = torch.as_tensor(cfg_weight, device=cond.device, dtype=cond.dtype)
            logits = cond + cfg * (cond - uncond)
            ids = generated[index]
            logits = RepetitionPenaltyLogitsProcessor(penalty=float(penalty))(ids, logits)
            if temperature != 1.0:
                logits = logits / temperature
            logits = MinPLogitsWarper(min_p=min_p)(ids, logits)
            if top_p < 1.0:  # at 1.0 it only drops tokens whose probability is already zero
                logits = TopPLogitsWarper(top_p=top_p)(ids, logits)
            probs = torch.softmax(logits, dim=-1)
            for j, i in enumerate(live):
                token = torch.multinomial(probs[j : j + 1], num_samples=1, generator=rows[i].generator)
                chosen[i] = token[0]
                counts[i] += 1
                if int(token) == stop or counts[i] >= rows[i].max_new_tokens:
                    done[i] = True
        generated = torch.cat([generated, chosen], dim=1)
        if all(done):
            break
        step_embeds = t3.speech_emb(chosen) + t3.speech_pos_emb.get_fixed_embedding(step + 1)
        step_embeds = step_embeds.repeat_interleave(2, dim=0)  # (2n, 1, dim)
        mask = torch.cat([mask, mask.new_ones(2 * n, 1)], dim=1)
        positions = (lengths + step)[:, None]
        out = t3.tfmr(
            inputs_embeds=step_embeds,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
        )
        hidden = out.last_hidden_state[:, -1, :]
        step += 1
    return [generated[i : i + 1, 1 : 1 + counts[i]] for i in range(n)]


def speech_only(tokens: Any) -> Any:
    """What S3Gen may render of :func:`decode`'s output for one row: the tokens before the
    stop token, without start, stop or padding ids (as ``ChatterboxTTS.generate`` filters them)."""
    from chatterbox.models.s3tokenizer import drop_invalid_tokens

    speech = drop_invalid_tokens(tokens[0])
    return speech[speech < SPEECH_TOKENS]


@contextmanager
def drawing_from(generator: Any) -> Iterator[None]:
    """torch's process-wide generator set to ``generator``'s state for the block, and
    ``generator`` advanced by what the block drew: package code that samples from the global
    generator continues the segment's own stream."""
    import torch

    device = generator.device
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if device.type == "cuda":
            torch.cuda.set_rng_state(generator.get_state(), device)
        else:
            torch.set_rng_state(generator.get_state())
        yield
        generator.set_state(torch.cuda.get_rng_state(device) if devices else torch.get_rng_state())


def render(s3gen: Any, items: Sequence[tuple[Any, Mapping[str, Any], Any]]) -> list[Any]:
    """Waveforms (1-D float tensors) for ``(speech tokens, voice's S3Gen conditionals, generator)``
    items, as ``S3Gen.inference`` makes them one at a time: the flow stage batched per voice, the
    vocoder per item. An item without tokens gets an empty waveform."""
    import torch

    out: list[Any] = [torch.zeros(0) for _ in items]
    groups: dict[int, list[int]] = {}
    for i, (speech, ref, _) in enumerate(items):
        if speech.numel():
            groups.setdefault(id(ref), []).append(i)
    for members in groups.values():
        ref = _on_model(s3gen, items[members[0]][1])
        speech = [items[i][0] for i in members]
        generators = [items[i][2] for i in members]
        if s3gen.meanflow:  # the distilled variant draws its noise differently: one at a time
            for i, tokens, generator in zip(members, speech, generators, strict=True):
                with drawing_from(generator):
                    wav, _ = s3gen.inference(speech_tokens=tokens, ref_dict=dict(ref))
                out[i] = wav[0]
            continue
        mels = _flow(s3gen, speech, ref, generators)
        for i, mel, generator in zip(members, mels, generators, strict=True):
            with drawing_from(generator):
                wav, _ = s3gen.hift_inference(mel[None].to(dtype=s3gen.dtype), None)
            # S3Gen.inference fades the start in against spill-over from the reference clip.
            fade = s3gen.trim_fade
            wav[:, : len(fade)] *= fade
            out[i] = wav[0]
    return out


def _on_model(s3gen: Any, ref: Mapping[str, Any]) -> dict[str, Any]:
    """A voice's S3Gen conditionals on the model's device and dtype (as S3Gen casts them)."""
    import torch

    return {
        k: v.to(device=s3gen.device, dtype=s3gen.dtype) if torch.is_tensor(v) else v for k, v in ref.items()
    }


def _flow(s3gen: Any, speech: Sequence[Any], ref: Mapping[str, Any], generators: Sequence[Any]) -> list[Any]:
    """Mel spectrograms ``(80, frames)`` of several token sequences for one voice: the flow
    module's ``inference`` with rows of different lengths padded at the end and masked, and each
    row's starting noise drawn from its own generator, as the single-row call draws it."""
    import torch
    from chatterbox.models.s3gen.utils.mask import make_pad_mask

    flow = s3gen.flow
    device = s3gen.device
    n = len(speech)
    lengths = torch.tensor([s.numel() for s in speech], device=device)
    tokens = torch.zeros(n, int(lengths.max()), dtype=torch.long, device=device)
    for i, s in enumerate(speech):
        tokens[i, : s.numel()] = s
    prompt_token = ref["prompt_token"].long().expand(n, -1)  # S3Gen casts every tensor to its dtype
    prompt_feat = ref["prompt_feat"].expand(n, -1, -1)
    embedding = torch.nn.functional.normalize(torch.atleast_2d(ref["embedding"]), dim=1)
    embedding = flow.spk_embed_affine_layer(embedding).expand(n, -1)

    tokens = torch.cat([prompt_token, tokens], dim=1)
    lengths = lengths + ref["prompt_token_len"].long()
    mask = (~make_pad_mask(lengths)).unsqueeze(-1).to(embedding)
    h, h_masks = _encode(flow.encoder, flow.input_embedding(tokens) * mask, lengths)
    h_lengths = h_masks.sum(dim=-1).squeeze(dim=-1)
    prompt_frames = prompt_feat.size(1)
    h = flow.encoder_proj(h)
    cond = torch.zeros(n, h.size(1), flow.output_size, device=device, dtype=h.dtype)
    cond[:, :prompt_frames] = prompt_feat
    mask = (~make_pad_mask(h_lengths)).unsqueeze(1).to(h)
    mu = h.transpose(1, 2).contiguous()
    # CausalConditionalCFM.forward: noise like mu, then Euler steps on a (cosine) time grid.
    noise = torch.zeros_like(mu)
    for i, generator in enumerate(generators):
        frames = int(h_lengths[i])
        noise[i, :, :frames] = torch.randn(
            (1, mu.size(1), frames), generator=generator, device=device, dtype=mu.dtype
        )[0]
    cfm = flow.decoder
    steps = 10  # S3Gen.flow_inference's count for the undistilled model
    t_span = torch.linspace(0, 1, steps + 1, device=device, dtype=mu.dtype)
    if cfm.t_scheduler == "cosine":
        t_span = 1 - torch.cos(t_span * 0.5 * torch.pi)
    feat = cfm.solve_euler(
        noise, t_span=t_span, mu=mu, mask=mask, spks=embedding, cond=cond.transpose(1, 2), meanflow=False
    )
    return [feat[i, :, prompt_frames : int(h_lengths[i])] for i in range(n)]


def _encode(encoder: Any, xs: Any, lengths: Any) -> tuple[Any, Any]:
    """``UpsampleConformerEncoder.forward`` for rows padded at the end, with the padding zeroed
    before the look-ahead convolution: alone, a row's look-ahead past its end sees zeros, while
    in a batch it would see the embedding layer's output for padding."""
    from chatterbox.models.s3gen.utils.mask import add_optional_chunk_mask, make_pad_mask

    masks = ~make_pad_mask(lengths, xs.size(1)).unsqueeze(1)
    if encoder.global_cmvn is not None:
        xs = encoder.global_cmvn(xs)
    xs, pos_emb, masks = encoder.embed(xs, masks)
    chunk_masks = add_optional_chunk_mask(
        xs, masks, encoder.use_dynamic_chunk, encoder.use_dynamic_left_chunk, 0, encoder.static_chunk_size, -1
    )
    xs = encoder.pre_lookahead_layer(xs * masks.transpose(1, 2).to(xs.dtype))
    xs = encoder.forward_layers(xs, chunk_masks, pos_emb, masks)
    xs, lengths = encoder.up_layer(xs.transpose(1, 2).contiguous(), lengths)
    xs = xs.transpose(1, 2).contiguous()
    masks = ~make_pad_mask(lengths, xs.size(1)).unsqueeze(1)
    xs, pos_emb, masks = encoder.up_embed(xs, masks)
    chunk_masks = add_optional_chunk_mask(
        xs,
        masks,
        encoder.use_dynamic_chunk,
        encoder.use_dynamic_left_chunk,
        0,
        encoder.static_chunk_size * encoder.up_layer.stride,
        -1,
    )
    xs = encoder.forward_up_layers(xs, chunk_masks, pos_emb, masks)
    if encoder.normalize_before:
        xs = encoder.after_norm(xs)
    return xs, masks
