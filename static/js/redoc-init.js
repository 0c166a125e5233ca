/* Starts ReDoc on /api/redoc/ with the configuration the page carries as JSON (see api/docs.py):
 * the schema's URL and ReDoc's options (the site's fonts instead of a font service's). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("redoc-config").textContent);
  Redoc.init(config.schemaUrl, config.settings, document.getElementById("redoc-container"));
})();
