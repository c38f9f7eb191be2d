// The route or area of a joint patrol: drawn point by point on the patrol form (kept as GeoJSON
// in the form's route field), and shown read-only on the patrol's page. Uses portalMap().
"use strict";

function drawnLayer(map, geometry) {
  return L.geoJSON(geometry, { style: { weight: 3 } }).addTo(map);
}

function showRoute(element) {
  const map = portalMap(element);
  const geometry = JSON.parse(document.getElementById(element.dataset.source).textContent);
  const layer = drawnLayer(map, geometry);
  map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
}

function drawRoute(element) {
  const map = portalMap(element);
  const input = document.getElementById(element.dataset.input);
  let points = [];
  let layer = null;
  const kind = () => document.querySelector("input[name=route-kind]:checked").value;

  const geometry = () => {
    const coords = points.map((p) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
    if (kind() === "Polygon") {
      return coords.length >= 3 ? { type: "Polygon", coordinates: [[...coords, coords[0]]] } : null;
    }
    return coords.length >= 2 ? { type: "LineString", coordinates: coords } : null;
  };
  const redraw = () => {
    if (layer) layer.remove();
    layer = null;
    const shape = geometry();
    input.value = shape ? JSON.stringify(shape) : "";
    if (shape) layer = drawnLayer(map, shape);
    else if (points.length) layer = L.layerGroup(points.map((p) => L.circleMarker(p, { radius: 4 }))).addTo(map);
  };

  if (input.value) {
    try {
      const shape = JSON.parse(input.value);
      const ring = shape.type === "Polygon" ? shape.coordinates[0].slice(0, -1) : shape.coordinates;
      points = ring.map(([lng, lat]) => L.latLng(lat, lng));
      document.querySelector(`input[name=route-kind][value=${shape.type}]`).checked = true;
      redraw();
      if (layer && layer.getBounds) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
    } catch (error) {
      // A hand-edited value that is not GeoJSON: leave it for the server to explain.
    }
  }
  map.on("click", (event) => { points.push(event.latlng); redraw(); });
  document.getElementById("route-undo").addEventListener("click", () => { points.pop(); redraw(); });
  document.getElementById("route-clear").addEventListener("click", () => { points = []; redraw(); });
  document.querySelectorAll("input[name=route-kind]").forEach((radio) => radio.addEventListener("change", redraw));
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof L === "undefined") return;
  const element = document.getElementById("route-map");
  if (!element) return;
  if (element.dataset.readonly) showRoute(element); else drawRoute(element);
});
