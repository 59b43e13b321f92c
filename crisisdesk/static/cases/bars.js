/* Bars of the cases report. The CSP forbids style attributes in the markup, so each
 * bar carries its length as data-bar-share (percent of the longest) and gets its width
 * here, through the CSSOM, which the policy allows. Without script the table's numbers
 * still say everything. */
(function () {
  "use strict";

  function draw() {
    document.querySelectorAll("[data-bar-share]").forEach(function (bar) {
      var share = Number(bar.getAttribute("data-bar-share"));
      if (Number.isFinite(share)) {
        bar.style.width = Math.max(0, Math.min(100, share)) + "%";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
