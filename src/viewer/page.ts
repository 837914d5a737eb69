import type { ViewModel } from './viewModel.ts';

const STYLE = `
  * { box-sizing: border-box; }
  html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #1d2126; background: #f2f3f5; }
  #app { display: flex; height: 100%; }
  #view { flex: 1; min-width: 0; position: relative; }
  #view canvas { display: block; }
  #panel { width: 380px; overflow-y: auto; padding: 10px 12px; background: #fff; border-left: 1px solid #d6d9de; }
  h1 { font-size: 16px; margin: 0 0 4px; } h2 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; color: #555; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 2px 4px; border-bottom: 1px solid #eee; vertical-align: top; }
  th { font-weight: 600; color: #555; }
  tr[data-object-row] { cursor: pointer; } tr.selected { background: #dfe6ff; }
  .status-penetrating td:last-child { color: #c01818; font-weight: 600; } .status-unstable td:last-child { color: #d07000; font-weight: 600; }
  .status-unsupported td:last-child { color: #a020a0; font-weight: 600; } .status-repaired td:last-child { color: #2060c0; }
  .status-moved td:last-child { color: #2060c0; font-weight: 600; } .status-unchecked td:last-child { color: #707070; font-style: italic; }
  .sev-error td:first-child { color: #c01818; } .sev-warning td:first-child { color: #d07000; } .flagged { background: #fff1e0; }
  .verdict { font-weight: 600; } .verdict-valid, .verdict-repaired { color: #18803a; } .verdict-invalid, .verdict-failed { color: #c01818; } .verdict-needs_review { color: #d07000; }
  #input-image { width: 100%; border: 1px solid #d6d9de; margin: 6px 0; }
  .toggles label { display: inline-block; margin-right: 10px; } .views button { margin: 6px 6px 0 0; }
  .muted { color: #777; } .error { color: #c01818; font-weight: 600; }
`;

/** JSON inside `<script>`: `</script>` and `<!--` must not appear literally. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The viewer page. `script` is the bundled app; with `model` the scene is inlined (report.html,
 * works from file:// with no network), without it the page fetches `view-model.json` and listens
 * on `/ws` for live updates.
 */
export function viewerHtml(opts: { title: string; script: string; model?: ViewModel; inlineScript?: boolean }): string {
  const model = opts.model ? `<script id="real2sim-model" type="application/json">${scriptSafeJson(opts.model)}</script>` : '';
  const app = opts.inlineScript ? `<script>${opts.script.replace(/<\/script/gi, '<\\/script')}</script>` : `<script src="app.js"></script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div id="app"><div id="view"></div><div id="panel"><p class="muted">Loading scene…</p></div></div>
${model}
${app}
</body>
</html>
`;
}
