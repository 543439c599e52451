/* Per-page behaviour of the console, started from the markup it finds.

   The Content-Security-Policy allows scripts from our own static files only (no inline script, no
   inline event handlers), so pages carry data attributes and json_script blocks, and this file
   wires them up. */
"use strict";

const ConsolePages = {
  // Sessions list: start a background export with the list's filters, then follow it.
  exportButton(button) {
    const box = document.getElementById("export-progress");
    button.addEventListener("click", async () => {
      const filters = JSON.parse(document.getElementById("export-filters").textContent);
      box.hidden = false; box.className = "command-result waiting"; box.textContent = "Starting the export…";
      const response = await fetch(button.dataset.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": Console.csrfToken() },
        body: JSON.stringify(filters),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { box.className = "command-result failed"; box.textContent = `Export not started: ${JSON.stringify(data)}`; return; }
      Console.followExport(`${button.dataset.url}${data.id}/`, box);
    });
  },

  // Add a station: the new-location fields only while no existing location is picked.
  addStationForm() {
    const location = document.getElementById("id_location"), block = document.getElementById("new-location");
    const network = document.getElementById("id_network");
    const sync = () => { block.hidden = !!location.value; };
    // Only the picked network's locations: a station's location is one of its network's.
    const narrow = () => {
      for (const option of location.options) {
        if (!option.dataset.network) continue;
        option.hidden = option.disabled = !!network.value && option.dataset.network !== network.value;
      }
      if (location.selectedOptions[0] && location.selectedOptions[0].disabled) location.value = "";
      sync();
    };
    network.addEventListener("change", narrow);
    location.addEventListener("change", sync); narrow();
    document.getElementById("generate-password").addEventListener("click", (e) => {
      document.getElementById(e.target.dataset.target).value = Console.randomPassword(20);
    });
  },

  // Session page: power and energy over time.
  sessionChart(canvas) {
    if (!window.Chart) return;
    const points = JSON.parse(document.getElementById("chart-data").textContent);
    const labels = points.map((p) => new Date(p.t).toISOString().slice(11, 19));
    new Chart(canvas, {
      type: "line",
      data: { labels, datasets: [
        { label: "Power (kW)", data: points.map((p) => p.power_kw), yAxisID: "power", borderColor: "#1565c0", backgroundColor: "#1565c0", spanGaps: true, stepped: true },
        { label: "Energy (kWh)", data: points.map((p) => p.energy_kwh), yAxisID: "energy", borderColor: "#2e7d32", backgroundColor: "#2e7d32", spanGaps: true },
      ]},
      options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false },
        scales: { power: { position: "left", title: { display: true, text: "kW" }, beginAtZero: true },
                  energy: { position: "right", title: { display: true, text: "kWh" }, beginAtZero: true, grid: { drawOnChartArea: false } } } },
    });
  },

  // <div id="map" data-map="pins|picker">: location pins, or a pin to pick coordinates.
  map(element) {
    if (element.dataset.map === "picker") {
      ConsoleMap.picker(element.id, "id_latitude", "id_longitude");
    } else {
      ConsoleMap.pins(element.id, JSON.parse(document.getElementById("location-pins").textContent));
    }
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const exportButton = document.getElementById("export-start");
  if (exportButton) ConsolePages.exportButton(exportButton);
  if (document.getElementById("add-station-form")) ConsolePages.addStationForm();
  const wait = document.getElementById("wait");
  if (wait && wait.dataset.statusUrl) Console.waitForStation(wait);
  const chart = document.getElementById("session-chart");
  if (chart) ConsolePages.sessionChart(chart);
  document.querySelectorAll("[data-map]").forEach((element) => ConsolePages.map(element));
  // <form data-confirm="question">: ask before submitting (a delete).
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
});
