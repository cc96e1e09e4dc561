// The one map (一张图): the twin's own vector tiles in MapLibre, no external service.
// Layers come from the tileset's TileJSON; a click asks the Features API for the feature,
// its standard address, its BeiDou grid code and its 一标三实 links.
(function () {
  "use strict";
  const T = window.TWIN;
  const STYLE = {
    admin_areas: { color: "#7b3294", kind: "area", width: 1.6 },
    grids: { color: "#8c8c8c", kind: "area", width: 0.8, dash: [2, 2] },
    roads: { color: "#f08c2e", kind: "line", width: 3 },
    buildings: { color: "#6c8ebf", kind: "building" },
    addresses: { color: "#2b8cbe", kind: "circle", radius: 2.5 },
    houses: { color: "#41ab5d", kind: "circle", radius: 2 },
    organizations: { color: "#e31a1c", kind: "circle", radius: 4.5 },
    city_objects: { color: "#1b7837", kind: "circle", radius: 3 },
    people: { color: "#ff7f00", kind: "circle", radius: 2 },
  };
  const STOREY_METRES = 3;
  const $ = (id) => document.getElementById(id);
  const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const api = (path) => T.base + path;

  // Over a GCJ-02 web base map the tiles come drawn in GCJ-02 and their TileJSON carries
  // a grid of the offsets (twin.crs.display_offsets): the GeoJSON the map draws, its clicks
  // and its searches are moved by the same offsets, so everything lies on the base map.
  let shift = null;
  function offsetAt(lon, lat) {
    const g = shift, at = (a, c, r) => a[r * g.cols + c];
    const fx = Math.min(Math.max((lon - g.west) / g.step, 0), g.cols - 1.0001);
    const fy = Math.min(Math.max((lat - g.south) / g.step, 0), g.rows - 1.0001);
    const i = Math.floor(fx), j = Math.floor(fy), u = fx - i, v = fy - j;
    const mix = (a) => (1 - u) * (1 - v) * at(a, i, j) + u * (1 - v) * at(a, i + 1, j) +
      (1 - u) * v * at(a, i, j + 1) + u * v * at(a, i + 1, j + 1);
    return [mix(g.dlon), mix(g.dlat)];
  }
  const toDisplay = ([lon, lat]) => {
    if (!shift) return [lon, lat];
    const [dx, dy] = offsetAt(lon, lat);
    return [lon + dx, lat + dy];
  };
  const fromDisplay = ([lon, lat]) => { // the stored point the map shows at (lon, lat)
    let p = [lon, lat];
    for (let k = 0; shift && k < 4; k++) { const [dx, dy] = offsetAt(p[0], p[1]); p = [lon - dx, lat - dy]; }
    return p;
  };
  function displayed(g) { // a GeoJSON object placed in the map's frame
    if (!shift || !g) return g;
    if (g.type === "FeatureCollection") return { ...g, features: g.features.map(displayed) };
    if (g.type === "Feature") return { ...g, geometry: displayed(g.geometry) };
    const walk = (c) => (typeof c[0] === "number" ? toDisplay(c) : c.map(walk));
    return { ...g, coordinates: walk(g.coordinates) };
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" } });
    const body = r.status === 204 ? {} : await r.json();
    if (!r.ok) throw Object.assign(new Error(body.detail || r.statusText), { status: r.status, body });
    return body;
  }

  function mapLayers(name, spec) {
    const base = { source: "twin", "source-layer": name };
    const id = (suffix) => `${name}${suffix}`;
    if (spec.kind === "building") {
      const height = ["coalesce", ["get", "height"], ["*", ["coalesce", ["get", "floors"], 2], STOREY_METRES]];
      return [{ ...base, id: id(""), type: "fill-extrusion", paint: {
        "fill-extrusion-color": ["interpolate", ["linear"], height, 0, "#a6bddb", 30, spec.color, 100, "#253494"],
        "fill-extrusion-height": height, "fill-extrusion-opacity": 0.85 } }];
    }
    if (spec.kind === "area") {
      const line = { "line-color": spec.color, "line-width": spec.width };
      if (spec.dash) line["line-dasharray"] = spec.dash;
      return [
        { ...base, id: id("-fill"), type: "fill", paint: { "fill-color": spec.color, "fill-opacity": 0.03 } },
        { ...base, id: id(""), type: "line", paint: line },
      ];
    }
    if (spec.kind === "line") {
      return [{ ...base, id: id(""), type: "line", paint: { "line-color": spec.color, "line-width": spec.width }, layout: { "line-cap": "round" } }];
    }
    return [{ ...base, id: id(""), type: "circle", paint: {
      "circle-color": spec.color, "circle-radius": spec.radius, "circle-stroke-color": "#fff", "circle-stroke-width": 0.5 } }];
  }

  function baseStyle() {
    const style = { version: 8, sources: { twin: { type: "vector", url: T.tilejson } },
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef0f3" } }] };
    if (T.baseMap) { // an optional GCJ-02 web base map of the deployment; the data is shifted onto it
      style.sources.base = { type: "raster", tiles: [T.baseMap], tileSize: 256 };
      style.layers.push({ id: "base", type: "raster", source: "base" });
    }
    return style;
  }

  async function start() {
    const [tilejson, collections] = await Promise.all([getJSON(T.tilejson), getJSON(api("/collections"))]);
    const titles = Object.fromEntries(collections.collections.map((c) => [c.id, c.title]));
    shift = tilejson.display_offsets || null;
    const map = new maplibregl.Map({ container: "map", style: baseStyle(), bounds: tilejson.bounds,
      fitBoundsOptions: { padding: 20 }, pitch: 50, bearing: -15, maxPitch: 75, attributionControl: false });
    window.twinMap = map;
    // Buildings are tiled from zoom 12: open close enough to see them.
    if (map.getZoom() < 13) map.setZoom(13);
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }));
    map.addControl(new maplibregl.ScaleControl());
    const layers = tilejson.vector_layers.filter((l) => STYLE[l.id]);
    const clickable = [];
    map.on("load", () => {
      for (const l of layers) {
        for (const ml of mapLayers(l.id, STYLE[l.id])) { map.addLayer(ml); clickable.push(ml.id); }
      }
      addSelectionLayers(map);
    });
    map.once("idle", () => { window.twinFirstRender = performance.now(); });
    window.twinTimes = { created: performance.now() };
    map.once("load", () => { window.twinTimes.load = performance.now(); });
    map.on("sourcedata", (e) => { if (e.tile) window.twinTimes.lastTile = performance.now(); });
    buildSwitcher(map, layers, titles);
    map.on("click", (e) => showFeature(map, e, clickable, titles));
    for (const id of clickable) map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    $("search").addEventListener("submit", (e) => { e.preventDefault(); search(map); });
    $("filter").addEventListener("submit", (e) => { e.preventDefault(); filter(map); });
    $("filter-clear").addEventListener("click", () => { map.getSource("selection").setData(EMPTY); $("filter-status").textContent = ""; });
  }

  function buildSwitcher(map, layers, titles) {
    const list = $("layers"), select = $("filter-layer");
    for (const l of layers) {
      const li = document.createElement("li");
      li.innerHTML = `<input type="checkbox" checked id="show-${l.id}"><span class="swatch" style="background:${STYLE[l.id].color}"></span>` +
        `<label for="show-${l.id}">${esc(titles[l.id] || l.id)}</label><span class="zoom">z${l.minzoom}+</span>`;
      li.querySelector("input").addEventListener("change", (e) => {
        for (const ml of mapLayers(l.id, STYLE[l.id])) map.setLayoutProperty(ml.id, "visibility", e.target.checked ? "visible" : "none");
      });
      list.appendChild(li);
      select.add(new Option(titles[l.id] || l.id, l.id, false, l.id === "buildings"));
    }
  }

  function around(map, point, pixels) {
    const a = map.unproject([point.x - pixels, point.y + pixels]), b = map.unproject([point.x + pixels, point.y - pixels]);
    return [...fromDisplay([a.lng, a.lat]), ...fromDisplay([b.lng, b.lat])].map((v) => v.toFixed(7)).join(",");
  }

  async function showFeature(map, e, clickable, titles) {
    const hits = map.queryRenderedFeatures(e.point, { layers: clickable.filter((id) => map.getLayer(id)) });
    if (!hits.length) return;
    const hit = hits[0], layer = hit.sourceLayer;
    const popup = new maplibregl.Popup({ maxWidth: "26rem" }).setLngLat(e.lngLat)
      .setHTML(`<div class="popup" id="popup">${esc(titles[layer] || layer)} …</div>`).addTo(map);
    try {
      const found = await getJSON(api(`/collections/${layer}/items?bbox=${around(map, e.point, 3)}&limit=20`));
      const code = hit.properties.code;
      const feature = found.features.find((f) => code && (f.id === code || f.properties.code === code)) || found.features[0];
      if (!feature) { popup.setHTML(`<div class="popup" id="popup">${esc(layer)}: nothing here</div>`); return; }
      popup.setHTML(await describe(layer, feature, e.lngLat, titles));
      if (layer === "buildings") await showFloors(map, feature);
    } catch (err) {
      popup.setHTML(`<div class="popup error" id="popup">${esc(err.message)}</div>`);
    }
  }

  function ring(feature) { // the outer ring of a (multi)polygon as CQL2 text
    const g = feature.geometry;
    const rings = g.type === "MultiPolygon" ? g.coordinates[0] : g.coordinates;
    return `POLYGON((${rings[0].map((p) => `${p[0]} ${p[1]}`).join(",")}))`;
  }

  // A building's floors: pick one to see its storey lit inside the building, with its
  // houses and their 3D BeiDou grid codes (GB/T 39409: the house's cell in height).
  const storeyOf = (floor) => { // 12, 12层, 12F → 12; B1, 负1层, -1 → −1 (as twin.placement reads it)
    const m = /^\s*(负|地下|-|B)?\s*(\d+)/i.exec(floor || "");
    return m ? (m[1] ? -Number(m[2]) : Number(m[2])) : null;
  };

  async function showFloors(map, building) {
    const box = $("floors");
    if (!box) return;
    const code = building.properties.code || building.id;
    const found = await getJSON(api(`/collections/houses/items?limit=1000&filter=${encodeURIComponent(`building_code='${code}'`)}`));
    const byFloor = new Map();
    for (const h of found.features) {
      const n = storeyOf(h.properties.floor);
      if (n === null) continue;
      if (!byFloor.has(n)) byFloor.set(n, []);
      byFloor.get(n).push(h);
    }
    const floors = [...byFloor.keys()].sort((a, b) => b - a);
    if (!floors.length) { box.textContent = "no houses with a floor"; return; }
    const p = building.properties, storey = p.height && p.floors ? p.height / p.floors : STOREY_METRES;
    box.innerHTML = `<label for="floor-select">楼层 floor</label> <select id="floor-select">` +
      floors.map((n) => `<option value="${n}">${n > 0 ? n : "B" + -n}</option>`).join("") +
      `</select><ul id="floor-houses"></ul>`;
    const show = () => {
      const n = Number($("floor-select").value);
      const base = (n > 0 ? n - 1 : n) * storey;
      map.getSource("storey").setData({ type: "FeatureCollection", features: [{ type: "Feature",
        geometry: displayed(building.geometry), properties: { floor: n, base, top: base + storey } }] });
      $("floor-houses").innerHTML = byFloor.get(n).map((h) => {
        const c3 = h.properties.beidou_code_3d;
        return `<li data-house="${esc(h.properties.code)}">${esc(h.properties.room || h.properties.code)}` +
          (c3 ? ` <a class="code3d" href="${api(`/codes/${encodeURIComponent(c3)}`)}" target="_blank">${esc(c3)}</a>` : "") + "</li>";
      }).join("");
      window.twinFloor = { building: code, floor: n, base, top: base + storey, houses: byFloor.get(n).length };
    };
    $("floor-select").addEventListener("change", show);
    show();
  }

  async function count(layer, filter) {
    const r = await getJSON(api(`/collections/${layer}/items?limit=1&filter=${encodeURIComponent(filter)}`));
    return r.numberMatched ?? r.features.length;
  }

  async function describe(layer, feature, lngLat, titles) {
    const p = feature.properties, code = p.code || feature.id;
    const rows = Object.entries(p).filter(([, v]) => v !== null && v !== "" && typeof v !== "object")
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
    const extra = [];
    const [lon, lat] = fromDisplay([lngLat.lng, lngLat.lat]);
    const beidou = await getJSON(api(`/map/beidou?lon=${lon}&lat=${lat}`)).catch(() => null);
    if (layer === "addresses") extra.push(["标准地址", esc(p.full_text)]);
    else if (p.address_code) {
      const address = await getJSON(api(`/addresses/${encodeURIComponent(p.address_code)}`)).catch(() => null);
      extra.push(["标准地址", address ? esc(address.full_text || address.properties?.full_text || p.address_code) : esc(p.address_code)]);
    }
    extra.push(["编码", `<a href="${api(`/codes/${encodeURIComponent(code)}`)}" target="_blank">${esc(code)}</a>`]);
    if (beidou) extra.push(["北斗网格码", `<a href="${api(`/codes/${beidou.code}`)}" target="_blank">${esc(beidou.code)}</a>`]);
    const links = [];
    const list = (lyr, filter, label, n) => links.push(
      `<a href="${api(`/collections/${lyr}/items?f=html&filter=${encodeURIComponent(filter)}`)}" target="_blank">${label} ${n}</a>`);
    if (layer === "buildings") {
      const inside = `S_INTERSECTS(geometry,${ring(feature)})`;
      const [houses, orgs, people] = await Promise.all([
        count("houses", `building_code='${code}'`).catch(() => "?"),
        count("organizations", inside).catch(() => "?"),
        count("people", inside).catch(() => "?")]);
      list("houses", `building_code='${code}'`, "实有房屋 houses", houses);
      list("organizations", inside, "实有单位 organizations", orgs);
      links.push(`<span>实有人口 people ${people}</span>`);
    } else if (layer === "houses") {
      links.push(`<a href="${api(`/collections/buildings/items/${encodeURIComponent(p.building_code)}?f=html`)}" target="_blank">楼栋 building</a>`);
      links.push(`<span>实有人口 people ${await count("people", `house_code='${code}'`).catch(() => "?")}</span>`);
    }
    const item = api(`/collections/${layer}/items/${encodeURIComponent(feature.id)}`);
    const floors = layer === "buildings" ? `<div id="floors" class="floors">…</div>` : "";
    return `<div class="popup" id="popup" data-layer="${esc(layer)}" data-code="${esc(code)}">` +
      `<h3>${esc(p.name || p.full_text || code)}</h3><div>${esc(titles[layer] || layer)}</div>` +
      `<table>${extra.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}${rows}</table>` +
      `<p class="links">${links.join(" ")}</p>${floors}<p class="links"><a href="${item}?f=html" target="_blank">HTML</a>` +
      `<a href="${item}?f=json" target="_blank">GeoJSON</a></p></div>`;
  }

  async function search(map) {
    const q = $("search-text").value.trim(), status = $("search-status");
    if (!q) return;
    status.className = ""; status.textContent = "…";
    try {
      const r = await getJSON(api(`/geocode?q=${encodeURIComponent(q)}`));
      window.twinLastSearch = r;
      status.innerHTML = `<b>${esc(r.status)}</b>${r.level ? " · " + esc(r.level) : ""}${r.score != null ? " · " + r.score : ""}` +
        `<br>${esc(r.full_text || "")}<br><small>${esc(r.reason || "")}</small>`;
      if (r.lon != null && r.lat != null) {
        const at = toDisplay([r.lon, r.lat]);
        map.flyTo({ center: at, zoom: 17.5, pitch: 55, speed: 2.5 });
        if (window.twinMarker) window.twinMarker.remove();
        window.twinMarker = new maplibregl.Marker({ color: "#d7301f" }).setLngLat(at).addTo(map);
      }
    } catch (err) {
      status.className = "error";
      status.textContent = err.status === 503 ? "地址索引正在建立 the address index is being built; try again shortly" : err.message;
    }
  }

  const EMPTY = { type: "FeatureCollection", features: [] };
  function addSelectionLayers(map) {
    map.addSource("storey", { type: "geojson", data: EMPTY }); // the floor picked in a building
    map.addLayer({ id: "storey", type: "fill-extrusion", source: "storey", paint: {
      "fill-extrusion-color": "#ffd400", "fill-extrusion-base": ["get", "base"],
      "fill-extrusion-height": ["get", "top"], "fill-extrusion-opacity": 0.95 } });
    map.addSource("selection", { type: "geojson", data: EMPTY });
    const hl = "#ffd400";
    map.addLayer({ id: "selection-fill", type: "fill", source: "selection", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": hl, "fill-opacity": 0.5 } });
    map.addLayer({ id: "selection-line", type: "line", source: "selection", filter: ["!=", ["geometry-type"], "Point"], paint: { "line-color": "#e08e00", "line-width": 2 } });
    map.addLayer({ id: "selection-point", type: "circle", source: "selection", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": hl, "circle-radius": 5, "circle-stroke-color": "#333", "circle-stroke-width": 1 } });
  }

  async function filter(map) {
    const layer = $("filter-layer").value, text = $("filter-text").value.trim(), status = $("filter-status");
    status.className = ""; status.textContent = "…";
    try {
      const r = await getJSON(api(`/collections/${layer}/items?limit=1000&filter=${encodeURIComponent(text)}`));
      map.getSource("selection").setData(displayed(r));
      const matched = r.numberMatched ?? r.features.length;
      status.textContent = `${matched} 个要素 features${matched > r.features.length ? ` (showing ${r.features.length})` : ""}`;
      window.twinLastFilter = r;
      const box = r.features.reduce((b, f) => extend(b, displayed(f.geometry)), null);
      if (box) map.fitBounds(box, { padding: 60, maxZoom: 17 });
    } catch (err) {
      status.className = "error"; status.textContent = err.message;
    }
  }

  function extend(box, geometry) {
    const walk = (c) => (typeof c[0] === "number" ? [c] : c.flatMap(walk));
    for (const [x, y] of walk(geometry.coordinates)) {
      box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)] : [x, y, x, y];
    }
    return box;
  }

  start().catch((err) => { document.body.insertAdjacentHTML("afterbegin", `<div class="missing error" id="map-error">${esc(err.message)}</div>`); });
})();
