/**
 * Dependency-free SVG charts for the benchmark report (they must render inside the extension's webview and on
 * GitHub, with no CDN): a line chart with error bars and a heat map.
 */
export interface Series {
  name: string;
  points: {x: number; y: number; lo?: number; hi?: number}[];
}

const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#7f7f7f",
  "#17becf",
  "#bcbd22",
  "#e377c2",
  "#393b79",
  "#637939",
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const m = {l: 56, r: 150, t: 36, b: 48};
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMin = opts.yMin ?? 0;
  const yMax = opts.yMax ?? Math.max(...opts.series.flatMap((s) => s.points.map((p) => p.hi ?? p.y)));
  const px = (x: number) => m.l + ((x - xMin) / Math.max(1e-9, xMax - xMin)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - yMin) / Math.max(1e-9, yMax - yMin)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = yMin + ((yMax - yMin) * i) / 5;
    out.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end">${(y * (yMax <= 1 ? 100 : 1)).toFixed(0)}${yMax <= 1 ? "%" : ""}</text>`
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b))
    out.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${x}</text>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${px(p.x)},${py(p.y)}`).join(" ")}"/>`);
    for (const p of pts) {
      if (p.lo != null && p.hi != null)
        out.push(`<line x1="${px(p.x)}" x2="${px(p.x)}" y1="${py(p.lo)}" y2="${py(p.hi)}" stroke="${c}" stroke-opacity="0.5"/>`);
      out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" fill="${c}"/>`);
    }
    out.push(
      `<rect x="${W - m.r + 12}" y="${m.t + i * 20}" width="14" height="4" fill="${c}"/>`,
      `<text x="${W - m.r + 32}" y="${m.t + i * 20 + 6}">${esc(s.name)}</text>`
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

/** Rows × columns of shares in [0, 1], coloured red to green and labelled in percent; a missing value is grey. */
export function heatMap(opts: {title: string; rows: string[]; cols: string[]; values: number[][]; xLabel: string; yLabel: string}): string {
  const cell = 56; // wide enough for a "80–100%" column label
  const m = {l: 110, t: 40, b: 44};
  const W = Math.max(m.l + cell * opts.cols.length + 20, Math.ceil(7.5 * opts.title.length) + 20); // the title fits
  const H = m.t + cell * opts.rows.length + m.b;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  opts.rows.forEach((r, i) => {
    out.push(`<text x="${m.l - 6}" y="${m.t + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    opts.cols.forEach((_, j) => {
      const v = opts.values[i]?.[j] ?? NaN; // a JSON round trip turns NaN into null
      const fill = Number.isFinite(v) ? `hsl(${Math.round(120 * v)}, 65%, ${Math.round(45 + 10 * (1 - v))}%)` : "#eee";
      out.push(`<rect x="${m.l + j * cell}" y="${m.t + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>`);
      if (Number.isFinite(v))
        out.push(
          `<text x="${m.l + j * cell + cell / 2 - 1}" y="${m.t + i * cell + cell / 2 + 4}" text-anchor="middle">${Math.round(v * 100)}</text>`
        );
    });
  });
  opts.cols.forEach((c, j) =>
    out.push(`<text x="${m.l + j * cell + cell / 2}" y="${m.t + opts.rows.length * cell + 14}" text-anchor="middle">${esc(c)}</text>`)
  );
  out.push(`<text x="${m.l + (cell * opts.cols.length) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(
    `<text transform="translate(14 ${m.t + (cell * opts.rows.length) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`
  );
  out.push("</svg>");
  return out.join("\n");
}
