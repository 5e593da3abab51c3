// The dashboard's one stylesheet, served by the Worker under a content-hashed name so it is cached
// for good. No framework: system fonts, a readable measure, and layouts that fold onto a phone.
export const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#5b6474;--line:#dfe3ea;--brand:#3b4cca;--brand-ink:#fff;
--ok:#0f7a3d;--ok-bg:#e3f5ea;--bad:#b42318;--bad-bg:#fde8e6;--warn:#8a5a00;--warn-bg:#fff2d6;--off:#4b5563;--off-bg:#eceef2;
--code:#f3f4f7;--focus:#1d4ed8;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
*{box-sizing:border-box}body{margin:0;line-height:1.5;font-size:15px}
a{color:var(--brand)}a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}.skip:focus{left:.5rem}
header.top{background:#161b2e;color:#fff}
.top .bar{max-width:1120px;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem}
.brand{color:#fff;font-weight:700;text-decoration:none;font-size:1.1rem;display:flex;align-items:center;gap:.4rem}
.top nav{display:flex;gap:.25rem;flex-wrap:wrap}
.top nav a{color:#d7dcf5;text-decoration:none;padding:.35rem .6rem;border-radius:6px}
.top nav a[aria-current=page],.top nav a:hover{background:#2a3152;color:#fff}
.who{margin-left:auto;display:flex;align-items:center;gap:.75rem;font-size:.875rem;color:#c3c8dc;flex-wrap:wrap}
.who form{margin:0}.who button{background:transparent;color:#fff;border:1px solid #4a5275}
main{max-width:1120px;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .75rem}h3{font-size:1rem;margin:0 0 .5rem}
.crumbs{font-size:.875rem;color:var(--muted);margin:0}.crumbs a{color:var(--muted)}
.head{display:flex;flex-wrap:wrap;align-items:flex-start;justify-content:space-between;gap:.75rem}
.head .actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.section-head{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1rem;margin:1.5rem 0 .5rem}.section-head h2{margin:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin:0 0 1rem}
.card.tight{padding:.75rem 1rem}
.muted{color:var(--muted)}.small{font-size:.85rem}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
code{background:var(--code);padding:.05rem .3rem;border-radius:4px;overflow-wrap:anywhere}
pre{background:var(--code);border:1px solid var(--line);border-radius:8px;padding:.75rem;overflow:auto;margin:.25rem 0 .75rem;max-height:32rem;white-space:pre}
button,.button{font:inherit;font-size:.9rem;border-radius:7px;border:1px solid var(--line);background:#fff;color:var(--ink);padding:.4rem .8rem;
cursor:pointer;text-decoration:none;display:inline-flex;align-items:center;gap:.35rem;min-height:2.25rem}
button.primary,.button.primary{background:var(--brand);color:var(--brand-ink);border-color:var(--brand)}
button.danger{color:var(--bad);border-color:#f1b8b2}button.danger:hover{background:var(--bad-bg)}
button:hover,.button:hover{filter:brightness(.97)}button[disabled]{opacity:.6;cursor:progress}
form.inline{display:inline-flex;gap:.4rem;align-items:center;margin:0;flex-wrap:wrap}form.inline label{display:inline;margin:0}form.inline select{width:auto}
label{font-weight:600;display:block;margin-bottom:.25rem}
.hint{font-weight:400;color:var(--muted);font-size:.85rem;display:block}
input[type=text],input[type=url],input[type=password],input[type=number],select,textarea{font:inherit;width:100%;padding:.45rem .6rem;
border:1px solid #c5ccd8;border-radius:7px;background:#fff;color:var(--ink)}
input[type=number]{width:6.5rem}textarea{min-height:5rem;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
input[aria-invalid=true],textarea[aria-invalid=true]{border-color:var(--bad);background:#fffafa}
.field{margin:0 0 1rem}.field .error{color:var(--bad);font-size:.875rem;margin:.25rem 0 0}
fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 1rem;padding:.5rem .9rem .75rem}legend{font-weight:600;padding:0 .3rem}
.choices{display:flex;flex-wrap:wrap;gap:.35rem 1.25rem}.choices label{font-weight:400;display:flex;gap:.4rem;align-items:center;margin:0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:0 1.25rem}
.pill{display:inline-flex;align-items:center;gap:.3rem;font-size:.8rem;font-weight:600;padding:.1rem .55rem;border-radius:999px;white-space:nowrap;
border:1px solid transparent}
.pill::before{content:"";width:.5rem;height:.5rem;border-radius:50%;background:currentColor}
.pill.ok{color:var(--ok);background:var(--ok-bg)}.pill.bad{color:var(--bad);background:var(--bad-bg)}
.pill.warn{color:var(--warn);background:var(--warn-bg)}.pill.off{color:var(--off);background:var(--off-bg)}
.notice{border-radius:8px;padding:.65rem .9rem;margin:0 0 1rem;border:1px solid}
.notice.success{background:var(--ok-bg);border-color:#a8dcbc;color:#0b4f28}.notice.error{background:var(--bad-bg);border-color:#f1b8b2;color:#7a1a11}
.notice.info{background:#e8edff;border-color:#c0cbf5;color:#1f2d7a}.notice ul{margin:.25rem 0 0;padding-left:1.2rem}
.empty{text-align:center;padding:2rem 1rem;color:var(--muted)}.empty h2,.empty h3{color:var(--ink);margin-top:0}
figure{margin:0}
.table-wrap{display:block;overflow-x:auto;border:1px solid var(--line);border-radius:10px;background:var(--card);margin:0 0 1rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.55rem .75rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:#fafbfc}tr:last-child td,tr:last-child th{border-bottom:0}
td.num{font-variant-numeric:tabular-nums}tbody tr:hover{background:#fafbff}
.tabs{display:flex;gap:.25rem;border-bottom:1px solid var(--line);margin:0 0 1rem;flex-wrap:wrap}
.tabs a{padding:.45rem .8rem;text-decoration:none;color:var(--muted);border-bottom:3px solid transparent;margin-bottom:-1px}
.tabs a[aria-current=page]{color:var(--ink);border-bottom-color:var(--brand);font-weight:600}
.flag{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.2fr);gap:.5rem 1.5rem}
.flag .controls{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:center;margin:.5rem 0}
.flag pre{margin:0}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.35rem 1rem;margin:0}dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.diff{padding:.5rem 0}.diff span{display:block;padding:0 .75rem;min-height:1.3em;min-width:100%;width:max-content}
.diff .added,.added-key{background:#e3f5ea;color:#0b4f28}.diff .removed,.removed-key{background:#fde8e6;color:#7a1a11}
.added-key,.removed-key{padding:0 .25rem;border-radius:3px;font-family:ui-monospace,Menlo,Consolas,monospace}
.entry .meta{display:flex;flex-wrap:wrap;gap:.35rem 1rem;align-items:center;margin-bottom:.5rem}
.entry .entry-title{font-size:1rem;margin:0}.entry-comment{margin:.25rem 0 .5rem;padding-left:.75rem;border-left:3px solid var(--line);font-style:italic;overflow-wrap:anywhere}
.entry-part{margin-top:.5rem}.entry-part h4{margin:.5rem 0 .25rem}.entry-actions{margin:.75rem 0 0}.revert-check textarea{width:100%}
.attempt h3{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.headers td:first-child{white-space:nowrap;font-weight:600}
.headers td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;overflow-wrap:anywhere}
.headers tr.signed td{background:#eef2ff}.tag{font-size:.72rem;font-weight:700;color:#3730a3;background:#e0e7ff;border-radius:4px;padding:0 .3rem;
margin-left:.35rem;font-family:system-ui,sans-serif}
output.result{display:inline-block;font-weight:600;font-size:.9rem}output.result.ok{color:var(--ok)}output.result.bad{color:var(--bad)}
.pager{display:flex;gap:.75rem;justify-content:space-between;align-items:center;flex-wrap:wrap}
.signin{max-width:26rem;margin:8vh auto}.signin .brand{color:var(--ink);font-size:1.4rem;margin-bottom:1rem}
details>summary{cursor:pointer;font-weight:600}details[open]>summary{margin-bottom:.75rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
h1,h2,h3,p,li,dd,legend,label,.notice{overflow-wrap:anywhere}
.truncate{display:inline-block;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:bottom}
.notice.warn{background:var(--warn-bg);border-color:#f0d48a;color:#4d3300}.notice p{margin:.25rem 0}.notice form{margin-top:.5rem}
input[type=search]{font:inherit;padding:.45rem .6rem;border:1px solid #c5ccd8;border-radius:7px;background:#fff;color:var(--ink)}
select{max-width:100%}input[type=color]{width:3.25rem;height:2.4rem;padding:.15rem;border:1px solid #c5ccd8;border-radius:7px;background:#fff}
.small-button{min-height:1.9rem;padding:.2rem .6rem;font-size:.85rem}
.search{margin:0 0 1rem;display:flex}.search input{flex:1 1 10rem;min-width:0;width:auto}
table.flags .flag-cell{min-width:12rem;max-width:24rem;text-transform:none;letter-spacing:0;font-size:.95rem;color:var(--ink);background:transparent}
table.flags .flag-cell .truncate{max-width:22rem}table.flags .flag-name{display:block;max-width:100%}
table.flags .env-cell{min-width:9.5rem}table.flags .env-cell .summary{display:block}table.flags .env-cell form{margin:.25rem .4rem .25rem 0}
.tags{display:flex;flex-wrap:wrap;gap:.25rem;margin-top:.25rem}.tag-chip{font-size:.75rem;background:#e0e7ff;color:#3730a3;border-radius:4px;
padding:0 .35rem;max-width:12rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.env-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,18rem),1fr));gap:1rem}.env-card{min-width:0}
.env-card h3{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.env-card .controls,.card .controls,p.controls,.condition .controls,.variation .controls{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;
margin:.5rem 0}
.editor-layout{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1.25rem;align-items:start}
.editor-layout aside{position:sticky;top:1rem;min-width:0}
.rule-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,12rem),1fr));gap:0 1rem}
.variation-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,2fr) auto minmax(0,1fr);gap:0 1rem}
fieldset.rule,fieldset.variation{background:#fafbfc;min-width:0}fieldset.condition{min-width:0}
.checkbox-field label{display:flex;gap:.4rem;align-items:center;margin-top:1.9rem}
.js .no-js-only{display:none}.js-only{display:none!important}.js .js-only{display:inline-flex!important}[data-operand][hidden]{display:none}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}.filters .field{margin:0;flex:1 1 12rem;min-width:0}
.filters input[type=search]{width:100%}.filters .controls{margin:0}
.change-list{padding-left:2rem}.entry .meta .entry-flag{min-width:0;max-width:100%}.entry .meta .truncate{max-width:min(100%,30rem)}
ul.changes{margin:.25rem 0 .5rem;padding-left:1.2rem}
.choices.stacked{flex-direction:column;gap:.4rem}.format-choice{min-width:0}.format-choice>.hint{margin-left:1.6rem}
.event-choices{display:grid;gap:.5rem}.event-choice{min-width:0}
.event-choice>label{font-weight:400;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0}.event-choice>.hint{margin:0 0 0 1.6rem}
details.sample{margin:.15rem 0 .35rem 1.6rem;min-width:0}details.sample>summary{font-weight:400;font-size:.85rem}details.sample pre{max-height:20rem}
form:has(input[name=format][value=rollgate]:checked) [data-sample]:not([data-sample=rollgate]),
form:has(input[name=format][value=tggl]:checked) [data-sample]:not([data-sample=tggl]),
form:has(input[name=format][value=slack]:checked) [data-sample]:not([data-sample=slack]),
form:has(input[name=format][value=sentry]:checked) [data-sample]:not([data-sample=sentry]){display:none}
.secret-once h2{margin-top:0}.secret-once pre{white-space:pre-wrap;overflow-wrap:anywhere}.checks{list-style:none;padding:0;margin:0}
.checks li{display:flex;gap:.6rem;align-items:baseline;padding:.4rem 0;border-bottom:1px solid var(--line)}.checks li:last-child{border-bottom:0}
.checks code{white-space:nowrap}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,9rem),1fr));gap:.5rem 1rem;margin:0}.stats div{min-width:0}
.stats dt{color:var(--muted);font-size:.8rem}.stats dd{margin:0;font-size:1.15rem;font-weight:600;font-variant-numeric:tabular-nums}
td.origin{min-width:9rem;max-width:16rem}td.origin .truncate{max-width:100%}.card>h2:first-child{margin-top:0}
form.new-key input[type=text]{width:auto;flex:1 1 10rem;min-width:0}form.new-key .error{flex-basis:100%;color:var(--bad);margin:0}
.revision{white-space:nowrap}
form.redeliver{max-width:32rem}form.redeliver span{flex:1 1 14rem}
figure.snippet{position:relative;margin:.25rem 0 .75rem}figure.snippet pre{white-space:pre-wrap;overflow-wrap:anywhere;padding-right:4.5rem;margin:0}
figure.snippet button{position:absolute;top:.4rem;right:.4rem}
.cell-notice{display:block;color:var(--ok);font-weight:600}.production-check textarea{width:100%}.production-check .diff{background:#fff}
button.primary:focus-visible,.button.primary:focus-visible{outline:3px solid #111827;outline-offset:2px;box-shadow:0 0 0 2px #fff inset,0 0 0 5px #fbbf24}
.reach-list{margin:.25rem 0;padding-left:1.1rem}.reach-list li.short{color:var(--bad);font-weight:600}span.reach-warning{display:block;color:var(--bad);font-weight:600}
@media (max-width:720px){.flag{grid-template-columns:1fr}.variation-grid{grid-template-columns:1fr}.checkbox-field label{margin-top:0}
.editor-layout{grid-template-columns:1fr}.editor-layout aside{position:static}table.flags .flag-cell .truncate{max-width:12rem}
table.flags .flag-cell{max-width:14rem}.who{margin-left:0;width:100%}main{padding:1rem .75rem 2.5rem}
th,td{padding:.5rem}.hide-narrow{display:none}dl.facts{grid-template-columns:1fr}dl.facts dt{margin-top:.35rem}
.table-wrap.flags-wrap{overflow-x:visible}table.flags,table.flags tbody,table.flags tr,table.flags th,table.flags td{display:block;width:auto}
table.flags thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}table.flags tr{border-bottom:1px solid var(--line);padding:.35rem 0}
table.flags .flag-cell,table.flags .flag-cell .truncate{max-width:100%}table.flags th,table.flags td{border-bottom:0}
table.flags .env-cell{min-width:0;padding:.3rem .75rem}table.flags .env-cell::before{content:attr(data-env-name);display:block;font-size:.75rem;
font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);overflow-wrap:anywhere}}
`;
