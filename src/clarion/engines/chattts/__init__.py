"""ChatTTS (2noise; PyPI ``chattts`` 0.2.5, code AGPL-3.0-or-later, official weights
CC BY-NC 4.0) through the package's own loader and ``Chat.infer``: Mandarin and English.

Model directory (``<models_dir>/chattts``, or ``CLARION_ENGINE_OPTIONS__CHATTTS__PATH``), exactly
what ``Chat.load(source="custom", custom_path=D)`` reads::

    asset/Vocos.safetensors  asset/DVAE.safetensors  asset/Decoder.safetensors  asset/Embed.safetensors
    asset/gpt/config.json  asset/gpt/model.safetensors
    asset/tokenizer/{tokenizer.json, tokenizer_config.json, special_tokens_map.json}
    clarion-manifest.json   (only for checkpoints other than the official one, see below)
    voices/<name>.json      (saved speakers; moved by ``CLARION_ENGINE_OPTIONS__CHATTTS__VOICES_DIR``)

Integrity: the loader refuses files whose sha256 differs from the package's map of the
official release. A directory holding other weights (fine-tuned, or the tests' random ones)
carries ``clarion-manifest.json`` with its own hashes (``clarion models check chattts --path D
--write-manifest``); Clarion hands those hashes to the loader, which then verifies every file
against them. Nothing is ever written into the model directory at load, so it may be read-only.

Batching: one ``synthesize`` call renders its whole batch with one ``Chat.infer(list_of_texts)``
per speaker (the package applies one speaker embedding to a whole call), so concurrent requests
for one voice share one GPT generation. Segments with a ``seed`` are rendered alone: the
package's seeded sampling draws from one generator across the batch, so a batch neighbour
would change the result. ChatTTS decodes a batch padded to its longest item; the padding
decodes to noise, which is cut off each shorter item (see ``_ClarionChat``).

Voices are speaker embeddings (ChatTTS's base16384 strings): ``seed_<n>`` voices are sampled
from the package's speaker statistics with a fixed seed (the same procedure as
``torch.manual_seed(n); chat.sample_random_speaker()``, so the same seed gives the same voice on
every machine), and named voices are saved as JSON files in the voices directory.

Text: Clarion's front end is registered as ChatTTS's normaliser for both of its languages;

The package: ``engine`` (the engine, its options and voices), ``checkpoint`` (model directory,
manifest and checks), ``textprep`` (the package's text preparation in plain Python), ``onnx``
(the decode stages as ONNX graphs and the engine's path through an enabled variant) and
``export`` (exporting them). ``clarion.optimize`` imports these public names, never the other way.
"""

from clarion.engines.chattts.checkpoint import (
    ASSET_FILES,
    CODE_LICENCE,
    MANIFEST_FILE,
    OFFICIAL_WEIGHTS_LICENCE,
    REQUIRED_TOKENS,
    Manifest,
    check_model_dir,
    model_dir,
    official_hashes,
    read_manifest,
    write_manifest,
)
from clarion.engines.chattts.engine import (
    SAMPLE_RATE,
    ChatTTSEngine,
    ChatTTSExtras,
    ChatTTSOptions,
    ChatTTSStats,
    export_checkpoint,
    exported_graphs,
    speaker_from_seed,
    validate_speaker,
)
from clarion.engines.chattts.textprep import TextPrep

__all__ = [
    "ASSET_FILES",
    "CODE_LICENCE",
    "MANIFEST_FILE",
    "OFFICIAL_WEIGHTS_LICENCE",
    "REQUIRED_TOKENS",
    "SAMPLE_RATE",
    "ChatTTSEngine",
    "ChatTTSExtras",
    "ChatTTSOptions",
    "ChatTTSStats",
    "Manifest",
    "TextPrep",
    "check_model_dir",
    "export_checkpoint",
    "exported_graphs",
    "model_dir",
    "official_hashes",
    "read_manifest",
    "speaker_from_seed",
    "validate_speaker",
    "write_manifest",
]
