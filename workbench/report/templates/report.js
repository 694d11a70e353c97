(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  var box = document.getElementById('only-failing');
  if (box) {
    box.addEventListener('change', function () {
      var rows = document.querySelectorAll('table.grid tbody tr');
      for (var i = 0; i < rows.length; i++) {
        rows[i].style.display = box.checked && rows[i].getAttribute('data-all-correct') === '1' ? 'none' : '';
      }
    });
  }
})();
