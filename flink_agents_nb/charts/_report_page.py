"""The report's page shell: packing data into the file and the script that unpacks it.

A report is one HTML file that opens offline. Heavy parts travel gzip-compressed and base64
encoded inside ``<script type='application/octet-stream'>`` elements and are unpacked in the
browser with ``DecompressionStream('gzip')`` (Chrome 80+, Firefox 113+, Safari 16.4+):

- ``fanb-data-plotly``: plotly.js, the *cartesian* partial bundle (scatter, bar, box, histogram,
  heatmap; 1.5 MB, 0.5 MB packed; MIT licence) shipped in ``flink_agents_nb/_data``, instead
  of the 4.8 MB full bundle;
- ``fanb-data-figures``: the figures as plotly JSON;
- ``fanb-data-records``: every record as a row of short cells, shown a page at a time with a
  filter box (pages are built with DOM text nodes: record content never becomes markup).
"""

from __future__ import annotations

import base64
import gzip
import json
from functools import lru_cache
from importlib import resources
from typing import Any

#: Records per page of the report's table.
PAGE_ROWS = 100
PLOTLY_BUNDLE = "_data/plotly-cartesian.min.js.gz"


@lru_cache(maxsize=1)
def plotly_bundle_b64() -> str:
    """The packed plotly.js bundle, base64 (already gzip-compressed in the package)."""
    data = resources.files("flink_agents_nb").joinpath(PLOTLY_BUNDLE).read_bytes()
    return base64.b64encode(data).decode("ascii")


def pack(value: Any) -> str:
    """``value`` as JSON, gzip-compressed, base64-encoded (ASCII only: safe in HTML)."""
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return base64.b64encode(gzip.compress(raw.encode("utf-8"), 6, mtime=0)).decode("ascii")


def blob(element_id: str, b64: str) -> str:
    """A data element holding base64 text (never executed)."""
    return f"<script type='application/octet-stream' id='{element_id}'>{b64}</script>"


PAGE_STYLE = """<style>
body{font-family:system-ui,sans-serif;margin:20px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table.fanb-summary.fanb-summary td.n{text-align:right;font-variant-numeric:tabular-nums}
#fanb-pager{margin:8px 0;display:flex;gap:8px;align-items:center}
#fanb-pager input[type=search]{width:260px}
#fanb-records td{white-space:nowrap}#fanb-records td.fanb-wide{white-space:normal}
#fanb-records td.n{text-align:right;font-variant-numeric:tabular-nums}
.fanb-chart{min-height:200px}
</style>"""

#: Unpacks the blobs, draws the figures and pages through the records.
SCRIPT = """<script>
(async function () {
  const el = (id) => document.getElementById(id);
  async function unpack(id) {
    const bin = Uint8Array.from(atob(el(id).textContent.trim()), (c) => c.charCodeAt(0));
    const stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream('gzip'));
    return await new Response(stream).text();
  }
  if (typeof DecompressionStream === 'undefined') {
    el('fanb-status').textContent =
      'This browser cannot unpack the report (it needs DecompressionStream: ' +
      'Chrome 80+, Firefox 113+, Safari 16.4+).';
    return;
  }
  const plotly = document.createElement('script');
  plotly.textContent = await unpack('fanb-data-plotly');
  document.head.appendChild(plotly);
  const figures = JSON.parse(await unpack('fanb-data-figures'));
  for (const [id, fig] of Object.entries(figures)) {
    await Plotly.newPlot(id, fig.data, fig.layout, {responsive: true, displaylogo: false});
  }
  const data = JSON.parse(await unpack('fanb-data-records'));
  const rows = data.rows, cols = data.columns, wide = new Set(data.wide);
  const ms = new Set(data.ms || []);
  const size = __PAGE_ROWS__;
  let shown = rows, page = 0;
  const body = el('fanb-records').tBodies[0];
  function draw() {
    const pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    body.replaceChildren();
    for (const row of shown.slice(page * size, page * size + size)) {
      const tr = document.createElement('tr');
      row.forEach((v, i) => {
        const td = document.createElement('td');
        if (typeof v === 'number' && ms.has(cols[i])) {
          td.textContent = v.toFixed(3);  // one number of decimals per column
          td.className = 'n';
        } else {
          td.textContent = v === null ? '' : String(v);
          if (wide.has(cols[i])) td.className = 'fanb-wide';
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    el('fanb-page').value = page + 1;
    el('fanb-pages').textContent = 'of ' + pages.toLocaleString('en-US') + ' (' +
      shown.length.toLocaleString('en-US') + ' of ' + rows.length.toLocaleString('en-US') +
      ' records)';
  }
  el('fanb-prev').onclick = () => { page -= 1; draw(); };
  el('fanb-next').onclick = () => { page += 1; draw(); };
  el('fanb-page').onchange = (e) => { page = parseInt(e.target.value || '1', 10) - 1; draw(); };
  el('fanb-filter').oninput = (e) => {
    const q = e.target.value.toLowerCase();
    shown = q ? rows.filter((r) => r.some((v) => v !== null &&
      String(v).toLowerCase().includes(q))) : rows;
    page = 0;
    draw();
  };
  draw();
  el('fanb-status').textContent = '';
})().catch((err) => {
  document.getElementById('fanb-status').textContent = 'report failed to load: ' + err;
});
</script>""".replace("__PAGE_ROWS__", str(PAGE_ROWS))
