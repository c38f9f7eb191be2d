// A line or an area drawn vertex by vertex on a map (kept as GeoJSON in a form field): the route
// of a joint patrol, a border sector. Shown read-only on their pages. Uses portalMap().
// The drawing map says what it draws with data attributes: data-input (the field's id),
// data-kind-name (the name of the Line/Area radio buttons), data-undo and data-clear (button ids),
// data-length (where the length is written, with data-length-text holding "{km}"), and
// data-long-km with data-long-text: the warning shown past that length.
"use strict";

function drawnLayer(map, geometry) {
  return L.geoJSON(geometry, { style: { weight: 3 } }).addTo(map);
}

function lengthKm(latlngs) {
  let km = 0;
  for (let i = 1; i < latlngs.length; i += 1) km += latlngs[i - 1].distanceTo(latlngs[i]) / 1000;
  return km;
}

function showRoute(element) {
  const map = portalMap(element);
  const geometry = JSON.parse(document.getElementById(element.dataset.source).textContent);
  const layer = drawnLayer(map, geometry);
  map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
}

function drawRoute(element) {
  const map = portalMap(element);
  const data = element.dataset;
  const input = document.getElementById(data.input);
  const kindName = data.kindName || "route-kind";
  const lengthBox = data.length ? document.getElementById(data.length) : null;
  let points = [];
  let layer = null;
  const kind = () => document.querySelector(`input[name=${kindName}]:checked`).value;

  const geometry = () => {
    const coords = points.map((p) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
    if (kind() === "Polygon") {
      return coords.length >= 3 ? { type: "Polygon", coordinates: [[...coords, coords[0]]] } : null;
    }
    return coords.length >= 2 ? { type: "LineString", coordinates: coords } : null;
  };
  const showLength = () => {
    if (!lengthBox) return;
    const path = kind() === "Polygon" && points.length >= 3 ? [...points, points[0]] : points;
    const km = lengthKm(path);
    let text = points.length >= 2 ? (data.lengthText || "{km} km").replace("{km}", km.toFixed(1)) : "";
    const long = Number(data.longKm || 0);
    lengthBox.classList.toggle("length-warning", Boolean(long && km > long));
    if (long && km > long && data.longText) text += ` ${data.longText.replace("{km}", km.toFixed(0))}`;
    lengthBox.textContent = text;
  };
  const redraw = () => {
    if (layer) layer.remove();
    layer = null;
    const shape = geometry();
    input.value = shape ? JSON.stringify(shape) : "";
    if (shape) layer = drawnLayer(map, shape);
    else if (points.length) layer = L.layerGroup(points.map((p) => L.circleMarker(p, { radius: 4 }))).addTo(map);
    showLength();
  };

  if (input.value) {
    try {
      const shape = JSON.parse(input.value);
      const ring = shape.type === "Polygon" ? shape.coordinates[0].slice(0, -1) : shape.coordinates;
      points = ring.map(([lng, lat]) => L.latLng(lat, lng));
      const radio = document.querySelector(`input[name=${kindName}][value=${shape.type}]`);
      if (radio) radio.checked = true;
      redraw();
      if (layer && layer.getBounds) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
    } catch (error) {
      // A hand-edited value that is not GeoJSON: leave it for the server to explain.
    }
  }
  map.on("click", (event) => { points.push(event.latlng); redraw(); });
  document.getElementById(data.undo || "route-undo").addEventListener("click", () => { points.pop(); redraw(); });
  document.getElementById(data.clear || "route-clear").addEventListener("click", () => { points = []; redraw(); });
  document.querySelectorAll(`input[name=${kindName}]`).forEach((radio) => radio.addEventListener("change", redraw));
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof L === "undefined") return;
  const element = document.getElementById("route-map");
  if (!element) return;
  if (element.dataset.readonly) showRoute(element); else drawRoute(element);
});
