// Shoal status page script. The page works without it (the table and cards are server-rendered and
// paged by links, the map's groups are computed by the server); this adds refresh without reload,
// sorting and paging in place, zoom and pan of the map (regrouping its markers at each zoom), map
// tooltips, and the "try an address" box, which asks /api/v1/nearest as shoal-client does and draws
// the answer on the map.
/* global document, window, fetch, history, location, CSS, DOMParser, DOMPoint, URL, URLSearchParams, FormData, setTimeout, clearTimeout */
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
  var tryUpstream = document.getElementById('try-upstream');
  var tryCount = document.getElementById('try-count');
  var spares = Number(tryForm.getAttribute('data-client-spares')) || 5;
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
        // The server grouped the new markers for the whole world; group them again for this zoom.
        if (zoom !== 1) recluster();
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

  // Sort headers, pager and "show every cache" stay on the page; a hostname opens the cache's own page.
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('#table-region a.nav');
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

  // ---- Helpers

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

  /** A point of the page (client pixels) in the map's viewBox units. */
  function toMap(clientX, clientY) {
    var matrix = map.getScreenCTM();
    if (!matrix) return null;
    return new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
  }

  // ---- Groups of markers: the server's greedy pass (server/status/map-clusters.ts), again for this zoom.
  // Same order (x, then y, then id), same grid and same tie-breaks, so at zoom 1 it gives the server's groups.
  var STATES = ['verified', 'unverified', 'failing'];

  function clusterPoints(points, distance) {
    var order = points.slice().sort(function (a, b) {
      return a.x - b.x || a.y - b.y || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    var leaders = [];
    var cells = new Map();
    var limit = distance * distance;
    order.forEach(function (p) {
      var gx = Math.floor(p.x / distance);
      var gy = Math.floor(p.y / distance);
      var best = -1;
      var bestD = Infinity;
      for (var i = gx - 1; i <= gx + 1; i++) {
        for (var j = gy - 1; j <= gy + 1; j++) {
          (cells.get(i + ',' + j) || []).forEach(function (l) {
            var dx = leaders[l].x - p.x;
            var dy = leaders[l].y - p.y;
            var d = dx * dx + dy * dy;
            if (d <= limit && (d < bestD || (d === bestD && l < best))) {
              best = l;
              bestD = d;
            }
          });
        }
      }
      if (best === -1) {
        var key = gx + ',' + gy;
        if (cells.has(key)) cells.get(key).push(leaders.length);
        else cells.set(key, [leaders.length]);
        leaders.push({ x: p.x, y: p.y, members: [p] });
      } else {
        leaders[best].members.push(p);
      }
    });
    return leaders.map(function (l) { return l.members; });
  }

  function clusterRadius(size) {
    return Math.round((7 + 2.4 * Math.log2(Math.max(2, size))) * 10) / 10;
  }

  /** The marker's tooltip text, whether or not the tooltip code has taken its <title> yet. */
  function tipOf(node) {
    var title = node.querySelector(':scope > title');
    return title ? title.textContent : node.getAttribute('data-tip') || '';
  }

  function markerPoints() {
    var points = [];
    document.querySelectorAll('#markers a.pin').forEach(function (pin) {
      var marker = pin.querySelector('circle.marker');
      var state = STATES.filter(function (s) { return marker.classList.contains(s); })[0] || 'unverified';
      points.push({ id: marker.getAttribute('data-id'), x: Number(marker.getAttribute('cx')), y: Number(marker.getAttribute('cy')), pin: pin, state: state });
    });
    return points;
  }

  function groupTitle(members) {
    var counts = STATES.map(function (s) {
      return [s, members.filter(function (m) { return m.state === s; }).length];
    }).filter(function (c) { return c[1] > 0; });
    var names = members.slice(0, 8).map(function (m) { return tipOf(m.pin.querySelector('circle.marker')).split('\n')[0].replace(/:\d+$/, ''); });
    var more = members.length > names.length ? ', and ' + (members.length - names.length) + ' more' : '';
    return [
      members.length + ' caches here (' + counts.map(function (c) { return c[1] + ' ' + c[0]; }).join(', ') + ')',
      names.join(', ') + more,
      'Click or zoom in to see each.',
    ].join('\n');
  }

  function clusterNode(members) {
    var x = 0;
    var y = 0;
    members.forEach(function (m) { x += m.x; y += m.y; });
    x = Math.round((x / members.length) * 10) / 10;
    y = Math.round((y / members.length) * 10) / 10;
    var r = clusterRadius(members.length);
    var g = svg('g', { class: 'cluster', transform: 'translate(' + x + ' ' + y + ')', 'data-ids': members.map(function (m) { return m.id; }).join(' '), 'data-x': x, 'data-y': y });
    var title = svg('title', {});
    title.textContent = groupTitle(members);
    g.appendChild(title);
    g.appendChild(svg('circle', { class: 'cluster-bg', r: r }));
    // As the server draws them (arcDash in map-view.tsx): one arc per state, in user units, from 12 o'clock.
    var start = 0;
    var length = 2 * Math.PI * r;
    var round = function (n) { return Math.round(n * 100) / 100; };
    STATES.forEach(function (s) {
      var n = members.filter(function (m) { return m.state === s; }).length;
      if (n === 0) return;
      var share = n / members.length;
      g.appendChild(svg('circle', { class: 'slice ' + s, r: r, 'stroke-dasharray': round(share * length) + ' ' + round(length), 'stroke-dashoffset': round(-start * length) }));
      start += share;
    });
    var count = svg('text', { class: 'cluster-count' });
    count.textContent = members.length > 999 ? Math.round(members.length / 1000) + 'k' : String(members.length);
    g.appendChild(count);
    return g;
  }

  /** Groups the markers again for the current zoom: the distance shrinks as the map grows. */
  function recluster() {
    var group = document.getElementById('markers');
    var clusters = document.getElementById('clusters');
    if (!group || !clusters) return;
    unspread();
    var distance = Number(group.getAttribute('data-cluster-distance')) || 16;
    var points = markerPoints();
    var nodes = [];
    clusterPoints(points, distance / zoom).forEach(function (members) {
      members.forEach(function (m) { m.pin.classList.toggle('clustered', members.length > 1); });
      if (members.length > 1) nodes.push(clusterNode(members));
    });
    clusters.replaceChildren.apply(clusters, nodes);
    markChosen();
  }

  // ---- Spreading a group whose caches stand (nearly) on one spot: no zoom would part them.
  function unspread() {
    var legs = document.getElementById('spider');
    if (legs) legs.remove();
    document.querySelectorAll('#markers a.pin.spread').forEach(function (pin) {
      pin.classList.remove('spread');
      pin.removeAttribute('transform');
    });
  }

  function spread(cluster) {
    var ids = cluster.getAttribute('data-ids').split(' ');
    var cx = Number(cluster.getAttribute('data-x'));
    var cy = Number(cluster.getAttribute('data-y'));
    var unitsPerPixel = view.w / map.getBoundingClientRect().width;
    // A circle of pins about 22 px apart on the screen, never closer than 26 px to the centre.
    var radius = Math.max(26, (ids.length * 22) / (2 * Math.PI)) * unitsPerPixel;
    var legs = svg('g', { id: 'spider' });
    ids.forEach(function (id, i) {
      var pin = document.querySelector('#markers a.pin[data-id="' + CSS.escape(id) + '"]');
      if (!pin) return;
      var marker = pin.querySelector('circle.marker');
      var angle = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
      var tx = cx + radius * Math.cos(angle);
      var ty = cy + radius * Math.sin(angle);
      var dx = tx - Number(marker.getAttribute('cx'));
      var dy = ty - Number(marker.getAttribute('cy'));
      pin.setAttribute('transform', 'translate(' + dx.toFixed(2) + ' ' + dy.toFixed(2) + ')');
      pin.classList.remove('clustered');
      pin.classList.add('spread');
      legs.appendChild(svg('line', { class: 'spider-leg', x1: cx, y1: cy, x2: tx.toFixed(2), y2: ty.toFixed(2) }));
    });
    var group = document.getElementById('markers');
    group.insertBefore(legs, group.firstChild);
    cluster.remove();
  }

  /**
   * A click on a group: zoom in, doubling, to the first zoom at which it parts (no deeper, so the region
   * stays in view); a group that would not part even at the deepest zoom (caches on one spot) is spread out.
   */
  function expand(cluster) {
    var ids = cluster.getAttribute('data-ids').split(' ');
    var distance = Number(document.getElementById('markers').getAttribute('data-cluster-distance')) || 16;
    var members = markerPoints().filter(function (p) { return ids.indexOf(p.id) !== -1; });
    var target = zoom;
    while (target < MAX_ZOOM) {
      target = Math.min(MAX_ZOOM, target * 2);
      if (clusterPoints(members, distance / target).length > 1) break;
    }
    tooltip.hidden = true;
    if (clusterPoints(members, distance / target).length > 1) {
      zoomTo(target, Number(cluster.getAttribute('data-x')), Number(cluster.getAttribute('data-y')), true);
    } else {
      spread(cluster);
    }
  }

  // ---- Zoom and pan, through the SVG viewBox. Markers keep their size on the screen (--marker-scale).
  var MAX_ZOOM = 32;
  var view = { x: 0, y: 0, w: frame.width, h: frame.height };
  var zoom = 1;
  var groupedAt = 1; // the zoom the markers were last grouped for
  var regroupPending = false;

  function clampView() {
    view.w = frame.width / zoom;
    view.h = frame.height / zoom;
    view.x = Math.min(Math.max(view.x, 0), frame.width - view.w);
    view.y = Math.min(Math.max(view.y, 0), frame.height - view.h);
  }

  function applyView() {
    clampView();
    map.setAttribute('viewBox', view.x.toFixed(2) + ' ' + view.y.toFixed(2) + ' ' + view.w.toFixed(2) + ' ' + view.h.toFixed(2));
    map.style.setProperty('--marker-scale', String(1 / zoom));
    map.classList.toggle('zoomed', zoom > 1);
    map.setAttribute('data-zoom', zoom.toFixed(3));
    tooltip.hidden = true;
    if (zoom !== groupedAt && !regroupPending) {
      regroupPending = true;
      window.requestAnimationFrame(function () {
        regroupPending = false;
        groupedAt = zoom;
        recluster();
      });
    }
  }

  /** Zooms to `next`, keeping the map point (x, y) where it is on the screen, or (centre) in the middle. */
  function zoomTo(next, x, y, centre) {
    next = Math.min(MAX_ZOOM, Math.max(1, next));
    if (x === undefined) {
      x = view.x + view.w / 2;
      y = view.y + view.h / 2;
    }
    var w = frame.width / next;
    var h = frame.height / next;
    if (centre) {
      view.x = x - w / 2;
      view.y = y - h / 2;
    } else {
      view.x = x - (x - view.x) * (w / view.w);
      view.y = y - (y - view.y) * (h / view.h);
    }
    zoom = next;
    applyView();
  }

  function panBy(dx, dy) {
    view.x += dx;
    view.y += dy;
    applyView();
  }

  var tools = document.getElementById('map-tools');
  tools.hidden = false;
  document.getElementById('zoom-in').addEventListener('click', function () { zoomTo(zoom * 2); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoomTo(zoom / 2); });
  document.getElementById('zoom-reset').addEventListener('click', function () { zoomTo(1); });

  // The keyboard: the map is a tab stop; arrows pan, + and - zoom, 0 shows the whole world.
  map.setAttribute('tabindex', '0');
  map.setAttribute('aria-keyshortcuts', 'ArrowLeft ArrowRight ArrowUp ArrowDown + - 0');
  map.addEventListener('keydown', function (event) {
    var step = 0.15;
    var handled = true;
    if (event.key === 'ArrowLeft') panBy(-view.w * step, 0);
    else if (event.key === 'ArrowRight') panBy(view.w * step, 0);
    else if (event.key === 'ArrowUp') panBy(0, -view.h * step);
    else if (event.key === 'ArrowDown') panBy(0, view.h * step);
    else if (event.key === '+' || event.key === '=') zoomTo(zoom * 2);
    else if (event.key === '-' || event.key === '_') zoomTo(zoom / 2);
    else if (event.key === '0') zoomTo(1);
    else handled = false;
    if (handled) event.preventDefault();
  });

  // The wheel zooms only when asked to (Ctrl or Cmd held: also what a trackpad's pinch sends) or once the
  // map has the focus (a click or a tab into it); otherwise it scrolls the page, and a hint says how.
  var hint = document.getElementById('map-hint');
  var hintTimer = null;
  function showHint() {
    hint.hidden = false;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(function () { hint.hidden = true; }, 1500);
  }
  map.addEventListener(
    'wheel',
    function (event) {
      if (!event.ctrlKey && !event.metaKey && document.activeElement !== map) {
        showHint();
        return;
      }
      event.preventDefault();
      hint.hidden = true;
      var at = toMap(event.clientX, event.clientY);
      if (!at) return;
      var delta = event.deltaMode === 1 ? event.deltaY * 40 : event.deltaY;
      zoomTo(zoom * Math.exp(-delta * 0.002), at.x, at.y);
    },
    { passive: false },
  );

  // Drag to pan, two fingers to pinch. A press that moved is a drag, not a click (no "ask" for that place).
  var pointers = new Map();
  var gesture = null;
  var suppressClick = false;

  function pinchState() {
    var p = Array.from(pointers.values());
    var mid = toMap((p[0].x + p[1].x) / 2, (p[0].y + p[1].y) / 2);
    return { distance: Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y), mid: mid, zoom: zoom };
  }

  map.addEventListener('pointerdown', function (event) {
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    suppressClick = false;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 1) gesture = { kind: 'drag', x: event.clientX, y: event.clientY, view: { x: view.x, y: view.y }, moved: false };
    else if (pointers.size === 2) gesture = { kind: 'pinch', start: pinchState(), moved: true };
  });

  map.addEventListener('pointermove', function (event) {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (gesture.kind === 'drag') {
      var dx = event.clientX - gesture.x;
      var dy = event.clientY - gesture.y;
      if (!gesture.moved && Math.hypot(dx, dy) < 5) return;
      if (!gesture.moved) {
        gesture.moved = true;
        // Captured only once it is a drag: a plain click must still reach the marker's link.
        map.setPointerCapture(event.pointerId);
        map.classList.add('dragging');
      }
      var unitsPerPixel = view.w / map.getBoundingClientRect().width;
      view.x = gesture.view.x - dx * unitsPerPixel;
      view.y = gesture.view.y - dy * unitsPerPixel;
      applyView();
    } else if (pointers.size === 2) {
      var now = pinchState();
      if (gesture.start.distance > 0 && gesture.start.mid) zoomTo(gesture.start.zoom * (now.distance / gesture.start.distance), gesture.start.mid.x, gesture.start.mid.y);
    }
  });

  function endPointer(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    if (gesture && gesture.moved) suppressClick = true;
    if (pointers.size === 0) {
      gesture = null;
      map.classList.remove('dragging');
    } else if (pointers.size === 1 && gesture && gesture.kind === 'pinch') {
      var rest = Array.from(pointers.values())[0];
      gesture = { kind: 'drag', x: rest.x, y: rest.y, view: { x: view.x, y: view.y }, moved: true };
    }
  }
  map.addEventListener('pointerup', endPointer);
  map.addEventListener('pointercancel', endPointer);

  // ---- Tooltips: the marker's or group's <title> (what shows without the script) becomes a styled box.
  function tipText(node) {
    var title = node.querySelector(':scope > title');
    if (title) {
      node.setAttribute('data-tip', title.textContent);
      title.remove(); // else the browser shows its own tooltip on top of ours
    }
    return node.getAttribute('data-tip') || '';
  }

  map.addEventListener('mousemove', function (event) {
    var target = event.target.closest && (event.target.closest('.cluster') || event.target.closest('.pin'));
    var node = target && (target.classList.contains('cluster') ? target : target.querySelector('circle.marker'));
    if (!node || gesture) {
      tooltip.hidden = true;
      return;
    }
    var tipLines = tipText(node).split('\n');
    tooltip.replaceChildren();
    tipLines.forEach(function (line, i) {
      var div = document.createElement('div');
      div.textContent = line;
      if (i === 0) div.className = 'tip-head';
      else if (line.length > 60) div.className = 'tip-wrap';
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

  /** The cache's marker on the map, or the group it is drawn in. */
  function shownMarker(id) {
    var marker = map.querySelector('.marker[data-id="' + CSS.escape(id) + '"]');
    if (!marker || !marker.parentElement.classList.contains('clustered')) return marker;
    var groups = map.querySelectorAll('#clusters .cluster');
    for (var i = 0; i < groups.length; i++) {
      if ((' ' + groups[i].getAttribute('data-ids') + ' ').indexOf(' ' + id + ' ') !== -1) return groups[i];
    }
    return marker;
  }

  // A table row or card under the pointer or keyboard focus lights up its marker (or its group).
  function highlight(event, on) {
    var row = event.target.closest && event.target.closest('#table-region [data-id]');
    if (!row) return;
    var marker = shownMarker(row.getAttribute('data-id'));
    if (marker) marker.classList.toggle('lit', on);
  }
  document.addEventListener('mouseover', function (e) { highlight(e, true); });
  document.addEventListener('mouseout', function (e) { highlight(e, false); });
  document.addEventListener('focusin', function (e) { highlight(e, true); });
  document.addEventListener('focusout', function (e) { highlight(e, false); });

  // ---- "Try an address": the same lookup shoal-client makes, from /api/v1/nearest.
  var LATLON = /^\s*(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)\s*$/;

  function whereFor(text) {
    var m = LATLON.exec(text);
    if (m) return 'lat=' + encodeURIComponent(m[1]) + '&lon=' + encodeURIComponent(m[2]);
    return 'ip=' + encodeURIComponent(text.trim());
  }

  /** How many proxies the client would write (its --count), as the box says; 1 to 20 as the client takes. */
  function proxyCount() {
    var n = Math.round(Number(tryCount.value));
    return isFinite(n) && n >= 1 ? Math.min(20, n) : 3;
  }

  function ask(text) {
    if (!text.trim()) return;
    var n = proxyCount();
    var upstream = tryUpstream.value;
    var where = whereFor(text);
    // As client/client.ts asks: its --count plus the spares, and the upstream it writes for.
    var query = where + '&count=' + Math.min(100, n + spares) + '&upstream=' + encodeURIComponent(upstream);
    tryResult.setAttribute('aria-busy', 'true');
    return fetch(base + '/api/v1/nearest?' + query, { headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + response.status);
          return body;
        });
      })
      .then(
        function (body) {
          showAnswer(body, { n: n, upstream: upstream, where: where, query: query });
        },
        function (error) {
          clearAnswer();
          tryResult.replaceChildren(el('p', 'error', 'No answer: ' + error.message));
        },
      )
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

  function answerList(caches, id, className, start) {
    var list = el('ol', className);
    list.id = id;
    if (start > 1) list.setAttribute('start', String(start));
    caches.forEach(function (cache) {
      var item = el('li');
      item.setAttribute('data-id', cache.id);
      item.setAttribute('data-proxy', cache.proxy);
      var name = el('strong');
      var link = el('a', '', cache.hostname + ':' + cache.port);
      link.href = base + '/caches/' + encodeURIComponent(cache.id);
      name.appendChild(link);
      item.appendChild(name);
      var facts = [];
      if (cache.distance_km !== null) facts.push(Math.round(cache.distance_km).toLocaleString('en') + ' km');
      facts.push('load ' + Math.round((cache.load / cache.effective_max_load) * 100) + '%');
      facts.push('score ' + cache.score.toFixed(3));
      if (cache.upstream) facts.push(cache.upstream);
      if (cache.local) facts.push('same site');
      item.appendChild(el('span', 'facts', facts.join(' · ')));
      list.appendChild(item);
    });
    return list;
  }

  /** Links to the same answer in the forms a VM may read it: JSON (the client's own question), CVMFS, PAC. */
  function answerLinks(asked) {
    var same = asked.where + '&count=' + asked.n + '&upstream=' + encodeURIComponent(asked.upstream);
    var p = el('p', 'try-links');
    p.id = 'try-links';
    p.appendChild(document.createTextNode('The same answer as '));
    [
      ['JSON', base + '/api/v1/nearest?' + asked.query, 'try-link-json'],
      ['CVMFS string', base + '/api/v1/nearest?' + same + '&format=cvmfs', 'try-link-cvmfs'],
      ['PAC file', base + '/api/v1/nearest?' + same + '&format=pac', 'try-link-pac'],
    ].forEach(function (link, i) {
      if (i > 0) p.appendChild(document.createTextNode(i === 2 ? ' or ' : ', '));
      var a = el('a', '', link[0]);
      a.href = link[1];
      a.id = link[2];
      p.appendChild(a);
    });
    p.appendChild(document.createTextNode('; what CVMFS with '));
    p.appendChild(el('code', '', 'auto'));
    p.appendChild(document.createTextNode(' fetches: '));
    var wpad = el('a', '', 'wpad.dat');
    wpad.href = base + '/wpad.dat?' + asked.where;
    wpad.id = 'try-link-wpad';
    p.appendChild(wpad);
    p.appendChild(document.createTextNode('.'));
    return p;
  }

  function showAnswer(body, asked) {
    clearAnswer();
    var parts = [el('p', 'caller', describeCaller(body.caller))];
    if (body.note) parts.push(el('p', 'note', body.note));
    var written = body.caches.slice(0, asked.n);
    var rest = body.caches.slice(asked.n);
    if (written.length === 0) {
      parts.push(el('p', 'muted', 'No cache would be offered: shoal-client would fall back to its last good list or the site defaults.'));
    } else {
      var these = written.length === 1 ? 'this cache' : 'these ' + written.length + ' caches';
      var head =
        asked.upstream === 'any'
          ? 'Offered first for any upstream, in this order (shoal-client itself asks for CVMFS, or Frontier with --frontier):'
          : (asked.upstream === 'frontier' ? 'shoal-client --frontier would use ' : 'shoal-client would write ') + these + ', in this order, if they pass its test fetch:';
      parts.push(el('p', 'written-head', head));
      parts.push(answerList(written, 'try-written', 'answer', 1));
      if (rest.length > 0) {
        parts.push(el('p', 'spares-head', (rest.length === 1 ? 'Its spare' : 'Its ' + rest.length + ' spares') + ', taken in order for any that fail:'));
        parts.push(answerList(rest, 'try-spares', 'answer spares', asked.n + 1));
      }
    }
    parts.push(answerLinks(asked));
    tryResult.replaceChildren.apply(tryResult, parts);
    chosenIds = written.map(function (c) { return c.id; });
    markChosen();
    drawAnswer(body.caller, written);
  }

  function drawAnswer(caller, caches) {
    if (caller.latitude === null || caller.longitude === null) return;
    var from = { lat: caller.latitude, lon: caller.longitude };
    caches
      .slice()
      .reverse() // the best answer drawn last, on top
      .forEach(function (cache, reversedIndex) {
        if (!cache.location) return;
        var rank = caches.length - reversedIndex;
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
    map.querySelectorAll('.chosen').forEach(function (m) { m.classList.remove('chosen'); });
    chosenIds.forEach(function (id) {
      var marker = map.querySelector('.marker[data-id="' + CSS.escape(id) + '"]');
      if (marker) marker.classList.add('chosen');
      var shown = shownMarker(id);
      if (shown && shown !== marker) shown.classList.add('chosen');
    });
  }

  tryForm.addEventListener('submit', function (event) {
    event.preventDefault();
    ask(tryInput.value);
  });
  tryUpstream.addEventListener('change', function () {
    if (tryInput.value.trim()) ask(tryInput.value);
  });

  map.addEventListener('click', function (event) {
    if (suppressClick) {
      // The end of a drag or pinch, not a click on the map.
      suppressClick = false;
      event.preventDefault();
      return;
    }
    var cluster = event.target.closest && event.target.closest('.cluster');
    if (cluster) {
      event.preventDefault();
      expand(cluster);
      return;
    }
    // A marker is a link to its cache's page: let it go there.
    if (event.target.closest && event.target.closest('a.pin')) return;
    var point = toMap(event.clientX, event.clientY);
    if (!point) return;
    var place = invert(point.x, point.y);
    if (!place) return;
    tryInput.value = place.lat.toFixed(2) + ', ' + place.lon.toFixed(2);
    ask(tryInput.value);
  });
})();
