import { html, type SafeHtml } from "./html.js";

/** One bar: its height value, the axis label and the hover text. */
export interface Bar {
  value: number;
  label: string;
  title: string;
}

const WIDTH = 720;
const HEIGHT = 140;
const AXIS = 18;

/** A small inline SVG bar chart (no scripts, no external assets); values are only used for drawing. */
export function barChart(caption: string, bars: Bar[]): SafeHtml {
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const slot = bars.length ? WIDTH / bars.length : WIDTH;
  const plot = HEIGHT - AXIS;
  const rects = bars.map((bar, i) => {
    const h = max > 0 ? Math.max(bar.value > 0 ? 1 : 0, (bar.value / max) * (plot - 4)) : 0;
    const x = (i * slot + slot * 0.1).toFixed(1);
    const y = (plot - h).toFixed(1);
    return html`<rect x="${x}" y="${y}" width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}" rx="2"><title>${bar.title}</title></rect>`;
  });
  const first = bars[0]?.label ?? "";
  const last = bars.at(-1)?.label ?? "";
  return html`<figure class="chart"><figcaption>${caption}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${caption}">
<line x1="0" y1="${plot}" x2="${WIDTH}" y2="${plot}" class="axis"/>
<g class="bars">${rects}</g>
<text x="0" y="${HEIGHT - 4}">${first}</text><text x="${WIDTH}" y="${HEIGHT - 4}" text-anchor="end">${last}</text>
</svg></figure>`;
}
