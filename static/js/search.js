/* Search suggestions: as the learner types in a search box marked data-suggest (the header's,
 * the browse page's), ask the suggestions endpoint and list items (courses, live sessions, short
 * videos, products, each labelled with its kind) and words under the box.
 * Arrow keys move through the list, Enter opens the chosen one, Escape closes it. */
(function () {
  "use strict";

  var DELAY_MS = 150;
  var counter = 0;

  function attach(input) {
    var url = input.getAttribute("data-suggest");
    var box = input.parentNode;
    var list = document.createElement("ul");
    var timer = null;
    var latest = 0;
    counter += 1;
    list.id = "suggestions-" + counter;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function searchUrl(text) {
      var form = input.form;
      var action = form ? form.getAttribute("action") || window.location.pathname : "/";
      var type = form && form.elements.type ? form.elements.type.value : "course";
      return action + "?type=" + encodeURIComponent(type) + "&q=" + encodeURIComponent(text);
    }

    function show(items) {
      list.textContent = "";
      items.forEach(function (item, n) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.id = list.id + "-" + n;
        a.setAttribute("role", "option");
        a.href = item.url || searchUrl(item.text);
        a.textContent = item.text;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = item.url ? input.getAttribute("data-" + item.kind + "-label") || "" : "";
        if (kind.textContent) a.appendChild(kind);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }

    function ask() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var asked = ++latest;
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (asked === latest) show(data.suggestions || []); })
        .catch(function () { close(); });
    }

    function move(step) {
      var options = list.querySelectorAll("a");
      if (!options.length) return;
      var current = -1;
      options.forEach(function (a, n) { if (a.getAttribute("aria-selected") === "true") current = n; });
      if (current >= 0) options[current].removeAttribute("aria-selected");
      var next = (current + step + options.length) % options.length;
      options[next].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[next].id);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter") {
        var chosen = list.querySelector('a[aria-selected="true"]');
        if (chosen) { event.preventDefault(); window.location.href = chosen.href; }
      }
    });
    document.addEventListener("click", function (event) {
      if (!box.contains(event.target)) close();
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(attach);
})();
