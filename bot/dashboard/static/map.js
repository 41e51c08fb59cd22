// The dashboard's interactive map (WUFEI_DASHBOARD_TILES, issue 15). Leaflet (vendor/leaflet, served
// by the bot like this file) draws the configured tile server's tiles and, over them, what the page's
// JSON block #tile-map-data holds: Jiangyin's outline, the unit seats and the report points of the
// view (the same newest points the server-drawn SVG has), coloured by status, each a link to its
// report. Nothing here writes HTML from data: names and tickets go in as text. Without scripts the
// page shows the SVG in <noscript>.
(function () {
  "use strict";

  var box = document.getElementById("tile-map");
  var source = document.getElementById("tile-map-data");
  if (!box || !source || !window.L) {
    return;
  }
  var data = JSON.parse(source.textContent);

  function asText(value) {
    // Leaflet shows attributions as HTML; the configured one is plain text.
    var span = document.createElement("span");
    span.textContent = value || "";
    return span.innerHTML;
  }

  function seat(name, lat, lon) {
    var label = document.createElement("span");
    label.textContent = name;
    var icon = L.divIcon({ className: "tile-seat", html: label, iconSize: null });
    return L.marker([lat, lon], { icon: icon, interactive: false, keyboard: false, zIndexOffset: -1000 });
  }

  function point(p) {
    // p: [id, ticket, status, lat, lon]
    var link = document.createElement("a");
    link.href = "/dashboard/reports/" + encodeURIComponent(p[0]);
    link.title = p[1];
    link.setAttribute("aria-label", p[1]);
    link.setAttribute("data-testid", "map-point");
    link.setAttribute("data-status", p[2]);
    link.style.backgroundColor = data.colours[p[2]] || "#495057";
    var icon = L.divIcon({ className: "tile-point", html: link, iconSize: [16, 16] });
    return L.marker([p[3], p[4]], { icon: icon, keyboard: false, riseOnHover: true });
  }

  var map = L.map(box, { zoomSnap: 0.25 });
  L.tileLayer(data.tiles, { attribution: asText(data.attribution), maxZoom: 19 }).addTo(map);
  var outline = L.polygon(data.outline, {
    className: "tile-outline",
    interactive: false,
    color: "#2d6a4f",
    weight: 2,
    fillColor: "#d8f3dc",
    fillOpacity: 0.2,
  }).addTo(map);
  var bounds = outline.getBounds();
  data.seats.forEach(function (s) {
    seat(s[0], s[1], s[2]).addTo(map);
  });
  data.points.forEach(function (p) {
    point(p).addTo(map);
    bounds.extend([p[3], p[4]]);
  });
  map.fitBounds(bounds, { padding: [8, 8] });
})();
