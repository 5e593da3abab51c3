// The dashboard's only script: niceties on top of forms that already work without it.
//   - forms with data-confirm ask first (a delete);
//   - forms with data-inline-test send the webhook test with fetch and show the outcome beside the
//     button, instead of reloading the page (without JavaScript the server redirects with the result);
//     and, on a webhook's page, reloads its delivery history so the test delivery appears in it;
//   - <time data-local> shows the reader's local time.
export const SCRIPT = `
(function () {
  "use strict";
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

  function refreshHistory() {
    var history = document.getElementById("history");
    if (!history) return;
    return fetch(location.href, { credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("history");
        if (!fresh) return;
        history.replaceWith(fresh);
        localTimes(fresh);
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
})();
`;
