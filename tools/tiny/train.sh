#!/usr/bin/env bash
# Trains the embedded tiny policy (models/tiny, `builtin:tiny`): the demo's recipe
# (tools/demo/train.sh — the skill, the working, then sloppy habits) at a smaller size: a fresh
# 4-layer, hidden-64 Llama-style model (~0.25M parameters) on the same deterministic data.
# `sppo init` starts its starter project from it: small enough that SPPO moves it in seconds.
#   bash tools/tiny/train.sh [OUT_DIR]     (default models/tiny; its README.md and LICENSE stay)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-models/tiny}"
B=tools/tiny/build
SPPO=(node --import tsx src/cli/main.ts)
node --import tsx tools/demo/make-data.ts --out "$B" --hidden 64 --layers 4
"${SPPO[@]}" sft --init "$B/config.json" --tokenizer "$B/tokenizer.json" --data "$B/arith.jsonl" --out "$B/stage1" \
  --batch-size 32 --epochs 6 --lr 2e-3 --warmup 50 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1" --data "$B/explain.jsonl" --out "$B/stage1b" \
  --batch-size 32 --epochs 2 --lr 1e-3 --warmup 20 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1b" --data "$B/sft.jsonl" --out "$OUT" \
  --batch-size 32 --epochs 1 --lr 5e-4 --warmup 20 --schedule cosine --seed 1 --backend wasm
node --import tsx tools/demo/evaluate.ts "$OUT"
