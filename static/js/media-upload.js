/* Video upload, in the admin and on the instructor's studio page: sends the file in chunks
 * (Content-Range) to the asset's upload address, shows the progress, resumes from the size the
 * server holds (after a network error, or when the page is opened again and the same file
 * chosen), and shows why a file is refused. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setUp(box) {
    var url = box.dataset.url;
    var chunk = parseInt(box.dataset.chunk, 10) || 2097152;
    var fileInput = box.querySelector("[data-file]");
    var button = box.querySelector("[data-start]");
    var bar = box.querySelector("[data-progress]");
    var message = box.querySelector("[data-message]");

    function say(text, isError) {
      message.textContent = text;
      message.classList.toggle("media-upload-error", !!isError);
    }

    function show(received, size) {
      bar.value = size ? Math.floor(received * 100 / size) : 0;
      say(bar.value + "% (" + (received / 1048576).toFixed(1) + " / " + (size / 1048576).toFixed(1) + " MB)");
    }

    function send(file, offset, failures) {
      if (offset >= file.size) return Promise.resolve();
      var end = Math.min(file.size, offset + chunk);
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": csrfToken(),
          "Content-Type": "application/octet-stream",
          "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size
        },
        body: file.slice(offset, end)
      }).then(function (response) {
        return response.json().then(function (data) {
          if (response.status === 409) return send(file, data.received, 0);  /* resume there */
          if (!response.ok) throw new Error(data.error || response.statusText);
          show(data.received, data.size);
          if (data.status === "failed") throw new Error(data.failure_reason);
          if (data.received >= file.size) { say("100% · " + data.status_label); return data; }
          return send(file, data.received, 0);
        });
      }, function () {
        if (failures >= 5) throw new Error(box.dataset.networkError || "Network error");
        return new Promise(function (resolve) { window.setTimeout(resolve, 2000 * (failures + 1)); })
          .then(function () { return send(file, offset, failures + 1); });
      });
    }

    button.addEventListener("click", function () {
      var file = fileInput.files[0];
      if (!file) { fileInput.click(); return; }
      button.disabled = true;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          /* The same file again: carry on from what the server holds; another: start over. */
          var from = data.status === "uploading" && data.size === file.size ? data.received : 0;
          return send(file, from, 0);
        })
        .then(function () { window.setTimeout(function () { window.location.reload(); }, 1200); })
        .catch(function (error) { say(error.message, true); button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-media-upload]").forEach(setUp);
  });
})();
