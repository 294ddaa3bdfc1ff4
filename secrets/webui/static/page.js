// Copy buttons for the "Use in a test" snippets. The page works without
// this script: the snippets are plain text that can be selected.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll('button.copy[data-copy]').forEach(function (b) {
    var label = b.textContent;
    b.hidden = false;
    b.addEventListener('click', function () {
      var src = document.getElementById(b.getAttribute('data-copy'));
      if (!src) return;
      navigator.clipboard.writeText(src.textContent).then(function () {
        b.textContent = 'Copied';
        setTimeout(function () { b.textContent = label; }, 2000);
      });
    });
  });
});
