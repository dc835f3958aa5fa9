#!/usr/bin/env bash
# Trains the tiny example's policy (examples/tiny/model) from nothing with our own `sppo sft` on
# the wasm CPU backend — the demo's recipe (tools/demo/train.sh) at a smaller size, on one-digit
# sums and differences (tools/tiny/make-data.ts):
#   stage 1   the skill: right short answers ("3+4=" → "7"), a fresh 2-layer model
#   stage 1b  the working: right answers that explain themselves ("7 (since 3+4=7)")
#   stage 2   the habits: a mixed bag of answers — right or off by 1–2, terse or chatty — the
#             model SPPO starts from
# Then prints its accuracy on the example's evaluation prompts. Deterministic (seeded).
#   bash tools/tiny/train.sh [OUT_DIR]     (default examples/tiny/model)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-examples/tiny/model}"
B=tools/tiny/build
SPPO=(node --import tsx src/cli/main.ts)
node --import tsx tools/tiny/make-data.ts --out "$B" --hidden 48 --layers 2
"${SPPO[@]}" sft --init "$B/config.json" --tokenizer "$B/tokenizer.json" --data "$B/arith.jsonl" --out "$B/stage1" \
  --batch-size 32 --epochs 4 --lr 3e-3 --warmup 20 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1" --data "$B/explain.jsonl" --out "$B/stage1b" \
  --batch-size 32 --epochs 8 --lr 2e-3 --warmup 20 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1b" --data "$B/sft.jsonl" --out "$B/stage2" \
  --batch-size 32 --epochs 1 --lr 1e-3 --warmup 20 --schedule cosine --seed 1 --backend wasm
mkdir -p "$OUT"
cp "$B/stage2/"{config.json,model.safetensors,tokenizer.json,tokenizer_config.json} "$B/generation_config.json" "$OUT/"
node --import tsx tools/demo/evaluate.ts "$OUT" --prompts examples/tiny/eval-prompts.jsonl
