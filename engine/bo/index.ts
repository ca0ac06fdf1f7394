// The Bayesian-optimisation core, as the search loop sees it: a step's proposals from the
// evaluations so far, random draws, and saved kernels. Inside, one module per part, each behind a
// narrow interface (as Optuna's _gp/ and BoTorch's models / acquisition / optim):
//   embedding/   the Bi-LSTM embedding of an architecture (paper 3.1)
//   gp/          the Gaussian process on embeddings: LOO objective, posterior, its linear algebra
//   kernel/      the learned kernel: fitting the embedding to the GP objective, saving, loading
//   acquisition/ expected improvement
//   optim/       maximisers of an acquisition function: M random samples, evolution
//   bagging.ts   each kernel's random subset of the evaluations
//   screen.ts    what the search loop says of a candidate before training: budgets, a known cost
//   kernel-job.ts, step.ts, threads/   one step: K kernel jobs, in this thread or on worker threads
export { kernelFitOptions, kernelProposals, kernelThreads } from './step';
export type { BoStepInput } from './step';
export type { KnownCost } from './screen';
export { randomProposals } from './proposal';
export type { Proposal } from './proposal';
export { checkedKernelJSON, fitKernel } from './kernel/learned-kernel';
export type { LearnedKernelJSON } from './kernel/learned-kernel';
export type { BiLstmJSON } from './embedding/bilstm';
