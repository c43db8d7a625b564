"""ONNX Runtime sessions as every ONNX engine gets them, on a small graph built here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from clarion import allocator
from clarion.config import OnnxOptions, Settings
from clarion.engines.onnx import (
    EditedGraph,
    ShrinkingSession,
    cpu_threads,
    session,
    session_options,
    thread_policy,
)


def tiny_graph(path: Path) -> Path:
    """y = x * 2 + 1 over a tensor of any length: inputs of every size, as TTS sends."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    nodes = [helper.make_node("Mul", ["x", "two"], ["x2"]), helper.make_node("Add", ["x2", "one"], ["y"])]
    graph = helper.make_graph(nodes, "tiny", [x], [y], initializer=[two, one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_memory_patterns_are_off_by_default_and_the_arena_on_and_shrunk() -> None:
    assert OnnxOptions().arena_shrinkage is True
    so = session_options(1, OnnxOptions())
    assert so.enable_mem_pattern is False
    assert so.enable_cpu_mem_arena is True
    assert session_options(1, OnnxOptions(mem_pattern=True)).enable_mem_pattern is True


def test_arena_shrinkage_wraps_the_session_and_keeps_its_results(tmp_path: Path) -> None:
    model = tiny_graph(tmp_path / "tiny.onnx")
    plain = session(model, "cpu", 1, OnnxOptions(arena_shrinkage=False))
    shrinking = session(model, "cpu", 1, OnnxOptions())
    assert isinstance(plain, ort.InferenceSession)
    assert isinstance(shrinking, ShrinkingSession)
    # What callers ask of a session still reaches the real one.
    assert [i.name for i in shrinking.get_inputs()] == ["x"]
    for n in (3, 4096, 17):
        x = np.arange(n, dtype=np.float32)
        (want,) = plain.run(None, {"x": x})
        (got,) = shrinking.run(None, {"x": x})
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, x * 2 + 1)


def test_no_shrinkage_without_the_arena(tmp_path: Path) -> None:
    model = tiny_graph(tmp_path / "tiny.onnx")
    sess = session(model, "cpu", 1, OnnxOptions(arena_shrinkage=True, cpu_mem_arena=False))
    assert isinstance(sess, ort.InferenceSession)


def summing_graph(path: Path) -> Path:
    """y = sum(x * 2): a large intermediate tensor and a one-number output, so after a run
    nothing of the run is still held."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["x2"]),
        helper.make_node("ReduceSum", ["x2"], ["y"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "summing", [x], [y], initializer=[two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def held_mb() -> float:
    """What the process's C allocator has handed out and not had back: what an arena holds,
    whether glibc keeps the pages of what was freed or not."""
    stats = allocator.heap_stats()
    assert stats is not None, "needs glibc 2.33 or later"
    return stats.in_use / 1e6


def test_the_shared_arena_gives_back_what_a_first_long_run_took(tmp_path: Path) -> None:
    """A session's own arena never gives back its first region, sized by its first run; the
    shared one (CLARION_ONNX__SHARED_CPU_ARENA, the default) gives back any free region."""
    model = summing_graph(tmp_path / "summing.onnx")
    long, short = np.ones(16 << 20, np.float32), np.ones(1000, np.float32)  # 64 MiB and 4 KB

    def kept_mb(options: OnnxOptions) -> float:
        sess = session(model, "cpu", 1, options)
        before = held_mb()
        (y,) = sess.run(None, {"x": long})
        assert float(y) == 2.0 * len(long)
        for _ in range(2):
            sess.run(None, {"x": short})
        return held_mb() - before

    assert OnnxOptions().shared_cpu_arena is True
    assert kept_mb(OnnxOptions(shared_cpu_arena=False)) > 60
    assert kept_mb(OnnxOptions()) < 16


def test_several_threads_never_spin_and_one_thread_is_left_alone() -> None:
    keys = ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning")
    for options in (None, OnnxOptions()):
        many = session_options(4, options)
        assert many.intra_op_num_threads == 4
        assert [many.get_session_config_entry(k) for k in keys] == ["0", "0"]
        one = session_options(1, options)
        for key in keys:
            with pytest.raises(RuntimeError, match="does not have"):  # left unset
                one.get_session_config_entry(key)


def test_the_policy_says_how_the_cores_are_used() -> None:
    assert cpu_threads(0) == 1
    assert cpu_threads(6) == 6
    settings = Settings()
    assert "no spinning" in thread_policy(2, 2, 2, settings)
    assert "one intra-op thread" in thread_policy(2, 1, 2, settings)
    assert "single-threaded session" in thread_policy(2, 2, 2, settings)
    # Without the second session, segments at once share the one session's threads.
    alone = settings.model_copy(update={"onnx": OnnxOptions(narrow_session=False)})
    policy = thread_policy(2, 2, 2, alone)
    assert "single-threaded" not in policy and "split every core" in policy


def scaled_graph(path: Path, factor: float) -> Path:
    """y = x * factor: a graph that tells which file a session was built from."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
    k = helper.make_tensor("k", TensorProto.FLOAT, [], [factor])
    mul = helper.make_node("Mul", ["x", "k"], ["y"])
    graph = helper.make_graph([mul], "scaled", [x], [y], initializer=[k])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_the_optimised_graph_is_kept_and_loaded_instead_of_the_source(tmp_path: Path) -> None:
    cache = tmp_path / "graphs"
    source = tiny_graph(tmp_path / "tiny.onnx").read_bytes()
    x = np.arange(5, dtype=np.float32)
    first = session(source, "cpu", 1, OnnxOptions(), cache_dir=cache)
    np.testing.assert_array_equal(first.run(None, {"x": x})[0], x * 2 + 1)
    [kept] = list(cache.glob("*.onnx"))  # whole, under its key; no temporary file left
    ort.InferenceSession(str(kept), providers=["CPUExecutionProvider"])  # a valid graph

    # A later session is built from the kept file, not from the source: swap in a graph that
    # computes something else under the same key and the session computes that.
    scaled_graph(kept, 3.0)
    again = session(source, "cpu", 2, OnnxOptions(), cache_dir=cache)
    np.testing.assert_array_equal(again.run(None, {"x": x})[0], x * 3)


def test_a_torn_kept_graph_is_rebuilt_from_the_source(tmp_path: Path) -> None:
    cache = tmp_path / "graphs"
    source = tiny_graph(tmp_path / "tiny.onnx")
    session(source, "cpu", 1, OnnxOptions(), cache_dir=cache)
    [kept] = list(cache.glob("*.onnx"))
    kept.write_bytes(kept.read_bytes()[:40])  # a crash mid-copy, a full disk
    x = np.arange(3, dtype=np.float32)
    sess = session(source, "cpu", 1, OnnxOptions(), cache_dir=cache)
    np.testing.assert_array_equal(sess.run(None, {"x": x})[0], x * 2 + 1)
    ort.InferenceSession(str(kept), providers=["CPUExecutionProvider"])  # replaced by a whole one


def test_each_source_level_and_device_has_its_own_entry_or_none(tmp_path: Path) -> None:
    cache = tmp_path / "graphs"
    a = tiny_graph(tmp_path / "a.onnx").read_bytes()
    b = scaled_graph(tmp_path / "b.onnx", 5.0).read_bytes()
    x = np.ones(2, dtype=np.float32)
    assert session(b, "cpu", 1, OnnxOptions(), cache_dir=cache).run(None, {"x": x})[0].tolist() == [5, 5]
    assert session(a, "cpu", 1, OnnxOptions(), cache_dir=cache).run(None, {"x": x})[0].tolist() == [3, 3]
    session(a, "cpu", 1, OnnxOptions(graph_optimization="basic"), cache_dir=cache)
    assert len(list(cache.glob("*.onnx"))) == 3
    # Nothing to keep when nothing is optimised; and other providers' graphs are not ours to keep.
    session(a, "cpu", 1, OnnxOptions(graph_optimization="disable"), cache_dir=cache)
    session(a, "cpu", 1, OnnxOptions(providers=["tensorrt", "cpu"]), cache_dir=cache)
    assert len(list(cache.glob("*.onnx"))) == 3


def test_an_edited_graph_is_kept_under_its_file_and_edit_and_not_edited_again(tmp_path: Path) -> None:
    """Kokoro's durations output: the edit runs when the graph is optimised, and a later start
    that finds the entry neither reads the file nor edits it. Another edit, or a changed file,
    has an entry of its own."""
    cache = tmp_path / "graphs"
    path = tiny_graph(tmp_path / "tiny.onnx")
    edits: list[str] = []

    def scaled_by(factor: float) -> Callable[[bytes], bytes]:
        def edit(source: bytes) -> bytes:
            assert source == path.read_bytes()
            edits.append(f"x{factor:g}")
            return scaled_graph(tmp_path / f"scaled-{factor:g}.onnx", factor).read_bytes()

        return edit

    x = np.arange(4, dtype=np.float32)
    for _ in range(2):
        sess = session(EditedGraph(path, scaled_by(5.0), "x5/1"), "cpu", 1, OnnxOptions(), cache_dir=cache)
        np.testing.assert_array_equal(sess.run(None, {"x": x})[0], x * 5)
    assert edits == ["x5"]  # the second session came from the cache
    sess = session(EditedGraph(path, scaled_by(7.0), "x7/1"), "cpu", 1, OnnxOptions(), cache_dir=cache)
    np.testing.assert_array_equal(sess.run(None, {"x": x})[0], x * 7)
    tiny_graph(path)  # written again: a new file under the same name
    os.utime(path, ns=(0, 0))
    session(EditedGraph(path, scaled_by(5.0), "x5/1"), "cpu", 1, OnnxOptions(), cache_dir=cache)
    assert edits == ["x5", "x7", "x5"]
    assert len(list(cache.glob("*.onnx"))) == 3
    # Without the cache, every session is built from the edited bytes.
    sess = session(EditedGraph(path, scaled_by(5.0), "x5/1"), "cpu", 1, OnnxOptions())
    np.testing.assert_array_equal(sess.run(None, {"x": x})[0], x * 5)
    assert len(edits) == 4


def test_an_unwritable_cache_only_costs_the_optimisation(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    x = np.arange(3, dtype=np.float32)
    sess = session(tiny_graph(tmp_path / "tiny.onnx"), "cpu", 1, OnnxOptions(), cache_dir=blocked / "graphs")
    np.testing.assert_array_equal(sess.run(None, {"x": x})[0], x * 2 + 1)
