#!/bin/sh
# Rebuild models/flowguard-default.{onnx,card.json,pt,learning-curves.png} from a lab corpus.
#
#   npm run lab -- corpus --out CORPUS_DIR --seed 1     # as root; about 10 minutes
#   models/flowguard-default.sh CORPUS_DIR [FLOWS_DIR]
#
# Each lab run becomes one labelled flow CSV (corrected flow-meter mode), then the model is
# trained on them. Run from the repository root. The card's corpus.sha256 identifies the CSVs,
# so compare it with the shipped card to know whether the corpus is the same.
set -eu

corpus=${1:?usage: models/flowguard-default.sh CORPUS_DIR [FLOWS_DIR]}
flows=${2:-/tmp/flowguard-lab-flows}

[ -f dist/cli.js ] || npm run build
mkdir -p "$flows"
for labels in "$corpus"/*.labels.json; do
  run=$(basename "$labels" .labels.json)
  node bin/flowguard.js dataset --pcap "$corpus/$run.pcap" --labels "$labels" --mode corrected -o "$flows/$run.csv"
done
# The manifest names the scenario of each run, which --holdout auto groups by.
cp "$corpus/corpus.json" "$flows/corpus.json"

npm run train -- --data "$flows" --out models --name flowguard-default --model-version flowguard-default-1 \
  --arch 2 --scaling minmax --batch-size 64 --max-windows-per-epoch 8000 --epochs 50 --patience 8 \
  --seed 1 --threads 1
