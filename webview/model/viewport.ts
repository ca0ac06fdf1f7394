// The graph view's zoom and pan as pure arithmetic: a Fit that stays readable, the transform of a
// viewport kept by its centre, and what it takes to bring a node into view.
import type { GraphDirection, Viewport } from '../../protocol/webview';

export interface Size {
  width: number;
  height: number;
}

export interface Box extends Size {
  x: number;
  y: number;
}

/** Below this zoom the 12 px labels cannot be read: Fit never goes under it. */
export const READABLE_SCALE = 0.6;
/** Fit does not blow a small graph up past this. */
export const MAX_FIT_SCALE = 1.5;
/** A graph too big to fit whole is shown at most at its natural size: more of it in view. */
export const MAX_SCROLL_SCALE = 1;
export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;
/** Room kept free around a fitted graph, in screen pixels. */
const MARGIN = 20;

/**
 * The whole graph when it is readable so. Else a tall graph (laid out top to bottom) fits its
 * width and scrolls its height, from the top; a wide one (left to right) fits its height and
 * scrolls its width, from the left; never under READABLE_SCALE, so a 159-layer ShuffleNet is a
 * readable column to scroll rather than a one-pixel one.
 */
export function fitViewport(graph: Size, view: Size, direction: GraphDirection): Viewport {
  const across = (view.width - 2 * MARGIN) / Math.max(graph.width, 1);
  const along = (view.height - 2 * MARGIN) / Math.max(graph.height, 1);
  const whole = Math.min(MAX_FIT_SCALE, across, along);
  if (whole >= READABLE_SCALE) return { centreX: graph.width / 2, centreY: graph.height / 2, scale: whole, fitted: true };
  const scale = Math.max(READABLE_SCALE, Math.min(MAX_SCROLL_SCALE, direction === 'DOWN' ? across : along));
  // The fitted axis centred (or from its start when even that does not fit), the other from its start.
  const start = (graphLength: number, viewLength: number) => (graphLength * scale + 2 * MARGIN <= viewLength ? graphLength / 2 : (viewLength / 2 - MARGIN) / scale);
  const fromStart = (viewLength: number) => (viewLength / 2 - MARGIN) / scale;
  return direction === 'DOWN'
    ? { centreX: start(graph.width, view.width), centreY: fromStart(view.height), scale, fitted: true }
    : { centreX: fromStart(view.width), centreY: start(graph.height, view.height), scale, fitted: true };
}

/** The SVG transform that shows `viewport` in a view of `view`'s size. */
export function transformOf(viewport: Viewport, view: Size): { x: number; y: number; scale: number } {
  return { x: view.width / 2 - viewport.centreX * viewport.scale, y: view.height / 2 - viewport.centreY * viewport.scale, scale: viewport.scale };
}

/** Moved by a screen distance (a drag, a wheel): no longer fitted. */
export function panBy(viewport: Viewport, dx: number, dy: number): Viewport {
  return { ...viewport, centreX: viewport.centreX - dx / viewport.scale, centreY: viewport.centreY - dy / viewport.scale, fitted: false };
}

/** Zoomed by `factor` about a screen point (the view's centre when none), which stays where it is. */
export function zoomAt(viewport: Viewport, factor: number, view: Size, at?: { x: number; y: number }): Viewport {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, viewport.scale * factor));
  const { x: px, y: py } = at ?? { x: view.width / 2, y: view.height / 2 };
  const dx = px - view.width / 2;
  const dy = py - view.height / 2;
  // The graph point under (px, py) before and after must be the same.
  return {
    centreX: viewport.centreX + dx / viewport.scale - dx / scale,
    centreY: viewport.centreY + dy / viewport.scale - dy / scale,
    scale,
    fitted: false,
  };
}

/** The viewport moved just enough that `box` is inside the view with a margin; unchanged when it already is. */
export function bringIntoView(viewport: Viewport, box: Box, view: Size): Viewport {
  const { x, y, scale } = transformOf(viewport, view);
  // How far to move the screen span [from, from + length) so it shows; centred when it cannot.
  const shift = (from: number, length: number, viewLength: number) => {
    const to = from + length;
    if (length + 2 * MARGIN > viewLength) return viewLength / 2 - (from + to) / 2;
    if (from < MARGIN) return MARGIN - from;
    if (to > viewLength - MARGIN) return viewLength - MARGIN - to;
    return 0;
  };
  const dx = shift(x + box.x * scale, box.width * scale, view.width);
  const dy = shift(y + box.y * scale, box.height * scale, view.height);
  return dx === 0 && dy === 0 ? viewport : panBy(viewport, dx, dy);
}

/** Whether a viewport read back from a webview state is one of ours (older versions kept x/y). */
export function isViewport(value: unknown): value is Viewport {
  const v = value as Partial<Viewport> | undefined;
  return typeof v?.centreX === 'number' && typeof v.centreY === 'number' && typeof v.scale === 'number' && typeof v.fitted === 'boolean';
}
