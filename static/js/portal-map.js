// Every map of the portal is made by portalMap(element): Leaflet with the base map, a scale and the
// pointer's position, then each layer registered with PortalMap.addLayer(fn), called as
// fn(map, element) for every map made.
//
// The base map is built in: land, lakes, rivers, coastlines, land borders and place names of the
// portal's region (portal/basemap.py, from Natural Earth, GSHHG and GeoNames data shipped in
// installed packages), read from the portal itself, so a map works in a closed network. Where a
// tile server is configured (data-tile-url), its tiles are shown instead and the built-in map is
// one choice away.
"use strict";

const PortalMap = {
  hooks: [],
  addLayer(fn) {
    this.hooks.push(fn);
  },
};

const PortalBaseMap = (() => {
  const meta = document.querySelector('meta[name="portal-basemap"]');
  const EMPTY = { type: "FeatureCollection", features: [] };
  const requests = {}; // one read of each layer per page, however many maps it has
  const load = (name) => {
    if (!meta) return Promise.resolve(EMPTY);
    if (!requests[name]) {
      requests[name] = fetch(meta.content.replace("LAYER", name), {
        credentials: "same-origin",
        headers: { Accept: "application/geo+json" },
      })
        .then((response) => (response.ok ? response.json() : EMPTY))
        .catch(() => EMPTY);
    }
    return requests[name];
  };

  // Smallest town (inhabitants) labelled at each zoom; labels that would overlap a larger
  // town's are left out too, so a crowded area stays readable.
  const townMinimum = (zoom) => {
    if (zoom <= 4) return 1000000;
    return { 5: 300000, 6: 100000, 7: 30000, 8: 10000, 9: 3000 }[zoom] || 1000;
  };
  const MAX_LABELS = 300;
  // Pixels between two names of the same country along a border.
  const SIDE_SPACING = 280;

  const Labels = L.Layer.extend({
    initialize(features, pane) {
      // Country names first, then large towns, then the names along borders, then the rest:
      // where two would overlap, the earlier one is written.
      const rank = (p) => (p.kind === "country" ? 0 : p.kind === "side" ? 2 : p.population >= 20000 ? 1 : 3);
      this.features = features
        .map((feature, index) => ({ feature, index }))
        .sort((a, b) => rank(a.feature.properties) - rank(b.feature.properties) || a.index - b.index)
        .map(({ feature }) => feature);
      this.pane = pane;
      this.language = (document.documentElement.lang || "en").slice(0, 2);
    },
    onAdd(map) {
      this.group = L.layerGroup().addTo(map);
      map.on("moveend", this.update, this);
      this.update();
    },
    onRemove(map) {
      map.off("moveend", this.update, this);
      this.group.remove();
    },
    label(p, zoom) {
      const name = (p.names && p.names[this.language]) || p.name;
      if (p.kind === "country") return zoom >= 4 && zoom <= 8 ? { text: name, size: 13, kind: "country" } : null;
      if (p.kind === "side") return zoom >= 10 ? { text: name, size: 11, kind: "side" } : null;
      if (p.population < townMinimum(zoom)) return null;
      return { text: p.name, size: p.population >= 1000000 ? 15 : p.population >= 100000 ? 13 : 12, kind: "town" };
    },
    update() {
      const map = this._map;
      const zoom = map.getZoom();
      const bounds = map.getBounds().pad(0.05);
      const placed = [];
      const sides = []; // [country, x, y] of the border names written
      this.group.clearLayers();
      for (const feature of this.features) {
        if (placed.length >= MAX_LABELS) break;
        const label = this.label(feature.properties, zoom);
        if (!label) continue;
        const [lon, lat] = feature.geometry.coordinates;
        if (!bounds.contains([lat, lon])) continue;
        // The label's box on screen, estimated from the length of its text, and where the
        // marker's point falls in it: a town's dot at its left, a country's name centred, a
        // border side's name beside the border, on the side of the point it looks toward.
        const caps = label.kind !== "town";
        const width = Math.ceil(label.text.length * label.size * (caps ? 0.78 : 0.58)) + 10;
        const height = label.size + 6;
        const point = map.latLngToContainerPoint([lat, lon]);
        const country = feature.properties.country;
        const near = ([c, x, y]) => c === country && Math.hypot(x - point.x, y - point.y) < SIDE_SPACING;
        if (label.kind === "side" && sides.some(near)) continue;
        let anchor = label.kind === "town" ? [4, height / 2] : [width / 2, height / 2];
        if (label.kind === "side") {
          const [towardLon, towardLat] = feature.properties.toward;
          const toward = map.latLngToContainerPoint([towardLat, towardLon]).subtract(point);
          const length = Math.hypot(toward.x, toward.y) || 1;
          const [dx, dy] = [toward.x / length, toward.y / length];
          const distance = Math.abs(dx) * (width / 2) + Math.abs(dy) * (height / 2) + 6;
          anchor = [width / 2 - dx * distance, height / 2 - dy * distance];
        }
        const left = point.x - anchor[0];
        const top = point.y - anchor[1];
        const box = { left, top, right: left + width, bottom: top + height };
        const overlaps = (o) => box.left < o.right && o.left < box.right && box.top < o.bottom && o.top < box.bottom;
        if (placed.some(overlaps)) continue;
        placed.push(box);
        if (label.kind === "side") sides.push([country, point.x, point.y]);
        const element = document.createElement("span");
        element.className = label.kind === "town" ? `basemap-town basemap-town-${label.size}` : `basemap-${label.kind}`;
        element.textContent = label.text;
        const icon = L.divIcon({
          html: element,
          className: "basemap-label",
          iconSize: [width, height],
          iconAnchor: anchor,
        });
        L.marker([lat, lon], { icon, pane: this.pane, interactive: false, keyboard: false }).addTo(this.group);
      }
    },
  });

  // A layer shown only from a zoom on: small lakes and rivers would only blur a country-wide view.
  const FromZoom = L.Layer.extend({
    initialize(inner, minZoom) {
      this.inner = inner;
      this.minZoom = minZoom;
    },
    onAdd(map) {
      map.on("zoomend", this.update, this);
      this.update();
    },
    onRemove(map) {
      map.off("zoomend", this.update, this);
      this.inner.remove();
    },
    update() {
      const map = this._map;
      if (map.getZoom() >= this.minZoom) {
        if (!map.hasLayer(this.inner)) this.inner.addTo(map);
      } else {
        this.inner.remove();
      }
    },
  });
  // Rivers by rank (the length of their system, portal/basemap.py): from which zoom, how wide.
  const RIVERS = { 1: [6, 1.6], 2: [7, 1.2], 3: [8, 1] };
  // Lakes of at least this many km2 are drawn at every zoom; the others from SMALL_LAKE_ZOOM on.
  const LARGE_LAKE = 50;
  const SMALL_LAKE_ZOOM = 7;

  // The built-in base map of one map, as one layer that can be added and removed.
  const layer = (map) => {
    // Water lies on the land and under coasts and borders: a border through a lake stays drawn.
    const panes = { land: 150, water: 200, lines: 250, labels: 390 };
    Object.entries(panes).forEach(([name, zIndex]) => {
      const pane = map.createPane(`basemap-${name}`);
      pane.style.zIndex = zIndex;
      if (name === "labels") pane.style.pointerEvents = "none";
    });
    const group = L.layerGroup([], { attribution: "Natural Earth · GSHHG · GeoNames" });
    const land = L.svg({ pane: "basemap-land", padding: 0.5 });
    const water = L.svg({ pane: "basemap-water", padding: 0.5 });
    const lines = L.svg({ pane: "basemap-lines", padding: 0.5 });
    const style = (className, renderer) => ({ className, renderer, interactive: false });
    load("land").then((data) => {
      if (data.bbox) {
        // Outside the region the map has no data: shade it, rather than show it as open sea.
        const [west, south, east, north] = data.bbox;
        const world = [[-85, -540], [85, -540], [85, 540], [-85, 540]];
        const region = [[south, west], [north, west], [north, east], [south, east]];
        L.polygon([world, region], { ...style("basemap-outside", land), stroke: false, fillOpacity: 1 }).addTo(group);
      }
      L.geoJSON(data, { ...style("basemap-land", land), stroke: false, fillOpacity: 1 }).addTo(group);
    });
    // Lakes first, rivers over them: a river's line runs on through the lake it crosses.
    Promise.all([load("lakes"), load("rivers")]).then(([lakes, rivers]) => {
      const lakeStyle = { ...style("basemap-lake", water), weight: 0.8, fillOpacity: 1 };
      const large = (feature) => feature.properties.km2 >= LARGE_LAKE;
      L.geoJSON(lakes, { ...lakeStyle, filter: large }).addTo(group);
      const small = L.geoJSON(lakes, { ...lakeStyle, filter: (feature) => !large(feature) });
      new FromZoom(small, SMALL_LAKE_ZOOM).addTo(group);
      Object.entries(RIVERS).forEach(([rank, [minZoom, weight]]) => {
        const lines = L.geoJSON(rivers, {
          ...style("basemap-river", water),
          weight,
          fill: false,
          filter: (feature) => String(feature.properties.rank) === rank,
        });
        new FromZoom(lines, minZoom).addTo(group);
      });
    });
    // Coastlines under borders, each border drawn twice: a wide soft band and a dashed line.
    Promise.all([load("coastline"), load("borders")]).then(([coast, borders]) => {
      L.geoJSON(coast, { ...style("basemap-coast", lines), weight: 1, fill: false }).addTo(group);
      L.geoJSON(borders, { ...style("basemap-border-halo", lines), weight: 7, fill: false }).addTo(group);
      L.geoJSON(borders, { ...style("basemap-border", lines), weight: 2, fill: false, dashArray: "8 4" }).addTo(group);
    });
    load("places").then((data) => group.addLayer(new Labels(data.features, "basemap-labels")));
    group.on("add", () => map.getContainer().classList.add("map-basemap"));
    group.on("remove", () => map.getContainer().classList.remove("map-basemap"));
    return group;
  };

  return { layer, load, labels: meta ? meta.dataset : {} };
})();

function portalMap(element) {
  const map = L.map(element, { worldCopyJump: true }).setView([56.5, 25.0], 5);
  const base = PortalBaseMap.layer(map);
  const tiles = element.dataset.tileUrl;
  if (tiles) {
    const attribution = element.dataset.tileAttribution || "";
    const tileLayer = L.tileLayer(tiles, { maxZoom: 18, attribution }).addTo(map);
    const names = PortalBaseMap.labels;
    const choices = { [names.tilesLabel || "Tiles"]: tileLayer, [names.builtinLabel || "Built-in map"]: base };
    L.control.layers(choices, {}, { position: "topright" }).addTo(map);
  } else {
    base.addTo(map);
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
