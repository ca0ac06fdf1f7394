// `esnac serve --stdio`: the engine as a language server (engine/server), as editors start it.
import { Command } from 'commander';
import { serveStdio } from '../server/server';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the esnac language server (spec diagnostics, hover, CodeLens..., and the esnac/ search requests) over LSP')
    .requiredOption('--stdio', 'talk LSP over stdin/stdout (the only transport)')
    .action(() => serveStdio());
}
