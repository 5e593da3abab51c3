// The dashboard's only script: niceties on top of forms that already work without it.
//   - forms with data-confirm ask first (a delete);
//   - forms with data-inline-test send the webhook test with fetch and show the outcome beside the
//     button, instead of reloading the page (without JavaScript the server redirects with the result);
//     and reads again the parts it changes (data-refresh: the delivery history, the health), so the
//     test delivery and the webhook's new health appear without a reload;
//   - <time data-local> shows the reader's local time;
//   - a key field follows the name field as it is typed, until the person edits the key;
//   - a rule shows only the input its operator takes, with that operator's rule in words;
//   - the new-flag form's value hints follow the chosen type;
//   - buttons with data-copy copy the text of the element they name (a secret shown once).

/**
 * What the script must know of the flag pages' fields, from the same tables the server renders them
 * with. The router hands them in, so the page frame that links the script depends on no page.
 */
export interface ScriptTables {
  /** Each rule operator: the input it takes and its rule in words. */
  operators: readonly { operator: string; operand: string; hint: string }[];
  /** The value hint of each flag type. */
  valueHints: Record<string, string>;
}

export function dashboardScript({ operators, valueHints }: ScriptTables): string {
  const operands = JSON.stringify(Object.fromEntries(operators.map((o) => [o.operator, [o.operand, o.hint]])));
  const behaviours = [FORMS_AND_TIMES, KEY_FIELDS, fieldHints(operands, JSON.stringify(valueHints)), COPY_BUTTONS];
  return `
(function () {
  "use strict";
${behaviours.join("")}})();
`;
}

const FORMS_AND_TIMES = `  document.documentElement.classList.add("js");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.hasAttribute("data-inline-test")) { event.preventDefault(); sendTest(form); }
  });

  function sendTest(form) {
    var button = form.querySelector("button");
    var output = form.querySelector("output");
    button.disabled = true;
    output.className = "result";
    output.textContent = "Sending…";
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (res) {
        // A redirect to the sign-in page answers HTML: the session ended while the page was open.
        if ((res.headers.get("content-type") || "").indexOf("json") < 0) throw new Error("Your session ended: reload the page and sign in again.");
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) throw new Error((answer.body && answer.body.error) || "The test could not be sent.");
        show(output, answer.body);
        return refreshHistory();
      })
      .catch(function (err) { output.className = "result bad"; output.textContent = err.message; })
      .then(function () { button.disabled = false; });
  }

  function show(output, result) {
    var code = result.status_code === null ? "no answer" : "HTTP " + result.status_code;
    output.className = "result " + (result.success ? "ok" : "bad");
    output.textContent = (result.success ? "✓ Success" : "✗ Failed") + " · " + code + " · " + result.response_time_ms + " ms";
  }

  // After a test, the parts of the page that it changes (marked data-refresh, each with an id: the
  // delivery history, the webhook's health and figures) are read again, without a reload.
  function refreshHistory() {
    var parts = document.querySelectorAll("[data-refresh][id]");
    if (!parts.length) return;
    return fetch(location.href, { credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (part) {
          var fresh = doc.getElementById(part.id);
          if (!fresh) return;
          part.replaceWith(fresh);
          localTimes(fresh);
        });
      });
  }

  function localTimes(root) {
    var times = root.querySelectorAll("time[data-local]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(date.getTime())) {
        times[i].title = times[i].textContent;
        times[i].textContent = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
      }
    }
  }
  localTimes(document);

`;

const KEY_FIELDS = `  function keyOf(name) {
    return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-").replace(/^[-_]+/, "").replace(/-+$/, "").replace(/-{2,}/g, "-").slice(0, 64);
  }
  var sources = document.querySelectorAll("input[data-key-source]");
  for (var s = 0; s < sources.length; s++) (function (source) {
    var key = source.form && source.form.querySelector("input[data-key-target]");
    if (!key) return;
    var following = key.value === "" || key.value === keyOf(source.value);
    key.addEventListener("input", function () { following = key.value === ""; });
    source.addEventListener("input", function () { if (following) key.value = keyOf(source.value); });
  })(sources[s]);

`;

/** Built from the server's own tables, so a rule's inputs and hints in the browser are the ones the server renders. */
const fieldHints = (OPERANDS: string, VALUE_HINTS_JSON: string) => `  var OPERANDS = ${OPERANDS};
  function showOperand(select) {
    var rule = select.closest("[data-rule]");
    if (!rule) return;
    var info = OPERANDS[select.value] || ["none", ""];
    var parts = rule.querySelectorAll("[data-operand]");
    for (var i = 0; i < parts.length; i++) parts[i].hidden = parts[i].getAttribute("data-operand") !== info[0];
    var hint = rule.querySelector("[data-operand-hint]");
    if (hint) hint.textContent = info[1];
  }
  var operators = document.querySelectorAll("select[data-operator]");
  for (var o = 0; o < operators.length; o++) showOperand(operators[o]);
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-operator]")) showOperand(target);
    if (target.matches && target.matches("select[data-flag-type]")) {
      var hints = target.form.querySelectorAll("[data-value-hint]");
      for (var h = 0; h < hints.length; h++) hints[h].textContent = VALUE_HINTS[target.value] || "";
    }
  });
  var VALUE_HINTS = ${VALUE_HINTS_JSON};

`;

const COPY_BUTTONS = `  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = label; }, 2000); },
      function () { button.textContent = "Select the text to copy it"; }
    );
  });
`;
