"""Each language adapter on real captured output (samples/; Go is in Go's documented
format because no Go toolchain is installed here)."""

from pathlib import Path

import pytest

from pipelines.engine.adapters import adapter_for, parse_trace
from pipelines.engine.normalize import normalize

SAMPLES = Path(__file__).with_name("samples")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


@pytest.mark.parametrize(
    ("name", "language", "error_type", "top_frame"),
    [
        ("python.txt", "python", "KeyError", "main:load_config"),
        ("node.txt", "javascript", "TypeError", "index:getName"),
        ("java.txt", "java", "java.lang.NullPointerException", "App:process"),
        ("rust.txt", "rust", "panic", "main:main::pick"),
        ("c_asan.txt", "c", "AddressSanitizer", "prog:fill"),
        ("c_compile.txt", "c", "compiler error", "bad:error"),
        ("go.txt", "go", "runtime.Error", "main:main.pick"),
    ],
)
def test_adapter_detects_and_parses_real_output(name, language, error_type, top_frame):
    text = sample(name)
    assert adapter_for(text).language == language
    trace = parse_trace(text)
    assert trace.error_type == error_type
    in_app = [f for f in trace.frames if f.in_app]
    assert in_app[0].normalized() == top_frame


def test_library_frames_are_not_in_app():
    rust = parse_trace(sample("rust.txt"))
    assert not any(f.in_app for f in rust.frames if f.function.startswith("core::"))
    asan = parse_trace(sample("c_asan.txt"))
    assert not any(f.in_app for f in asan.frames if f.function.startswith("__libc"))


def test_plain_log_line_falls_back_to_log_adapter():
    assert adapter_for("Connection closed by 10.0.0.1 [preauth]").language == "log"


def test_frames_drop_paths_and_lines():
    a = sample("python.txt")
    b = a.replace("/home/", "/Users/").replace("line ", "line 1")
    assert normalize({"stack_trace": a}).frames == normalize({"stack_trace": b}).frames


def test_message_template_generalises_values():
    norm = normalize({"message": "ValueError: invalid literal for int() with base 10: 'abc'"})
    assert norm.canonical_msg == "ValueError: invalid literal for int() with base <*>: '<*>'"
    js = normalize({"message": "cnt is not defined", "language": "javascript"})
    assert js.canonical_msg == "<*> is not defined"
    gcc = normalize({"stack_trace": sample("c_compile.txt")})
    assert "undefined_var" not in gcc.canonical_msg
