// Axis ticks for the dashboard's hand-drawn charts.

/** About `count` round ticks (1, 2 or 5 times a power of ten apart) covering [min, max]. */
export function linearTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten (with 2x and 5x between them when few decades are shown) inside [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const decades = Math.log10(max / min);
  const steps = decades <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of steps) {
      const t = m * 10 ** p;
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks;
}
