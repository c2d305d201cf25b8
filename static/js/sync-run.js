// The run progress page (templates/partners/run_detail.html): poll the run's status.json while it
// is queued or running, update the status and counts in place, and reload the page once the run
// ends, to show its record errors. No library; the page works without it (a <noscript> refresh).
(function () {
  "use strict";
  var section = document.getElementById("sync-run");
  if (!section || !section.dataset.statusUrl) {
    return;
  }
  var url = section.dataset.statusUrl;
  var delay = 1000;

  function show(state) {
    var status = section.querySelector('[data-field="status_label"]');
    status.textContent = state.status_label;
    status.className = "badge run-status run-status-" + state.status;
    Object.keys(state.counts).forEach(function (name) {
      var cell = section.querySelector('[data-count="' + name + '"]');
      if (cell) {
        cell.textContent = state.counts[name];
      }
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.active) {
          window.setTimeout(poll, delay);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        // A hiccup (a restart, a dropped connection): try again, less often.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
