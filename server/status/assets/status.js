// Shoal status page script. The page works without it (the table is server-rendered and paged by
// links); this adds refresh without reload, sorting and paging in place, map tooltips, and the
// "try an address" box, which asks /api/v1/nearest and draws the answer on the map.
/* global document, window, fetch, history, location, CSS, DOMParser, DOMPoint, URL, URLSearchParams, FormData */
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var RAD = Math.PI / 180;
  var map = document.getElementById('map');
  var frame = JSON.parse(map.getAttribute('data-frame'));
  var lines = document.getElementById('answer-lines');
  var tooltip = document.getElementById('tooltip');
  var tryForm = document.getElementById('try-form');
  var tryInput = document.getElementById('try-input');
  var tryResult = document.getElementById('try-result');
  var refreshButton = document.getElementById('refresh');
  var refreshSeconds = Number(document.body.getAttribute('data-refresh-seconds')) || 15;
  // --base-path ('' or e.g. '/shoal'): every URL this script asks for or shows starts with it.
  var base = document.body.getAttribute('data-base-path') || '';

  // ---- Projection: Natural Earth I, the same formulas as d3-geo's geoNaturalEarth1, with the scale and
  // translation the server fitted (it draws the land and the markers with d3 itself).
  function project(lat, lon) {
    var l = lon * RAD;
    var p = lat * RAD;
    var p2 = p * p;
    var p4 = p2 * p2;
    var x = l * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)));
    var y = p * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)));
    return [frame.translateX + frame.scale * x, frame.translateY - frame.scale * y];
  }

  function invert(px, py) {
    var x = (px - frame.translateX) / frame.scale;
    var y = (frame.translateY - py) / frame.scale;
    var p = y;
    for (var i = 0; i < 25; i++) {
      var p2 = p * p;
      var p4 = p2 * p2;
      var delta =
        (p * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4))) - y) /
        (1.007226 + p2 * (0.015085 * 3 + p4 * (-0.044475 * 7 + 0.028874 * 9 * p2 - 0.005916 * 11 * p4)));
      p -= delta;
      if (Math.abs(delta) < 1e-9) break;
    }
    var q2 = p * p;
    var l = x / (0.8707 + q2 * (-0.131979 + q2 * (-0.013791 + q2 * q2 * q2 * (0.003971 - 0.001529 * q2))));
    var lat = p / RAD;
    var lon = l / RAD;
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return { lat: lat, lon: lon };
  }

  /** The great circle from a to b as an SVG path, split where it crosses the antimeridian. */
  function arcPath(a, b) {
    var va = unit(a);
    var vb = unit(b);
    var dot = Math.max(-1, Math.min(1, va[0] * vb[0] + va[1] * vb[1] + va[2] * vb[2]));
    var omega = Math.acos(dot);
    var steps = Math.max(1, Math.ceil(omega / (2 * RAD)));
    var d = '';
    var previousLon = null;
    for (var i = 0; i <= steps; i++) {
      var t = i / steps;
      var s = Math.sin(omega);
      var wa = s < 1e-9 ? 1 - t : Math.sin((1 - t) * omega) / s;
      var wb = s < 1e-9 ? t : Math.sin(t * omega) / s;
      var v = [wa * va[0] + wb * vb[0], wa * va[1] + wb * vb[1], wa * va[2] + wb * vb[2]];
      var lat = Math.atan2(v[2], Math.hypot(v[0], v[1])) / RAD;
      var lon = Math.atan2(v[1], v[0]) / RAD;
      var xy = project(lat, lon);
      d += (previousLon === null || Math.abs(lon - previousLon) > 180 ? 'M' : 'L') + xy[0].toFixed(1) + ',' + xy[1].toFixed(1);
      previousLon = lon;
    }
    return d;
  }

  function unit(point) {
    var p = point.lat * RAD;
    var l = point.lon * RAD;
    return [Math.cos(p) * Math.cos(l), Math.cos(p) * Math.sin(l), Math.sin(p)];
  }

  // ---- Live parts: summary, markers and table are re-rendered by the server and swapped in place.
  var liveIds = ['summary', 'markers', 'table-region'];
  var chain = Promise.resolve();
  var queued = null; // { query, promise } of the refresh waiting to run, so repeats share it
  var chosenIds = [];

  /**
   * Fetches the live parts for a query and swaps them in. Refreshes run one after another, so a
   * slow timer refresh can never overwrite the page a click asked for after it.
   */
  function refresh(search) {
    var query = search === undefined ? location.search : search;
    if (queued && queued.query === query) return queued.promise;
    var entry = { query: query, promise: null };
    entry.promise = chain = chain.then(function () {
      if (queued === entry) queued = null;
      return load(query);
    });
    queued = entry;
    return entry.promise;
  }

  function load(query) {
    var focusedId = document.activeElement && document.activeElement.id;
    return fetch(base + '/status/live' + query, { headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (text) {
        var parsed = new DOMParser().parseFromString(text, 'text/html');
        liveIds.forEach(function (id) {
          var fresh = parsed.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) current.replaceWith(document.adoptNode(fresh));
        });
        markChosen();
        // The element that had focus was replaced: give focus to its successor (same id).
        if (focusedId && (!document.activeElement || document.activeElement === document.body)) {
          var again = document.getElementById(focusedId);
          if (again) again.focus();
        }
        document.body.removeAttribute('data-stale');
      })
      .catch(function () {
        // Keep showing the last good data; the header says it is stale.
        document.body.setAttribute('data-stale', 'true');
      });
  }

  function navigate(search) {
    return refresh(search).then(function () {
      history.pushState(null, '', search || base + '/');
      syncFilterForm();
    });
  }

  function syncFilterForm() {
    var form = document.getElementById('filter');
    var params = new URLSearchParams(location.search);
    ['q', 'state', 'per', 'sort', 'dir'].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      var fallback = { q: '', state: 'all', per: '50', sort: 'hostname', dir: 'asc' }[name];
      field.value = params.get(name) || fallback;
    });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('#table-region a[href^="/"]');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(new URL(link.href).search);
  });

  document.getElementById('filter').addEventListener('submit', function (event) {
    event.preventDefault();
    var params = new URLSearchParams(new FormData(event.target));
    params.delete('page');
    navigate('?' + params.toString());
  });

  window.addEventListener('popstate', function () {
    refresh(location.search).then(syncFilterForm);
  });

  refreshButton.hidden = false;
  refreshButton.addEventListener('click', function () {
    refresh();
  });
  window.setInterval(function () {
    if (!document.hidden) refresh();
  }, refreshSeconds * 1000);

  // ---- Tooltips: the marker's <title> (what shows without the script) becomes a styled box.
  function tipText(marker) {
    var title = marker.querySelector('title');
    if (title) {
      marker.setAttribute('data-tip', title.textContent);
      title.remove(); // else the browser shows its own tooltip on top of ours
    }
    return marker.getAttribute('data-tip') || '';
  }

  map.addEventListener('mousemove', function (event) {
    var marker = event.target.closest && event.target.closest('.marker');
    if (!marker) {
      tooltip.hidden = true;
      return;
    }
    var tipLines = tipText(marker).split('\n');
    tooltip.replaceChildren();
    tipLines.forEach(function (line, i) {
      var div = document.createElement('div');
      div.textContent = line;
      if (i === 0) div.className = 'tip-head';
      tooltip.appendChild(div);
    });
    var box = map.parentElement.getBoundingClientRect();
    tooltip.hidden = false;
    var x = event.clientX - box.left + 14;
    var y = event.clientY - box.top + 14;
    if (x + tooltip.offsetWidth > box.width) x = event.clientX - box.left - tooltip.offsetWidth - 14;
    if (y + tooltip.offsetHeight > box.height) y = event.clientY - box.top - tooltip.offsetHeight - 14;
    tooltip.style.left = Math.max(0, x) + 'px';
    tooltip.style.top = Math.max(0, y) + 'px';
  });
  map.addEventListener('mouseleave', function () {
    tooltip.hidden = true;
  });

  // A table row under the pointer or keyboard focus lights up its marker.
  function highlight(event, on) {
    var row = event.target.closest && event.target.closest('tr[data-id]');
    if (!row) return;
    var marker = map.querySelector('.marker[data-id="' + CSS.escape(row.getAttribute('data-id')) + '"]');
    if (marker) marker.classList.toggle('lit', on);
  }
  document.addEventListener('mouseover', function (e) { highlight(e, true); });
  document.addEventListener('mouseout', function (e) { highlight(e, false); });
  document.addEventListener('focusin', function (e) { highlight(e, true); });
  document.addEventListener('focusout', function (e) { highlight(e, false); });

  // ---- "Try an address": the same lookup a VM gets, from /api/v1/nearest.
  var LATLON = /^\s*(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)\s*$/;

  function queryFor(text) {
    var m = LATLON.exec(text);
    if (m) return 'lat=' + encodeURIComponent(m[1]) + '&lon=' + encodeURIComponent(m[2]);
    return 'ip=' + encodeURIComponent(text.trim());
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attributes).forEach(function (k) {
      node.setAttribute(k, attributes[k]);
    });
    return node;
  }

  function ask(text) {
    if (!text.trim()) return;
    tryResult.setAttribute('aria-busy', 'true');
    return fetch(base + '/api/v1/nearest?' + queryFor(text), { headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + response.status);
          return body;
        });
      })
      .then(showAnswer, function (error) {
        clearAnswer();
        tryResult.replaceChildren(el('p', 'error', 'No answer: ' + error.message));
      })
      .then(function () {
        tryResult.removeAttribute('aria-busy');
      });
  }

  function clearAnswer() {
    lines.replaceChildren();
    chosenIds = [];
    markChosen();
  }

  function describeCaller(caller) {
    var where = caller.latitude === null ? 'location unknown' : caller.latitude.toFixed(2) + ', ' + caller.longitude.toFixed(2);
    var place = [caller.city, caller.country_code].filter(Boolean).join(', ');
    var how = { geoip: 'located by GeoIP', query: 'at the given coordinates', site: 'located by its site', unknown: 'not located' }[caller.located_by] || caller.located_by;
    return (caller.ip || 'This point') + ', ' + how + (place ? ' in ' + place : '') + ' (' + where + ')';
  }

  function showAnswer(body) {
    clearAnswer();
    var parts = [el('p', 'caller', describeCaller(body.caller))];
    if (body.note) parts.push(el('p', 'note', body.note));
    if (body.caches.length === 0) {
      parts.push(el('p', 'muted', 'No cache would be offered.'));
    } else {
      var list = el('ol', 'answer');
      body.caches.forEach(function (cache) {
        var item = el('li');
        item.setAttribute('data-id', cache.id);
        item.appendChild(el('strong', '', cache.hostname + ':' + cache.port));
        var facts = [];
        if (cache.distance_km !== null) facts.push(Math.round(cache.distance_km).toLocaleString('en') + ' km');
        facts.push('load ' + Math.round((cache.load / cache.effective_max_load) * 100) + '%');
        facts.push('score ' + cache.score.toFixed(3));
        if (cache.local) facts.push('same site');
        item.appendChild(el('span', 'facts', facts.join(' · ')));
        list.appendChild(item);
      });
      parts.push(list);
    }
    tryResult.replaceChildren.apply(tryResult, parts);
    chosenIds = body.caches.map(function (c) { return c.id; });
    markChosen();
    drawAnswer(body);
  }

  function drawAnswer(body) {
    var caller = body.caller;
    if (caller.latitude === null || caller.longitude === null) return;
    var from = { lat: caller.latitude, lon: caller.longitude };
    body.caches
      .slice()
      .reverse() // the best answer drawn last, on top
      .forEach(function (cache, reversedIndex) {
        if (!cache.location) return;
        var rank = body.caches.length - reversedIndex;
        lines.appendChild(svg('path', { d: arcPath(from, { lat: cache.location.latitude, lon: cache.location.longitude }), class: 'answer-line rank-' + Math.min(rank, 3), 'data-id': cache.id }));
        var at = project(cache.location.latitude, cache.location.longitude);
        var label = svg('text', { x: (at[0] + 7).toFixed(1), y: (at[1] - 6).toFixed(1), class: 'rank-label' });
        label.textContent = String(rank);
        lines.appendChild(label);
      });
    var origin = project(from.lat, from.lon);
    lines.appendChild(svg('circle', { id: 'answer-origin', cx: origin[0].toFixed(1), cy: origin[1].toFixed(1), r: 5 }));
  }

  function markChosen() {
    map.querySelectorAll('.marker.chosen').forEach(function (m) { m.classList.remove('chosen'); });
    chosenIds.forEach(function (id) {
      var marker = map.querySelector('.marker[data-id="' + CSS.escape(id) + '"]');
      if (marker) marker.classList.add('chosen');
    });
  }

  tryForm.addEventListener('submit', function (event) {
    event.preventDefault();
    ask(tryInput.value);
  });

  map.addEventListener('click', function (event) {
    var matrix = map.getScreenCTM();
    if (!matrix) return;
    var point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    var place = invert(point.x, point.y);
    if (!place) return;
    tryInput.value = place.lat.toFixed(2) + ', ' + place.lon.toFixed(2);
    ask(tryInput.value);
  });
})();
