// Incident maps: the map of visible incidents (GeoJSON from the portal) and the place picker
// of the incident form. The map itself comes from portalMap() (portal-map.js).
"use strict";

function showIncidents(element) {
  const map = portalMap(element);
  const status = document.getElementById("map-status");
  fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
    .then((response) => response.json())
    .then((data) => {
      const layer = L.geoJSON(data, {
        pointToLayer: (feature, latlng) =>
          L.circleMarker(latlng, { radius: 7, weight: 2, className: `severity-${feature.properties.severity}` }),
        onEachFeature: (feature, marker) => {
          const p = feature.properties;
          const [lon, lat] = feature.geometry.coordinates;
          const box = document.createElement("div");
          const link = document.createElement("a");
          link.href = p.url;
          link.textContent = p.exercise ? `EXERCISE · ${p.reference}` : p.reference;
          box.append(link, document.createElement("br"),
            `${p.category_label} · ${p.marking_label}`, document.createElement("br"),
            `${p.occurred_at.slice(0, 16).replace("T", " ")} · ${lat.toFixed(5)}, ${lon.toFixed(5)}`);
          marker.bindPopup(box);
        },
      }).addTo(map);
      const banner = document.getElementById("map-exercise");
      if (banner && data.features.some((feature) => feature.properties.exercise)) banner.hidden = false;
      if (data.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 10 });
        status.textContent = `${element.dataset.countLabel} ${data.features.length}`
          + (data.truncated ? ` ${element.dataset.truncatedText}` : "");
      } else {
        status.textContent = element.dataset.emptyText;
      }
    });
}

function pickPlace(element) {
  const map = portalMap(element);
  const lat = document.getElementById(element.dataset.latInput);
  const lon = document.getElementById(element.dataset.lonInput);
  let marker = null;
  const place = (latlng) => {
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng).addTo(map);
  };
  if (lat.value && lon.value) {
    place([Number(lat.value), Number(lon.value)]);
    map.setView([Number(lat.value), Number(lon.value)], 9);
  }
  map.on("click", (event) => {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof L === "undefined") return;
  const incidents = document.getElementById("incident-map");
  if (incidents) showIncidents(incidents);
  const picker = document.getElementById("pick-map");
  if (picker) pickPlace(picker);
});
