/* A signature drawn on screen (finger, stylus or mouse), for the handover of an aid shipment.
 *
 * Each canvas with data-signature-pad="<input id>" writes its drawing, as a PNG data: URL,
 * into that hidden input when a stroke ends; "Clear" empties both. The canvas is painted
 * white first, so the PNG shows the strokes wherever it is opened. No inline script or
 * style: the page's CSP allows neither.
 */
(function () {
  "use strict";

  function pad(canvas) {
    const input = document.getElementById(canvas.dataset.signaturePad);
    if (!input) {
      return;
    }
    const context = canvas.getContext("2d");
    let drawing = false;
    let drawn = false;

    function size() {
      // Draw at the screen's resolution, in CSS pixels.
      const ratio = window.devicePixelRatio || 1;
      const box = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      blank();
    }

    function blank() {
      context.save();
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.restore();
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#0b1f4d";
      drawn = false;
      input.value = "";
    }

    function at(event) {
      const box = canvas.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    }

    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = at(event);
      context.beginPath();
      context.moveTo(x, y);
      context.lineTo(x + 0.1, y + 0.1);
      context.stroke();
      drawn = true;
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) {
        return;
      }
      const [x, y] = at(event);
      context.lineTo(x, y);
      context.stroke();
    });
    const end = () => {
      if (!drawing) {
        return;
      }
      drawing = false;
      if (drawn) {
        input.value = canvas.toDataURL("image/png");
      }
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    const clear = document.querySelector(`[data-signature-clear="${canvas.dataset.signaturePad}"]`);
    if (clear) {
      clear.addEventListener("click", blank);
    }
    size();
  }

  document.querySelectorAll("canvas[data-signature-pad]").forEach(pad);
})();
