// A readable reference page for the API, rendered in the browser from the OpenAPI document.
export function renderDocsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flagpost API reference</title>
<style>
 body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
 main{max-width:960px;margin:0 auto;padding:24px}
 h1{font-size:26px} h2{margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px;text-transform:capitalize}
 .op{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:10px 0;padding:10px 14px}
 .m{display:inline-block;min-width:58px;font-weight:700;font-family:ui-monospace,monospace}
 .get{color:#2563eb}.post{color:#16a34a}.patch{color:#d97706}.delete{color:#dc2626}
 code,pre{font-family:ui-monospace,monospace;font-size:13px} pre{background:#f1f5f9;padding:8px;overflow:auto;border-radius:6px}
 details summary{cursor:pointer}
</style></head>
<body><main><h1>Flagpost API reference</h1>
<p>Every call but <code>GET /api/v1/openapi.json</code> carries <code>Authorization: Bearer &lt;api key&gt;</code>
(admin calls: the admin token). The machine-readable document is <a href="${specUrl}">${specUrl}</a>.</p>
<div id="ops">Loading…</div></main>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[ch]));
fetch(${JSON.stringify(specUrl)}).then((r) => r.json()).then((doc) => {
  const groups = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    (groups[(op.tags || ["other"])[0]] ??= []).push({ path, method, op });
  }
  const schema = (s) => "<pre>" + esc(JSON.stringify(s, null, 2)) + "</pre>";
  document.getElementById("ops").innerHTML = Object.entries(groups).map(([tag, list]) => "<h2>" + esc(tag) + "</h2>" +
    list.map(({ path, method, op }) => '<div class="op"><span class="m ' + method + '">' + method.toUpperCase() + "</span> <code>/api/v1" + esc(path) + "</code>" +
      (op.summary ? " — " + esc(op.summary) : "") +
      (op.requestBody ? "<details><summary>Request body</summary>" + schema(op.requestBody.content["application/json"].schema) + "</details>" : "") +
      "<details><summary>Responses</summary>" + Object.entries(op.responses).map(([code, r]) => "<b>" + code + "</b> " + esc(r.description) + (r.content ? schema(r.content["application/json"].schema) : "")).join("") + "</details></div>").join("")).join("") +
    "<h2>Schemas</h2>" + Object.entries(doc.components?.schemas ?? {}).map(([n, s]) => "<details><summary><code>" + esc(n) + "</code></summary>" + schema(s) + "</details>").join("");
}).catch((e) => { document.getElementById("ops").textContent = "Could not load the API document: " + e; });
</script></body></html>`;
}
