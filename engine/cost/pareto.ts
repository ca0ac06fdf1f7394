// The result of a search is the Pareto front of (cost, accuracy): the candidates no other beats on
// both, from which a user picks the trade-off they need. Pure, for the engine and the webview.

/**
 * The points no other point beats: none has at least the accuracy at a lower cost, or more
 * accuracy at no more cost. Sorted by cost; of equal points only the first is kept.
 */
export function paretoFront<T>(points: T[], cost: (p: T) => number, accuracy: (p: T) => number): T[] {
  const sorted = points
    .map((point, index) => ({ point, index, cost: cost(point), accuracy: accuracy(point) }))
    .sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy || a.index - b.index);
  const front: typeof sorted = [];
  for (const p of sorted) {
    if (front.length === 0 || p.accuracy > front[front.length - 1].accuracy) front.push(p);
  }
  return front.map((p) => p.point);
}
