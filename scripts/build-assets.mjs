// Copies the front-end libraries that `npm ci` installed into the app's static folder.
// The app serves them itself, so it works air-gapped and under a strict CSP.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "habitus", "static", "vendor");

// [source inside node_modules, destination inside static/vendor]
const files = [
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["chart.js/dist/chart.umd.min.js", "chart/chart.umd.min.js"],
  ["canvas-confetti/dist/confetti.browser.js", "confetti/confetti.browser.js"],
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/oauth2-redirect.html", "swagger-ui/oauth2-redirect.html"],
  ["swagger-ui-dist/oauth2-redirect.js", "swagger-ui/oauth2-redirect.js"],
  ["redoc/bundles/redoc.standalone.js", "redoc/redoc.standalone.js"],
];

rmSync(vendor, { recursive: true, force: true });
for (const [source, destination] of files) {
  const target = join(vendor, destination);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", source), target);
}
writeFileSync(join(vendor, "README.txt"), "Built by scripts/build-assets.mjs from node_modules; not in git.\n");
console.log(`copied ${files.length} vendor files into ${vendor}`);

// One stylesheet per page: the parts in static/css/ (one file per feature, applied in
// name order) are joined into static/dist/app.css.
const cssSource = join(root, "src", "habitus", "static", "css");
const dist = join(root, "src", "habitus", "static", "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const parts = readdirSync(cssSource).filter((name) => name.endsWith(".css")).sort();
const css = parts.map((name) => `/* ${name} */\n${readFileSync(join(cssSource, name), "utf8")}`);
writeFileSync(join(dist, "app.css"), css.join("\n"));
writeFileSync(join(dist, "README.txt"), "Built by scripts/build-assets.mjs from static/css/; not in git.\n");
console.log(`joined ${parts.length} stylesheets into ${join(dist, "app.css")}`);

// Compressed copies, made once here instead of on every request: next to each served
// script and stylesheet, `<file>.br` (brotli, best) and `<file>.gz` (gzip, best). The app's
// static handler (habitus.http.static) picks the one the browser accepts, and only
// while it is at least as new as the file itself, so a stale copy is never served.
const staticRoot = join(root, "src", "habitus", "static");
const compressible = /\.(js|css|html|svg|json|map|txt)$/;
const brotliOptions = {
  params: {
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
  },
};

function servedFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return servedFiles(path);
    return compressible.test(entry.name) && entry.name !== "README.txt" ? [path] : [];
  });
}

let compressed = 0;
for (const folder of ["vendor", "dist", "js"]) {
  for (const path of servedFiles(join(staticRoot, folder))) {
    const body = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(body, brotliOptions));
    writeFileSync(`${path}.gz`, gzipSync(body, { level: constants.Z_BEST_COMPRESSION }));
    compressed += 1;
  }
}
console.log(`wrote .br and .gz copies of ${compressed} files`);
