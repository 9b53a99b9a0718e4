import { HOUR_STATES } from './hours.js';
import { PAGE_SCRIPT } from './html-script.js';
import { xmlText } from './xml.js';

/**
 * The page around the data (html.ts): inline CSS and script only, and a Content-Security-Policy
 * that forbids every fetch, so the file works from a USB stick on an air-gapped laptop and a
 * hostile key in the data cannot make it load anything. The script builds every text with
 * textContent (never innerHTML).
 */
export const STATE_COLOURS: Record<(typeof HOUR_STATES)[number], string> = {
  none: '#e5e7eb',
  valid: '#16a34a',
  backfill: '#0284c7',
  pending: '#a78bfa',
  gap: '#eab308',
  unreferenced: '#f97316',
  missing: '#111827',
  invalid: '#dc2626',
};

export const STATE_LABELS: Record<(typeof HOUR_STATES)[number], string> = {
  none: 'no digest',
  valid: 'valid',
  backfill: 'backfill',
  pending: 'pending',
  gap: 'gap',
  unreferenced: 'unreferenced logs',
  missing: 'missing',
  invalid: 'INVALID',
};

const CSS = `
*{box-sizing:border-box}
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111827;background:#fff}
header{padding:12px 16px;border-bottom:1px solid #e5e7eb}
h1{font-size:17px;margin:0 0 4px}
#totals{color:#374151}
#totals .bad{color:#b91c1c;font-weight:600}
#controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:8px 16px;border-bottom:1px solid #e5e7eb}
#controls label{display:flex;gap:4px;align-items:center}
#legend{display:flex;flex-wrap:wrap;gap:10px;padding:8px 16px}
#legend span.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-2px}
main{display:flex;gap:0;align-items:stretch}
#wrap{position:relative;flex:1;height:70vh;border-top:1px solid #e5e7eb}
#tl{position:absolute;inset:0;overflow:auto;cursor:crosshair}
#cv{position:absolute;top:0;left:0;pointer-events:none}
#details{width:380px;min-width:380px;height:70vh;overflow:auto;border-left:1px solid #e5e7eb;padding:10px 12px;font-size:12px}
#details h2{font-size:14px;margin:0 0 6px}
#details .item{border-top:1px solid #e5e7eb;padding:6px 0}
#details .k{color:#6b7280}
#details code{word-break:break-all;font-size:11px}
#outside{padding:8px 16px}
.sev-error{color:#b91c1c}.sev-warning{color:#a16207}.sev-info{color:#1d4ed8}
`;

export function pageStart(title: string, metaJson: string): string {
  const legend = HOUR_STATES.map(
    (s) => `<span data-state="${s}"><span class="sw" style="background:${STATE_COLOURS[s]}"></span>${STATE_LABELS[s]} <b class="n"></b></span>`,
  ).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${xmlText(title)}</title><style>${CSS}</style></head>
<body>
<header><h1 id="title">${xmlText(title)}</h1><div id="range"></div><div id="totals">loading...</div></header>
<div id="controls">
<label>account <select id="f-account"><option value="">all</option></select></label>
<label>region <select id="f-region"><option value="">all</option></select></label>
<label>severity <select id="f-severity"><option value="">all chains</option><option value="error">with errors</option><option value="warning">with warnings or errors</option><option value="any">with any finding</option><option value="clean">without findings</option></select></label>
<label>zoom <select id="f-zoom"><option value="hour">hours</option><option value="day">days</option></select></label>
<span id="shown"></span>
</div>
<div id="legend">${legend}</div>
<main><div id="wrap"><canvas id="cv"></canvas><div id="tl"><div id="spacer"></div></div></div><aside id="details"><h2>Details</h2><p>Click a cell.</p></aside></main>
<section id="outside"></section>
<script type="application/json" id="tp-meta">${metaJson}</script>
<script type="application/json" id="tp-colours">${JSON.stringify({ states: HOUR_STATES, colours: HOUR_STATES.map((s) => STATE_COLOURS[s]), labels: HOUR_STATES.map((s) => STATE_LABELS[s]) })}</script>
`;
}

export function pageEnd(summaryJson: string): string {
  return `<script type="application/json" id="tp-summary">${summaryJson}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
