// Live updates for the Konflux console, without a build step or any library.
// Every few seconds the page is re-requested with If-None-Match; the server answers
// 304 while nothing changed, and when something did, the new <main> replaces the old
// one (open <details> stay open). Pages are complete without this script.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !window.fetch || !window.DOMParser) return;
  var every = parseInt(main.getAttribute("data-poll-ms"), 10) || 3000;
  var etag = null;
  var live = document.getElementById("live");
  if (live) live.hidden = false;

  function openDetails(root) {
    var open = [];
    root.querySelectorAll("details").forEach(function (d, i) { if (d.open) open.push(i); });
    return open;
  }

  function poll() {
    if (document.hidden) return schedule();
    var headers = { "Accept": "text/html" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(window.location.href, { headers: headers, credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 304 || response.type === "opaqueredirect") return null;
        if (!response.ok) return null;
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("main");
        if (!fresh || fresh.innerHTML === main.innerHTML) return;
        var open = openDetails(main);
        main.innerHTML = fresh.innerHTML;
        var details = main.querySelectorAll("details");
        open.forEach(function (i) { if (details[i]) details[i].open = true; });
        main.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { /* the next poll tries again */ })
      .then(schedule);
  }

  function schedule() { window.setTimeout(poll, every); }
  schedule();
})();
