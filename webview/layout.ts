// elkjs off the UI thread, as Netron does: one worker started from a blob: URL of elk's worker
// script. A new layout while one runs terminates that worker (elk has no cancel), so only the
// latest graph's layout ever resolves.
import type { ELK, ElkNode } from 'elkjs/lib/elk-api';
import ElkConstructor from 'elkjs/lib/elk-api.js';
import workerSource from 'elkjs/lib/elk-worker.min.js' with { type: 'text' };

export class Layouter {
  private readonly workerUrl = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
  private elk: ELK | undefined;
  private running = 0;
  private latest = 0;

  /** The laid-out graph, or undefined when a newer layout superseded this one. */
  async layout(graph: ElkNode): Promise<ElkNode | undefined> {
    if (this.running > 0) this.dropWorker();
    const ticket = ++this.latest;
    this.elk ??= new ElkConstructor({ workerFactory: () => new Worker(this.workerUrl) });
    const elk = this.elk;
    this.running++;
    try {
      const result = await elk.layout(graph);
      return ticket === this.latest ? result : undefined;
    } finally {
      if (this.elk === elk) this.running--;
    }
  }

  private dropWorker(): void {
    this.elk?.terminateWorker();
    this.elk = undefined;
    this.running = 0;
  }
}
