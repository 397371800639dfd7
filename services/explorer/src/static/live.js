/* global document, EventSource */
// Keeps the overview's counters current without a reload: the server pushes them as server-sent
// events (/events, one JSON object per change) and this sets each [data-counter] element.
(function () {
  'use strict';
  var state = document.getElementById('live-state');
  var group = function (digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  };
  var source = new EventSource('/events');
  source.addEventListener('open', function () {
    if (state) state.textContent = 'connected';
  });
  source.addEventListener('error', function () {
    if (state) state.textContent = 'reconnecting';
  });
  source.addEventListener('message', function (event) {
    var counters = JSON.parse(event.data);
    document.querySelectorAll('[data-counter]').forEach(function (el) {
      var key = el.getAttribute('data-counter');
      if (!(key in counters)) return;
      var value = String(counters[key]);
      el.textContent = key === 'staked' ? group(value) : value;
    });
    if (state) state.textContent = 'updated ' + new Date().toISOString().slice(11, 19) + 'Z';
  });
})();
