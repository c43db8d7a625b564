"""Kokoro's per-token durations as a graph output, patched into the shipped ONNX bytes.

The int8 export has a single output, the audio; the duration predictor's rounded frame counts
(Round -> Clip -> Cast -> Gather -> CumSum, the CumSum feeding the length regulator) stay
inside. Adding that tensor to the graph's outputs changes nothing the model computes.

Both steps work on the protobuf wire format, without the ``onnx`` package (not part of the
``kokoro`` extra) and without re-serialising 92 MB: scanning the nodes takes ~50 ms, and the
output is added by appending a second, partial ``ModelProto.graph`` to the bytes, which
protobuf parsers merge into the first (repeated fields are concatenated)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Field numbers from onnx.proto.
_MODEL_GRAPH = 7
_GRAPH_NODE = 1
_GRAPH_OUTPUT = 12
_NODE_INPUT, _NODE_OUTPUT, _NODE_OP = 1, 2, 4
_VALUE_INFO_NAME = 1

_WIRE_VARINT, _WIRE_FIXED64, _WIRE_BYTES, _WIRE_FIXED32 = 0, 1, 2, 5

# Ops between the rounding of the predicted durations and their cumulative sum, each taking its
# data as input 0 (an fp16 variant adds Casts; other exports may squeeze instead of gather).
_PASS_THROUGH = frozenset(
    {"Cast", "Clip", "Gather", "Squeeze", "Unsqueeze", "Reshape", "Identity", "Max", "Relu"}
)
_ROUNDING = frozenset({"Round", "Ceil", "Floor"})
_MAX_HOPS = 8


@dataclass(frozen=True, slots=True)
class _Node:
    op: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _length_delimited(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(field number, start, end) of each length-delimited field of the message in buf[start:end]."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == _WIRE_VARINT:
            _, pos = _varint(buf, pos)
        elif wire == _WIRE_FIXED64:
            pos += 8
        elif wire == _WIRE_FIXED32:
            pos += 4
        elif wire == _WIRE_BYTES:
            size, pos = _varint(buf, pos)
            yield field, pos, pos + size
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} at byte {pos}")


def _text(buf: memoryview, start: int, end: int) -> str:
    return bytes(buf[start:end]).decode("utf-8")


def _graph(model: bytes) -> tuple[list[_Node], set[str]]:
    """The nodes of the model's main graph and the names of its outputs."""
    buf = memoryview(model)
    nodes: list[_Node] = []
    outputs: set[str] = set()
    for field, start, end in _length_delimited(buf, 0, len(buf)):
        if field != _MODEL_GRAPH:
            continue
        for gfield, gstart, gend in _length_delimited(buf, start, end):
            if gfield == _GRAPH_NODE:
                ins: list[str] = []
                outs: list[str] = []
                op = ""
                for nfield, nstart, nend in _length_delimited(buf, gstart, gend):
                    if nfield == _NODE_INPUT:
                        ins.append(_text(buf, nstart, nend))
                    elif nfield == _NODE_OUTPUT:
                        outs.append(_text(buf, nstart, nend))
                    elif nfield == _NODE_OP:
                        op = _text(buf, nstart, nend)
                nodes.append(_Node(op, tuple(ins), tuple(outs)))
            elif gfield == _GRAPH_OUTPUT:
                for vfield, vstart, vend in _length_delimited(buf, gstart, gend):
                    if vfield == _VALUE_INFO_NAME:
                        outputs.add(_text(buf, vstart, vend))
    return nodes, outputs


def durations_tensor(nodes: list[_Node]) -> str | None:
    """The per-token frame counts: the input of the CumSum whose data comes, through casts and
    gathers only, from a rounding of the duration predictor's output."""
    producer = {out: node for node in nodes for out in node.outputs}
    for node in nodes:
        if node.op != "CumSum" or not node.inputs:
            continue
        source = producer.get(node.inputs[0])
        for _ in range(_MAX_HOPS):
            if source is None:
                break
            if source.op in _ROUNDING:
                return node.inputs[0]
            if source.op not in _PASS_THROUGH or not source.inputs:
                break
            source = producer.get(source.inputs[0])
    return None


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _WIRE_BYTES) + _encode_varint(len(payload)) + payload


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def with_durations_output(model: bytes) -> tuple[bytes, str | None]:
    """The model with its per-token duration tensor added as an output, and that tensor's
    name (None, and the bytes unchanged, when the graph has no such tensor)."""
    nodes, outputs = _graph(model)
    name = durations_tensor(nodes)
    if name is None or name in outputs:
        return model, name
    # A ValueInfoProto with a name only: onnxruntime infers the type (int64) itself.
    extra = _field(_MODEL_GRAPH, _field(_GRAPH_OUTPUT, _field(_VALUE_INFO_NAME, name.encode("utf-8"))))
    return model + extra, name


# Names the patch for the optimised-graph cache (onnx.EditedGraph): a change to what the patch
# adds must change it, or a cache made before would still be used.
DURATIONS_EDIT = "kokoro-durations-output/1"


def add_durations_output(model: bytes) -> bytes:
    """``with_durations_output``'s bytes alone: the session names the output."""
    return with_durations_output(model)[0]
