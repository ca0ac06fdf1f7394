#!/usr/bin/env python3
"""esnac's PyTorch trainer for the `command` and `slurm` evaluators: one candidate, trained as the
engine's PyTorch workers train it (trainers/torch/esnac_trainer, next to this folder in the
repository and the extension). Its weights come back in the run's format ({weights}), so
fine-tuning, best.weights and `esnac export --weights` work; OUT/result.json gives A(x).

    esnac compress teacher.arch.yaml --dataset mnist --evaluator command --evaluator-command \\
      "/usr/bin/python3 evaluators/pytorch/train.py --init {init} --teacher-weights {teacherWeights} \\
       --data {data} --weights {weights} --out {out} --epochs {epochs} --batch-size {batchSize} \\
       --lr {learningRate} --weight-decay {weightDecay} --distillation {distillation} \\
       --temperature {temperature} --seed {seed} --name {name}"

Arguments: python3 evaluators/pytorch/train.py --help.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'trainers', 'torch'))

from esnac_trainer.train_one import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
