// Small progressive enhancement of the back office; every page works without it.
// - A draft of « Ressources Info »: a moment after typing stops, the draft is saved
//   (the same form, the same CSRF token) and its preview shown again.
// - An issue being sent: its figures are read again every few seconds.
(function () {
  "use strict";

  function fresh(text, selector) {
    return new DOMParser().parseFromString(text, "text/html").querySelector(selector);
  }

  function livePreview(form, zone, status) {
    var timer = null;
    function refresh() {
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (answer) {
          return answer.text().then(function (text) { return { ok: answer.ok, text: text }; });
        })
        .then(function (answer) {
          var found = answer.ok ? fresh(answer.text, "#apercu-zone") : null;
          if (found) {
            zone.innerHTML = found.innerHTML;
            status.textContent = "Aperçu mis à jour.";
          } else {
            status.textContent = "Aperçu non mis à jour : cliquez sur « Prévisualiser » pour voir ce qui est à corriger.";
          }
        })
        .catch(function () { status.textContent = "Aperçu non mis à jour (connexion perdue)."; });
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 1500);
    });
  }

  function liveProgress(figures) {
    var poll = window.setInterval(function () {
      fetch(window.location.pathname, { credentials: "same-origin" })
        .then(function (answer) { return answer.text(); })
        .then(function (text) {
          var found = fresh(text, "[data-suivi]");
          if (found) {
            figures.innerHTML = found.innerHTML;
          }
          if (!found || found.getAttribute("data-suivi") !== "en-cours") {
            window.clearInterval(poll);
          }
        })
        .catch(function () { window.clearInterval(poll); });
    }, 4000);
  }

  var form = document.querySelector("form[data-apercu-direct]");
  var zone = document.getElementById("apercu-zone");
  var status = document.getElementById("apercu-etat");
  if (form && zone && status && window.fetch) {
    livePreview(form, zone, status);
  }
  var figures = document.querySelector("[data-suivi='en-cours']");
  if (figures && window.fetch) {
    liveProgress(figures);
  }
})();
