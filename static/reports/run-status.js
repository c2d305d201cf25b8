// Follows a report run being built: polls its status every 1.5 s, shows the progress, and
// reloads the page (which then shows the report or the error) once the run is finished.
(function () {
  "use strict";
  var section = document.querySelector("[data-status-url]");
  if (!section) return;
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("run-progress-bar");
  var message = document.getElementById("run-progress-message");
  var failures = 0;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (run) {
        failures = 0;
        bar.value = run.progress;
        bar.textContent = run.progress + "%";
        if (run.message) message.textContent = run.message;
        if (run.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(30000, 1500 * Math.pow(2, failures)));
      });
  }
  window.setTimeout(poll, 1000);
})();
