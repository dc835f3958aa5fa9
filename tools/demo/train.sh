#!/usr/bin/env bash
# Trains the embedded demo policy (models/demo) from nothing with our own `sppo sft` on the wasm
# CPU backend: ~10 minutes on 2 CPU cores. The data is deterministic (tools/demo/make-data.ts).
#   stage 1   the skill: two-digit sums and differences, right short answers ("23+58=" → "81");
#             a fresh ~0.9M-parameter model, 6 epochs, AdamW lr 1e-3 cosine
#   stage 1b  the working: right answers that explain themselves ("81 (since 23+58=81)"), 2 epochs
#   stage 2   the habits: the same prompts with a mixed bag of answers — right or a little off,
#             terse or chatty — 2 passes with fresh answers, lr 5e-4: the model SPPO starts from
# Then prints the model's accuracy on the held-out evaluation prompts (tools/demo/evaluate.ts).
#   bash tools/demo/train.sh [OUT_DIR]     (default models/demo; its README.md and LICENSE stay)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-models/demo}"
B=tools/demo/build
SPPO=(node --import tsx src/cli/main.ts)
node --import tsx tools/demo/make-data.ts --out "$B"
"${SPPO[@]}" sft --init "$B/config.json" --tokenizer "$B/tokenizer.json" --data "$B/arith.jsonl" --out "$B/stage1" \
  --batch-size 32 --epochs 6 --lr 1e-3 --warmup 50 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1" --data "$B/explain.jsonl" --out "$B/stage1b" \
  --batch-size 32 --epochs 2 --lr 1e-3 --warmup 20 --schedule cosine --seed 0 --backend wasm
"${SPPO[@]}" sft --model "$B/stage1b" --data "$B/sft.jsonl" --out "$OUT" \
  --batch-size 32 --epochs 1 --lr 5e-4 --warmup 20 --schedule cosine --seed 1 --backend wasm
node --import tsx tools/demo/evaluate.ts "$OUT"
