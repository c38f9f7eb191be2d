// Incident maps: the map of visible incidents (GeoJSON from the portal) and the place picker
// of the incident form. The map itself comes from portalMap() (portal-map.js).
"use strict";

function showIncidents(element) {
  const map = portalMap(element);
  const status = document.getElementById("map-status");
  const layer = L.featureGroup().addTo(map);
  const markers = new Map(); // incident id -> its marker
  let truncated = false;
  const count = () => {
    status.textContent = markers.size
      ? `${element.dataset.countLabel} ${markers.size}` + (truncated ? ` ${element.dataset.truncatedText}` : "")
      : element.dataset.emptyText;
  };
  // p: the feature's properties (GeoJSON) or a live item, which carries the same names.
  const draw = (id, p, lat, lon) => {
    const marker = L.circleMarker([lat, lon], { radius: 7, weight: 2, className: `severity-${p.severity}` });
    const box = document.createElement("div");
    const link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.exercise ? `EXERCISE · ${p.reference}` : p.reference;
    box.append(link, document.createElement("br"),
      `${p.category_label} · ${p.marking_label}`, document.createElement("br"),
      `${p.occurred_at.slice(0, 16).replace("T", " ")} · ${lat.toFixed(5)}, ${lon.toFixed(5)}`);
    marker.bindPopup(box);
    marker.addTo(layer);
    markers.set(id, marker);
    return marker;
  };
  const banner = document.getElementById("map-exercise");
  fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
    .then((response) => response.json())
    .then((data) => {
      for (const feature of data.features) {
        const [lon, lat] = feature.geometry.coordinates;
        if (!markers.has(feature.id)) draw(feature.id, feature.properties, lat, lon); // live may have drawn it
      }
      truncated = data.truncated;
      if (banner && data.features.some((feature) => feature.properties.exercise)) banner.hidden = false;
      if (markers.size) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 10 });
      count();
    });
  // Live updates (live.js): incidents shared or changed since the page opened, read through the
  // gate by the portal; those no longer seen, or no longer matching the filters, go away.
  document.addEventListener("portal:live", (event) => {
    const answer = event.detail;
    for (const id of [...answer.gone, ...answer.items.map((item) => item.id)]) {
      const old = markers.get(id);
      if (old) {
        old.remove();
        markers.delete(id);
      }
    }
    for (const item of answer.items) {
      if (item.latitude === null || item.longitude === null) continue;
      const marker = draw(item.id, item, item.latitude, item.longitude);
      const path = marker.getElement();
      if (path && window.PortalLive) window.PortalLive.mark(path, item);
      if (banner && item.exercise) banner.hidden = false;
    }
    count();
  });
}

function pickPlace(element) {
  const map = portalMap(element);
  const data = element.dataset;
  const lat = document.getElementById(data.latInput);
  const lon = document.getElementById(data.lonInput);
  let marker = null;
  const place = (latlng) => {
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng).addTo(map);
  };
  const typed = () => {
    const la = Number(lat.value);
    const lo = Number(lon.value);
    if (lat.value === "" || lon.value === "" || Number.isNaN(la) || Number.isNaN(lo)) return null;
    if (la < -90 || la > 90 || lo < -180 || lo > 180) return null;
    return L.latLng(la, lo);
  };
  // A click suggests the nearest sector and crossing point of the country (data-nearest-url):
  // it pre-selects them and says so; the officer may choose others.
  const note = data.nearestNote ? document.getElementById(data.nearestNote) : null;
  const suggest = (latlng) => {
    if (!data.nearestUrl) return;
    const query = new URLSearchParams({ lat: latlng.lat.toFixed(6), lon: latlng.lng.toFixed(6) });
    if (data.country) query.set("country", data.country);
    fetch(`${data.nearestUrl}?${query}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((found) => {
        if (!found) return;
        const parts = [];
        [["sector", data.sectorInput, data.sectorText], ["crossing", data.crossingInput, data.crossingText]]
          .forEach(([key, inputId, text]) => {
            const choice = found[key];
            const select = inputId ? document.getElementById(inputId) : null;
            if (!choice || !select) return;
            if ([...select.options].some((option) => option.value === String(choice.id))) {
              select.value = String(choice.id);
            }
            const km = found[`${key}_km`];
            parts.push((text || "{name}, {km} km").replace("{name}", `${choice.code} ${choice.name}`)
              .replace("{km}", km.toFixed(1)));
          });
        if (note) note.textContent = parts.length ? parts.join(" · ") : (data.noneText || "");
      })
      .catch(() => {});
  };
  const start = typed();
  if (start) {
    place(start);
    map.setView(start, 9);
  }
  [lat, lon].forEach((input) => input.addEventListener("change", () => {
    const latlng = typed();
    if (!latlng) return;
    place(latlng);
    map.panTo(latlng);
  }));
  map.on("click", (event) => {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
    suggest(event.latlng);
  });
}

// The incident page's mini-map: the place (a marker at the point or crossing point, or the
// sector's box) among the sectors and the base map.
function showPlace(element) {
  const map = portalMap(element);
  const data = element.dataset;
  if (data.bounds) {
    const [south, west, north, east] = data.bounds.split(",").map(Number);
    map.fitBounds([[south, west], [north, east]], { padding: [10, 10], maxZoom: 11 });
    return;
  }
  const latlng = L.latLng(Number(data.lat), Number(data.lon));
  L.circleMarker(latlng, { radius: 8, weight: 3, className: `severity-${data.severity}` }).addTo(map);
  map.setView(latlng, 10);
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof L === "undefined") return;
  const place = document.getElementById("incident-minimap");
  if (place) showPlace(place);
  const incidents = document.getElementById("incident-map");
  if (incidents) showIncidents(incidents);
  const picker = document.getElementById("pick-map");
  if (picker) pickPlace(picker);
});
