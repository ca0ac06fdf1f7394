// The webview's entry point: one script for all three panel types. The first message from the
// host decides which view this panel is; `ready` tells the host its queued messages can come.
import type { HostMessage } from '../protocol/webview';
import { DashboardView } from './dashboard-view';
import { GraphView } from './graph-view';
import { connectHost } from './state';
import './style.css';

const host = connectHost();
const root = document.getElementById('root')!;
let graphView: GraphView | undefined;
let dashboardView: DashboardView | undefined;

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  host.updateState({ subject: message.subject });
  switch (message.type) {
    case 'graph':
      graphView ??= new GraphView(root, host);
      void graphView.show(message.graph, message.problems, message.stale, undefined, message.layerProblems);
      break;
    case 'select':
      graphView?.selectFromEditor(message.layerId);
      break;
    case 'graphDiff':
      graphView ??= new GraphView(root, host);
      void graphView.show(message.graph, [], false, message.summary);
      break;
    case 'failure':
      graphView ??= new GraphView(root, host);
      graphView.showFailure(message.message);
      break;
    case 'run':
      dashboardView ??= new DashboardView(root, host);
      dashboardView.show(message.run);
      break;
  }
});

host.post({ type: 'ready' });
