/**
 * Server-rendered bars for the credit usage page (R9): inline SVG sized by SVG attributes and
 * coloured by the stylesheet's classes, so they need no script and no `style` attribute (the
 * CSP's `style-src 'self'` refuses inline styles). Every figure is also in the page's text;
 * the bars are decoration for the eye (`aria-hidden`).
 */
import { html, type SafeHtml } from '../../../lib/adapters/http/html.js';

/**
 * `part` as a percentage of `whole`, from 0 to 100 with one decimal; a part above zero is never
 * drawn narrower than 0.5 %, so it stays visible next to a much larger one.
 */
export function barPercent(part: number, whole: number): number {
  if (!(whole > 0) || !(part > 0)) return 0;
  const percent = Math.min(100, (part / whole) * 100);
  return Math.max(0.5, Math.round(percent * 10) / 10);
}

export interface UsageSegments {
  /** Allocated credits the licenses cover. */
  readonly allocated: number;
  /** The balance still free. */
  readonly free: number;
  /** Allocations beyond the total (over-allocation). */
  readonly over: number;
}

/**
 * The widths (percent) of the usage bar's segments: allocated and free add up to the total;
 * when allocations exceed the total the bar's scale is what is allocated, and the part beyond
 * the total is its own segment.
 */
export function usageSegments(total: number, allocated: number): UsageSegments {
  const t = Math.max(0, total);
  const a = Math.max(0, allocated);
  if (a > t) {
    const covered = barPercent(t, a);
    return { allocated: covered, free: 0, over: Math.round((100 - covered) * 10) / 10 };
  }
  const used = barPercent(a, t);
  return { allocated: used, free: t > 0 ? Math.round((100 - used) * 10) / 10 : 0, over: 0 };
}

const HEIGHT = 10;

/** One horizontal bar: the track, then each segment from the left with its class. */
export function bar(segments: readonly { readonly percent: number; readonly kind: string }[]): SafeHtml {
  let x = 0;
  const rects = segments
    .filter((s) => s.percent > 0)
    .map((s) => {
      const rect = html`<rect class="${s.kind}" x="${x}" width="${s.percent}" height="${HEIGHT}"/>`;
      x = Math.round((x + s.percent) * 10) / 10;
      return rect;
    });
  return html`<svg class="bar" viewBox="0 0 100 ${HEIGHT}" preserveAspectRatio="none" width="100%" height="${HEIGHT}" aria-hidden="true" focusable="false"><rect class="track" width="100" height="${HEIGHT}"/>${rects}</svg>`;
}

/** The usage bar of a business: allocated, free, and over-allocated credits. */
export function usageBar(total: number, allocated: number): SafeHtml {
  const s = usageSegments(total, allocated);
  return bar([
    { percent: s.allocated, kind: 'used' },
    { percent: s.free, kind: 'free' },
    { percent: s.over, kind: 'over' },
  ]);
}
