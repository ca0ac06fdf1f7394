#!/usr/bin/env bash
# The PyTorch evaluator on an NVIDIA GPU, in under 5 minutes and without network:
#  1. img/s of a ResNet-18 32x32x3 candidate in the PyTorch worker vs a bare PyTorch loop on the
#     same net, with and without autocast (bench/gpu/throughput.py);
#  2. a 2-step search with --evaluator pytorch on the embedded MNIST (resnet-mini teacher).
# Results: bench/results/gpu.json (and the search's run folder under $TMPDIR).
#
# Needs: an NVIDIA GPU, a Python with torch (CUDA) as $ESNAC_PYTHON or python3, and this
# repository as built where there was network (npm ci && npm run build: node_modules and dist/
# travel with it). Node: on PATH, or a release tarball given as the first argument
# (node-v20.x-linux-x64.tar.xz), unpacked into a temporary folder.
#
#   bench/gpu/run.sh [node-vXX-linux-x64.tar.xz]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
  tar -xf "$1" -C "$work"
  PATH="$(echo "$work"/node-*/bin):$PATH"
fi
python=${ESNAC_PYTHON:-python3}
node --version
"$python" -c 'import torch; assert torch.cuda.is_available(), "no CUDA GPU"; print("torch", torch.__version__, torch.cuda.get_device_name(0))'
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm ci && npm run build first" >&2; exit 1; }

node dist/cli.js zoo resnet18 --dataset cifar10 -o "$work/resnet18.arch.json"
node dist/cli.js export "$work/resnet18.arch.json" --to pytorch -o "$work/resnet18.py"
PYTHONPATH=trainers/torch "$python" bench/gpu/throughput.py "$work/resnet18.arch.json" "$work/resnet18.py" 20 256 > "$work/throughput.json"

node dist/cli.js zoo resnet-mini --dataset mnist -o "$work/teacher.arch.yaml"
started=$(date +%s.%N)
node dist/cli.js compress "$work/teacher.arch.yaml" --dataset mnist --evaluator pytorch --python "$(command -v "$python")" \
  --steps 2 --kernels 4 --epochs 2 --teacher-epochs 3 --limit-train 8192 --limit-validation 2048 \
  --acquisition-samples 200 --finetune-top 1 --finetune-epochs 1 -o "$work/run" | tee "$work/search.log"
ended=$(date +%s.%N)

node -e '
const fs = require("fs");
const [throughput, runDir, log, started, ended, out] = process.argv.slice(1);
const journal = fs.readFileSync(runDir + "/journal.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
const candidates = journal.filter((e) => e.type === "candidate");
const result = {
  benchmark: "gpu", date: new Date().toISOString(),
  throughput: JSON.parse(fs.readFileSync(throughput, "utf8")),
  search: {
    seconds: Number(ended) - Number(started), evaluator: JSON.parse(fs.readFileSync(runDir + "/run.json", "utf8")).versions,
    teacher: journal.find((e) => e.type === "teacher"),
    candidates: candidates.map((c) => ({ name: c.name, status: c.status, accuracy: c.accuracy, seconds: c.seconds, backend: c.backend })),
    workers: fs.readFileSync(log, "utf8").split("\n").find((l) => l.startsWith("PyTorch workers")),
  },
};
fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
console.log("wrote " + out);
' "$work/throughput.json" "$work/run" "$work/search.log" "$started" "$ended" bench/results/gpu.json
