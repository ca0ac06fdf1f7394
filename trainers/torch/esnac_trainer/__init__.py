"""esnac's PyTorch trainer: networks built from esnac architecture specs, trained as the engine's
local evaluator trains them, driven by the engine over stdio (worker) or run for one candidate
(train_one). Needs torch only. docs/pytorch-worker.md describes the protocol."""
