"""Every large-model path against an engine, on the fixed cases (the same run as `hotline llm check`).

    python bench/llm.py --base-url http://127.0.0.1:8081/v1 --model qwen2.5-1.5b-instruct
    python bench/llm.py                 # the engine of HOTLINE_LLM_BASE_URL / _MODEL / _API_KEY

Prints, per path (KB answers, summaries, drafts, second opinions, injections): the cases, the calls,
the model's text shown after passing its checks, withheld (and why), unavailable, right outcomes,
leaks (unsupported or injected text shown: must be 0), faithfulness, refusals and latency. Run it on
each engine a centre considers (DeepSeek, Qwen, a local model) and compare. Set
HOTLINE_LLM_TIMEOUT_SECONDS higher for a slow local engine (a 1.5B model on 2 CPU cores needs ~60 s
for a draft). The checks themselves are measured on labelled sentences by bench/llm_checks.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pydantic import SecretStr  # noqa: E402

from hotline.assist import harness  # noqa: E402
from hotline.config import get_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--api-key")
    parser.add_argument("--cases", type=Path)
    args = parser.parse_args()
    settings = get_settings()
    settings.llm_base_url = args.base_url or settings.llm_base_url
    settings.llm_model = args.model or settings.llm_model
    if args.api_key:
        settings.llm_api_key = SecretStr(args.api_key)
    if not settings.llm_base_url:
        sys.exit("no engine: pass --base-url or set HOTLINE_LLM_BASE_URL")
    print(harness.render(harness.run(harness.load_cases(args.cases))))


if __name__ == "__main__":
    main()
