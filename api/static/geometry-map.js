// A small map of the features on an HTML item or items page, over the twin's own tiles.
(function () {
  "use strict";
  const holder = document.getElementById("geometry-map");
  const data = JSON.parse(document.getElementById("geometry").textContent);
  const features = (data.features || [data]).filter((f) => f && f.geometry);
  if (!holder || !features.length || !window.maplibregl) { if (holder) holder.hidden = true; return; }
  const walk = (c) => (typeof c[0] === "number" ? [c] : c.flatMap(walk));
  const points = features.flatMap((f) => walk(f.geometry.coordinates));
  const box = points.reduce((b, [x, y]) => [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)],
    [Infinity, Infinity, -Infinity, -Infinity]);
  const map = new maplibregl.Map({ container: holder, attributionControl: false,
    style: { version: 8, sources: {
      twin: { type: "vector", url: holder.dataset.tilejson },
      shown: { type: "geojson", data: { type: "FeatureCollection", features } } },
    layers: [
      { id: "bg", type: "background", paint: { "background-color": "#eef0f3" } },
      { id: "ctx-roads", type: "line", source: "twin", "source-layer": "roads", paint: { "line-color": "#f3c48b", "line-width": 2 } },
      { id: "ctx-buildings", type: "fill", source: "twin", "source-layer": "buildings", paint: { "fill-color": "#c5d0e0" } },
      { id: "shown-fill", type: "fill", source: "shown", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#d7301f", "fill-opacity": 0.4 } },
      { id: "shown-line", type: "line", source: "shown", filter: ["!=", ["geometry-type"], "Point"], paint: { "line-color": "#d7301f", "line-width": 2 } },
      { id: "shown-point", type: "circle", source: "shown", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": "#d7301f", "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
    ] },
    bounds: [[box[0], box[1]], [box[2], box[3]]], fitBoundsOptions: { padding: 40, maxZoom: 17 } });
  window.geometryMap = map;
})();
