(function () {
  // The world inspector shows one step's world at a time; the token
  // cards below it open when a link points at them.
  function follow(root) {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var target = document.getElementById(id);
    if (!target || !root.contains(target)) { return; }
    if (target.classList.contains('world')) {
      target.parentNode.querySelectorAll('section.world').forEach(function (w) {
        w.classList.toggle('shown', w === target);
      });
      var select = target.parentNode.querySelector('select.inspect');
      if (select) { select.value = id; }
    }
    for (var e = target; e && e !== root; e = e.parentNode) {
      if (e.tagName === 'DETAILS') { e.open = true; }
    }
  }
  function wire(root) {
    root.querySelectorAll('select.inspect').forEach(function (s) {
      s.addEventListener('change', function () { location.hash = s.value; });
    });
    root.querySelectorAll('button.expand').forEach(function (b) {
      b.addEventListener('click', function () {
        var open = b.getAttribute('data-open') !== '1';
        b.setAttribute('data-open', open ? '1' : '0');
        b.textContent = open ? 'collapse all' : 'expand all';
        root.querySelectorAll('details').forEach(function (d) { d.open = open; });
      });
    });
    root.querySelectorAll('select.inspect').forEach(function (s) {
      var worlds = s.closest('section').querySelectorAll('section.world');
      if (worlds.length && !s.closest('section').querySelector('section.world.shown')) {
        worlds[worlds.length - 1].classList.add('shown');
        s.value = worlds[worlds.length - 1].id;
      }
    });
    window.addEventListener('hashchange', function () { follow(root); });
    follow(root);
  }
  window.bitsimWire = wire;
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('.bitsim-report details').forEach(function (d) { d.open = true; });
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { wire(document); });
  } else {
    wire(document);
  }
})();
