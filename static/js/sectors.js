// Border sectors (coloured by EUROSUR impact level) and crossing points (a symbol by kind) on
// every map of the portal: a PortalMap.addLayer hook that reads the sectors the signed-in user's
// country may see, as GeoJSON from the portal, with a legend. Load it after portal-map.js.
"use strict";

(() => {
  const script = document.currentScript;
  const url = (script && script.dataset.geojsonUrl) || "/borders/map.geojson";
  const COLOURS = { low: "#2e7d32", medium: "#f9a825", high: "#ef6c00", critical: "#c62828" };
  let request = null; // one read per page, however many maps it has

  const features = () => {
    if (!request) {
      request = fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then((response) => (response.ok ? response.json() : { type: "FeatureCollection", features: [] }))
        .catch(() => ({ type: "FeatureCollection", features: [] }));
    }
    return request;
  };

  const popup = (p, legend) => {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = p.name;
    box.append(title, document.createElement("br"), `${p.code} · ${p.country}`, document.createElement("br"));
    box.append(p.kind === "sector" ? `${legend.level} ${p.level_label}` : p.crossing_kind_label);
    if (p.url) {
      const link = document.createElement("a");
      link.href = p.url;
      link.textContent = legend.open;
      box.append(document.createElement("br"), link);
    }
    return box;
  };

  const legendControl = (legend) => {
    const control = L.control({ position: "bottomright" });
    control.onAdd = () => {
      const box = L.DomUtil.create("div", "map-legend");
      const heading = document.createElement("h2");
      heading.textContent = legend.title;
      const list = document.createElement("ul");
      legend.levels.forEach(({ value, label }) => {
        const item = document.createElement("li");
        const swatch = document.createElement("span");
        swatch.className = `legend-line legend-${value}`;
        item.append(swatch, label);
        list.append(item);
      });
      legend.kinds.forEach(({ value, label }) => {
        const item = document.createElement("li");
        const symbol = document.createElement("span");
        symbol.className = `crossing-symbol crossing-${value}`;
        item.append(symbol, label);
        list.append(item);
      });
      box.append(heading, list);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  };

  PortalMap.addLayer((map) => {
    // Below the incidents and the drawing: sectors are the background of the picture.
    map.createPane("sectors").style.zIndex = 350;
    features().then((data) => {
      if (!data.features || !data.features.length) return;
      const legend = data.legend;
      const layer = L.geoJSON(data, {
        pane: "sectors",
        style: (feature) => ({
          color: COLOURS[feature.properties.level] || "#455a64",
          weight: 4,
          opacity: 0.9,
          fillOpacity: 0.15,
        }),
        pointToLayer: (feature, latlng) =>
          L.marker(latlng, {
            pane: "sectors",
            title: feature.properties.name,
            icon: L.divIcon({
              className: "crossing-icon",
              html: `<span class="crossing-symbol crossing-${feature.properties.crossing_kind}"></span>`,
              iconSize: [12, 12],
            }),
          }),
        onEachFeature: (feature, shape) => shape.bindPopup(popup(feature.properties, legend)),
      }).addTo(map);
      if (legend) {
        legendControl(legend).addTo(map);
        L.control.layers(null, { [legend.layer]: layer }, { position: "topright" }).addTo(map);
      }
    });
  });
})();
