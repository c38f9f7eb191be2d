// Every map of the portal is made by portalMap(element): Leaflet with the base map (a tile server
// when one is configured, data-tile-url), a scale and the pointer's position, then each layer
// registered with PortalMap.addLayer(fn), called as fn(map, element) for every map made.
"use strict";

const PortalMap = {
  hooks: [],
  addLayer(fn) {
    this.hooks.push(fn);
  },
};

function portalMap(element) {
  const map = L.map(element, { worldCopyJump: true }).setView([56.5, 25.0], 5);
  const tiles = element.dataset.tileUrl;
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }
  L.control.scale().addTo(map);
  const position = L.control({ position: "bottomleft" });
  position.onAdd = () => {
    const box = L.DomUtil.create("div", "map-position");
    map.on("mousemove", (event) => {
      box.textContent = `${event.latlng.lat.toFixed(5)}, ${event.latlng.lng.toFixed(5)}`;
    });
    return box;
  };
  position.addTo(map);
  PortalMap.hooks.forEach((fn) => fn(map, element));
  return map;
}
