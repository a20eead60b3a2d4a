// jiesu dashboard: a little help where it saves a click. Every page works without it.
"use strict";

(function () {
  // A unit <select data-filters="ID"> shows, in select#ID, only the workers of that unit.
  function linkWorkerChoices(unitSelect) {
    var target = document.getElementById(unitSelect.getAttribute("data-filters"));
    if (!target) return;
    function apply() {
      var chosen = unitSelect.options[unitSelect.selectedIndex];
      var unitId = chosen ? chosen.getAttribute("data-unit-id") : null;
      Array.prototype.forEach.call(target.options, function (option) {
        var own = option.getAttribute("data-unit-id");
        var show = !own || own === unitId;
        option.hidden = !show;
        option.disabled = !show;
        if (!show && option.selected) target.value = "";
      });
    }
    unitSelect.addEventListener("change", apply);
    apply();
  }

  // <button data-confirm="..."> asks before the form goes.
  function confirmBefore(button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  }

  // A form submits once: its buttons are disabled while the next page loads.
  function submitOnce(form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
          b.disabled = true;
        });
      }, 0);
    });
  }

  // [data-progress-url]: a notice being sent; its figures refresh every two seconds until done.
  function followProgress(box) {
    var url = box.getAttribute("data-progress-url");
    function show(data) {
      Object.keys(data).forEach(function (key) {
        var slot = box.querySelector("[data-field='" + key + "']");
        if (slot) slot.textContent = data[key];
      });
      var bar = box.querySelector("progress");
      if (bar && data.total) {
        bar.max = data.total;
        bar.value = data.done;
      }
      return data.finished;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return window.setTimeout(poll, 5000);
          if (show(data)) {
            box.setAttribute("data-finished", "1");
            var done = box.querySelector("[data-when-finished]");
            if (done) done.hidden = false;
          } else {
            window.setTimeout(poll, 2000);
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    if (box.getAttribute("data-finished") !== "1") window.setTimeout(poll, 1000);
  }

  // The notice composer: only the fields, channels and kinds that fit what is chosen.
  function composer(form) {
    var audience = form.querySelector("#audience-kind");
    var channel = form.querySelector("#notice-channel");
    var kind = form.querySelector("#notice-kind");
    if (!audience || !channel || !kind) return;
    function fit(select, key) {
      var usable = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var ok = (" " + option.getAttribute("data-for") + " ").indexOf(" " + key + " ") >= 0;
        option.hidden = !ok;
        option.disabled = !ok;
        if (ok && usable === null) usable = option.value;
      });
      var current = select.options[select.selectedIndex];
      if ((!current || current.disabled) && usable !== null) select.value = usable;
    }
    function show(attribute, value) {
      form.querySelectorAll("[" + attribute + "]").forEach(function (part) {
        part.hidden = part.getAttribute(attribute) !== value;
      });
    }
    function apply() {
      fit(channel, audience.value);
      fit(kind, channel.value);
      show("data-audience-when", audience.value);
      show("data-kind-when", kind.value);
    }
    [audience, channel, kind].forEach(function (select) {
      select.addEventListener("change", apply);
    });
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var compose = document.getElementById("notice-form");
    if (compose) composer(compose);
    document.querySelectorAll("select[data-filters]").forEach(linkWorkerChoices);
    document.querySelectorAll("button[data-confirm]").forEach(confirmBefore);
    document.querySelectorAll("form[method=post]").forEach(submitOnce);
    document.querySelectorAll("[data-progress-url]").forEach(followProgress);
  });
})();
