/* Leaflet maps of the console: location pins, and a draggable pin to pick coordinates. */
"use strict";

const ConsoleMap = {
  create(id) {
    const element = document.getElementById(id);
    const map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    return map;
  },

  pins(id, pins) {
    const map = ConsoleMap.create(id);
    const markers = pins.map((pin) => {
      const label = document.createElement("a");
      label.href = pin.url;
      label.textContent = pin.name;
      const popup = document.createElement("div");
      popup.append(label);
      if (pin.stations != null) popup.append(` · ${pin.stations} station${pin.stations === 1 ? "" : "s"}`);
      return L.marker([pin.lat, pin.lng], { title: pin.name }).bindPopup(popup).addTo(map);
    });
    if (markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 14 });
    } else {
      map.setView([50, 10], 4);
    }
    return map;
  },

  picker(id, latId, lngId) {
    const map = ConsoleMap.create(id);
    const lat = document.getElementById(latId), lng = document.getElementById(lngId);
    let marker = null;
    const round = (v) => Number(v).toFixed(6);
    const place = (latlng, pan) => {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, title: "Drag to the location" }).addTo(map);
        marker.on("dragend", () => write(marker.getLatLng()));
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) map.setView(latlng, Math.max(map.getZoom() || 0, 15));
    };
    const write = (latlng) => { lat.value = round(latlng.lat); lng.value = round(latlng.lng); };
    const read = () => {
      const a = parseFloat(lat.value), b = parseFloat(lng.value);
      return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? L.latLng(a, b) : null;
    };
    const initial = read();
    if (initial) place(initial, true); else map.setView([50, 10], 4);
    map.on("click", (e) => { place(e.latlng, false); write(e.latlng); });
    for (const input of [lat, lng]) input.addEventListener("change", () => { const p = read(); if (p) place(p, true); });
    return map;
  },
};

window.ConsoleMap = ConsoleMap;
